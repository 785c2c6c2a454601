"""suppliers.scoping.VisibleSupplierField: the supplier a request names, among those its user
may see, in every API serializer that takes a ``supplier_code``."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from rest_framework.exceptions import ValidationError

from core import roles
from disclosure.minerals_api import MineralsUploadSerializer
from portal.api import DocumentSerializer
from reports.api import ReportRequestSerializer
from scoring.api import IndicatorValueSerializer

# The answers before the field was shared: the documents API words its own refusal.
SERIALIZERS = [
    (DocumentSerializer, "no supplier '{code}' you may upload documents for"),
    (ReportRequestSerializer, "Object with code={code} does not exist."),
    (IndicatorValueSerializer, "Object with code={code} does not exist."),
    (MineralsUploadSerializer, "Object with code={code} does not exist."),
]


def _supplier_code(serializer_class, context: dict, code: str):
    return serializer_class(context=context).fields["supplier_code"].run_validation(code)


def _refusal(serializer_class, context: dict, code: str) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        _supplier_code(serializer_class, context, code)
    return [str(text) for text in refused.value.detail]


@pytest.mark.parametrize(("serializer_class", "message"), SERIALIZERS)
def test_a_supplier_user_naming_another_suppliers_code_is_refused_like_an_unknown_code(
        serializer_class, message, role_users, own_supplier, other_supplier):
    context = {"request": SimpleNamespace(user=role_users[roles.SUPPLIER_USER])}
    assert _refusal(serializer_class, context, "OTHER-1") == [message.format(code="OTHER-1")]
    assert _refusal(serializer_class, context, "NO-SUCH") == [message.format(code="NO-SUCH")]
    assert _supplier_code(serializer_class, context, "OWN-1") == own_supplier


@pytest.mark.parametrize(("serializer_class", "message"), SERIALIZERS)
def test_a_procurement_user_names_any_supplier_by_its_normalised_code(
        serializer_class, message, role_users, own_supplier, other_supplier):
    context = {"request": SimpleNamespace(user=role_users[roles.PROCUREMENT_ANALYST])}
    assert _supplier_code(serializer_class, context, "OTHER-1") == other_supplier
    assert _supplier_code(serializer_class, context, " ＯＴＨＥＲ－１ ") == other_supplier
    assert _refusal(serializer_class, context, "NO-SUCH") == [message.format(code="NO-SUCH")]


@pytest.mark.parametrize(("serializer_class", "message"), SERIALIZERS)
def test_without_a_request_no_supplier_is_visible(serializer_class, message, own_supplier):
    assert _refusal(serializer_class, {}, "OWN-1") == [message.format(code="OWN-1")]
