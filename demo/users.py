"""Demo logins, one per role. Passwords are printed by ``demo_logins``: demo use only."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from core import roles
from core.quarter import today as business_day
from core.setup import ensure_role_groups
from suppliers.models import Supplier, SupplierMembership
from suppliers.spend import MissingFxRates

DEMO_USERS = [
    # (username, password, role, supplier code or None)
    ("admin", "demo-admin-2026", roles.PROCUREMENT_ADMIN, None),
    ("analyst", "demo-analyst-2026", roles.PROCUREMENT_ANALYST, None),
    ("viewer", "demo-viewer-2026", roles.VIEWER, None),
    ("supplier", "demo-supplier-2026", roles.SUPPLIER_USER, "top"),
    ("supplier2", "demo-supplier2-2026", roles.SUPPLIER_USER, "second"),
]


def create_demo_users() -> list[tuple[str, str, str, str]]:
    """Idempotent. Supplier logins are bound to the two suppliers with the largest spend."""
    ensure_role_groups()
    User = get_user_model()
    biggest = list(_suppliers_by_spend(Supplier)[:2])
    created = []
    for username, password, role, supplier_key in DEMO_USERS:
        user, is_new = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.com"})
        if is_new:
            user.set_password(password)
            user.is_staff = role in (roles.PROCUREMENT_ADMIN, roles.PROCUREMENT_ANALYST)
            user.is_superuser = role == roles.PROCUREMENT_ADMIN
            user.save()
            user.groups.add(Group.objects.get(name=role))
        supplier_code = ""
        if supplier_key and len(biggest) >= 2:
            supplier = biggest[0] if supplier_key == "top" else biggest[1]
            SupplierMembership.objects.get_or_create(user=user, defaults={"supplier": supplier})
            supplier_code = user.supplier_membership.supplier.code
        created.append((username, password, role, supplier_code))
    return created


def _suppliers_by_spend(Supplier):
    """Suppliers by spend basis of the last complete quarter (base currency), biggest first."""
    from audits.selectors import last_closed_population

    try:
        ranked = last_closed_population(business_day())
    except MissingFxRates:
        return list(Supplier.objects.order_by("code")[:2])
    codes = list(ranked["supplier_code"][:2])
    by_code = Supplier.objects.in_bulk(codes, field_name="code")
    return [by_code[code] for code in codes]
