"""The supplier scoping of the API: the mixin of every view set that serves supplier data,
and the field through which a request names a supplier."""

from __future__ import annotations

from core.api import IdentifierSlugRelatedField
from suppliers.models import Supplier
from suppliers.selectors import scope_to_user, visible_suppliers


class SupplierScopedMixin:
    """Every queryset goes through ``scope_to_user``: a supplier user's list never holds
    another supplier's rows and another supplier's object is a 404, never a 403.

    ``supplier_path`` is the lookup from the view's model to ``Supplier``."""

    supplier_path = "supplier"

    def get_queryset(self):
        return scope_to_user(super().get_queryset(), self.request.user, self.supplier_path)


class VisibleSupplierField(IdentifierSlugRelatedField):
    """A ``Supplier`` named by its code (text in, the code out), looked up among the
    suppliers the request's user may see (``suppliers.selectors.visible_suppliers``, the one
    scoping rule). The code is normalised first like every identifier (contract.md:
    trimmed, NFKC, ``ＳＵＰ－００１`` finds ``SUP-001``).

    Another supplier's code is refused exactly like an unknown one (the ``does_not_exist``
    message, which a serializer may word for its endpoint): a supplier user learns nothing
    of other suppliers, not even that a code exists.

    Without a request in the serializer's context no supplier is visible and every code is
    refused: a serializer used outside a view (a script, the schema) never sees more than
    a user would. View sets pass the request (``get_serializer_context``); a serializer made
    by hand gets ``context={"request": request}``. Other arguments are ``SlugRelatedField``'s
    (``source``, ``required``, ``allow_null``, ``error_messages``, ``help_text``)."""

    def __init__(self, **kwargs):
        # The queryset names the model for the schema; lookups read get_queryset.
        super().__init__(slug_field="code", queryset=Supplier.objects.none(), **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return visible_suppliers(request.user) if request is not None else Supplier.objects.none()
