"""``core.paging.page_of``: the page Django's ``Paginator.get_page`` gives, with one query
less for a first page that holds the whole list (#13)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.paginator import Paginator

from core.paging import page_of


def groups(count: int):
    Group.objects.bulk_create([Group(name=f"g{i:03d}") for i in range(count)])
    return Group.objects.filter(name__startswith="g0").order_by("name")  # not the role groups


def same_page(page, expected) -> bool:
    return (list(page.object_list) == list(expected.object_list) and page.number == expected.number
            and page.paginator.count == expected.paginator.count
            and page.paginator.num_pages == expected.paginator.num_pages
            and (page.has_next(), page.has_previous(), page.start_index(), page.end_index())
            == (expected.has_next(), expected.has_previous(), expected.start_index(), expected.end_index()))


@pytest.mark.django_db
@pytest.mark.parametrize("count", [0, 1, 9, 10])
def test_a_list_that_fits_on_the_first_page_is_read_once(count, django_assert_num_queries):
    rows = groups(count)
    for number in (None, "", "1", " 1"):
        with django_assert_num_queries(1):
            page = page_of(rows, 10, number)
            list(page.object_list)
        assert same_page(page, Paginator(rows, 10).get_page(number))


@pytest.mark.django_db
@pytest.mark.parametrize("count", [11, 25])
def test_a_longer_list_is_counted(count, django_assert_num_queries):
    rows = groups(count)
    with django_assert_num_queries(2):  # the first rows and the count
        page = page_of(rows, 10, None)
        list(page.object_list)
    assert same_page(page, Paginator(rows, 10).get_page(None))
    assert len(page.object_list) == 10


@pytest.mark.django_db
def test_other_pages_and_bad_numbers_are_as_the_paginator_gives_them():
    rows = groups(25)
    for number in ("2", "3", "99", "x", "-1", "0", "01"):
        assert same_page(page_of(rows, 10, number), Paginator(rows, 10).get_page(number)), number


@pytest.mark.django_db
def test_a_known_count_is_not_counted_again(django_assert_num_queries):
    rows = groups(12)
    with django_assert_num_queries(1):  # the page only
        page = page_of(rows, 10, "2", count=12)
        assert [group.name for group in page.object_list] == ["g010", "g011"]
    assert page.paginator.count == 12 and page.paginator.num_pages == 2


def test_a_list_is_paged_as_it_is():
    page = page_of(list(range(30)), 10, "3")
    assert list(page.object_list) == list(range(20, 30)) and page.paginator.count == 30
