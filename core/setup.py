"""Role groups and their Django permissions, kept in step with the models after every migrate."""

from __future__ import annotations

from django.apps import apps as global_apps

from core import roles

ADMIN_ONLY_MODELS = ("methodology", "methodologyindicator", "indicator", "deadlinerule", "provision",
                     "suppliermembership")
PRODUCT_APPS = ("core", "suppliers", "audits", "scoring", "reports", "portal")


def ensure_role_groups(sender=None, apps=global_apps, **kwargs) -> None:
    """Idempotent: creates the four groups and (re)assigns their model permissions.

    Admins get every permission of the product apps plus users and groups; analysts all
    but user management and the admin-only tables (``ADMIN_ONLY_MODELS``); viewers and
    supplier users only ``view_*`` (a supplier user is narrowed further by
    ``visible_suppliers``).
    """
    if sender is not None and sender.label != "core":
        return
    Group = global_apps.get_model("auth", "Group")
    Permission = global_apps.get_model("auth", "Permission")
    product = Permission.objects.filter(content_type__app_label__in=PRODUCT_APPS)
    view_only = product.filter(codename__startswith="view_")
    user_admin = Permission.objects.filter(content_type__app_label="auth")
    # What only admins maintain: methodology versions, the audit rule tables, and who
    # belongs to which supplier (access management).
    admin_only = product.filter(
        content_type__model__in=ADMIN_ONLY_MODELS).exclude(codename__startswith="view_")
    grants = {
        # Plus the schedules and the sign-in lock-outs (django-axes: an admin unlocks accounts).
        roles.PROCUREMENT_ADMIN: list(product) + list(user_admin) + list(
            Permission.objects.filter(content_type__app_label__in=("django_celery_beat", "axes"))),
        roles.PROCUREMENT_ANALYST: list(product.exclude(pk__in=admin_only)),
        roles.VIEWER: list(view_only),
        roles.SUPPLIER_USER: [],
    }
    for name, permissions in grants.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)
