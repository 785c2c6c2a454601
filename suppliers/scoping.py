"""The supplier-scoping mixin of every API view set that serves supplier data."""

from __future__ import annotations

from suppliers.selectors import scope_to_user


class SupplierScopedMixin:
    """Every queryset goes through ``scope_to_user``: a supplier user's list never holds
    another supplier's rows and another supplier's object is a 404, never a 403.

    ``supplier_path`` is the lookup from the view's model to ``Supplier``."""

    supplier_path = "supplier"

    def get_queryset(self):
        return scope_to_user(super().get_queryset(), self.request.user, self.supplier_path)
