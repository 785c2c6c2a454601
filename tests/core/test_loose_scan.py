"""core.loose_scan: the distinct values of an indexed column, walked one index probe per value."""

from __future__ import annotations

from core.loose_scan import distinct_values
from portal.selectors import supplier_countries
from suppliers.models import Supplier


def _countries(make_supplier, *codes):
    for country in codes:
        make_supplier(country=country)


def test_distinct_values_ascending_are_the_sorted_distinct_values(make_supplier):
    _countries(make_supplier, "DE", "CN", "VN", "CN", "DE", "US")
    expected = list(Supplier.objects.order_by("country").values_list("country", flat=True).distinct())
    assert distinct_values(Supplier, "country") == expected == ["CN", "DE", "US", "VN"]


def test_distinct_values_descending_under_a_condition_with_parameters(make_supplier):
    _countries(make_supplier, "DE", "CN", "VN", "CN", "US")
    Supplier.objects.filter(country="CN").update(category="service")
    # The condition holds in every probe, not only the first: VN is above the bound, CN has
    # no production supplier left.
    found = distinct_values(Supplier, "country", descending=True, where="country <= %s AND category = %s",
                            params=["US", "production"])
    assert found == ["US", "DE"]


def test_distinct_values_of_an_empty_match_is_empty(make_supplier):
    assert distinct_values(Supplier, "country") == []
    _countries(make_supplier, "DE")
    assert distinct_values(Supplier, "country", where="country > %s", params=["DE"]) == []


def test_the_supplier_lists_country_filter_offers_every_country_to_procurement_and_own_to_a_supplier(
        make_supplier, role_users, other_supplier):
    _countries(make_supplier, "VN", "CN", "VN")
    assert supplier_countries(role_users["viewer"]) == ["CN", "DE", "VN"]
    assert supplier_countries(role_users["supplier_user"]) == ["CN"]  # own_supplier's country only
