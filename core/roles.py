"""The four roles, kept as Django groups, and the one place that says what each may do."""

from __future__ import annotations

PROCUREMENT_ADMIN = "procurement_admin"
PROCUREMENT_ANALYST = "procurement_analyst"
VIEWER = "viewer"
SUPPLIER_USER = "supplier_user"

ROLES = (PROCUREMENT_ADMIN, PROCUREMENT_ANALYST, VIEWER, SUPPLIER_USER)
PROCUREMENT_ROLES = (PROCUREMENT_ADMIN, PROCUREMENT_ANALYST, VIEWER)
WRITER_ROLES = (PROCUREMENT_ADMIN, PROCUREMENT_ANALYST)


def role_of(user) -> str | None:
    """The user's role; superusers act as procurement admins. Cached on the user object."""
    if user is None or not user.is_authenticated:
        return None
    cached = getattr(user, "_esg_role", "unset")
    if cached != "unset":
        return cached
    if user.is_superuser:
        role = PROCUREMENT_ADMIN
    else:
        names = set(user.groups.values_list("name", flat=True))
        role = next((name for name in ROLES if name in names), None)
    user._esg_role = role
    return role


def is_procurement(user) -> bool:
    return role_of(user) in PROCUREMENT_ROLES


def can_write_master_data(user) -> bool:
    return role_of(user) in WRITER_ROLES


def is_admin(user) -> bool:
    return role_of(user) == PROCUREMENT_ADMIN


def is_supplier_user(user) -> bool:
    return role_of(user) == SUPPLIER_USER


def may_own_suppliers(user) -> bool:
    """Who can be a supplier's owner (category manager): an active procurement analyst or admin."""
    return user is not None and user.is_active and can_write_master_data(user)


def supplier_owner_candidates():
    """Active users who may own suppliers (``may_own_suppliers``), by username. One query."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    return (get_user_model().objects.filter(Q(groups__name__in=WRITER_ROLES) | Q(is_superuser=True), is_active=True)
            .distinct().order_by("username"))


def sees_internal_data(user) -> bool:
    """Procurement's internal data (the buyer's spend, spend basis and spend rank, who in
    procurement changed a supplier's status and why, termination decisions, the change
    history) is for procurement roles only; a supplier user sees its own records without
    them (docs/security.md)."""
    return is_procurement(user)
