"""API access: role permission plus queryset scoping (style.md habit 3)."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from core import roles


class RolePermission(BasePermission):
    """Everyone with a role reads (scoped by queryset); writes need a procurement writer
    role, or admin for views marked ``admin_only_write``; supplier users write only on
    views marked ``supplier_writable`` (their own rows, enforced by the queryset)."""

    message = "Your role does not allow this action."

    def has_permission(self, request, view) -> bool:
        role = roles.role_of(request.user)
        if role is None:
            return False
        if getattr(view, "procurement_only", False) and role not in roles.PROCUREMENT_ROLES:
            return False
        if request.method in SAFE_METHODS:
            return True
        if getattr(view, "admin_only_write", False):
            return role == roles.PROCUREMENT_ADMIN
        if role in roles.WRITER_ROLES:
            return True
        return role == roles.SUPPLIER_USER and getattr(view, "supplier_writable", False)
