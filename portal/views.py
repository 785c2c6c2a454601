"""Portal pages: thin views over selectors; every supplier lookup is scoped to the user."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render

from core import roles
from suppliers.selectors import spend_by_quarter, visible_suppliers


@login_required
def home(request):
    suppliers = visible_suppliers(request.user)
    context = {
        "role": roles.role_of(request.user),
        "counts": suppliers.aggregate(
            total=Count("id"),
            active=Count("id", filter=Q(status="active")),
            candidates=Count("id", filter=Q(status="candidate")),
            termination_review=Count("id", filter=Q(termination_review=True)),
        ),
    }
    return render(request, "portal/home.html", context)


@login_required
def supplier_list(request):
    suppliers = visible_suppliers(request.user).order_by("code")
    query = request.GET.get("q", "").strip()
    if query:
        suppliers = suppliers.filter(Q(code__icontains=query) | Q(name__icontains=query))
    page = Paginator(suppliers, 50).get_page(request.GET.get("page"))
    return render(request, "portal/supplier_list.html", {"page": page, "query": query})


@login_required
def supplier_detail(request, code: str):
    supplier = get_object_or_404(visible_suppliers(request.user), code=code)
    return render(request, "portal/supplier_detail.html", {
        "supplier": supplier,
        "sites": supplier.sites.order_by("code"),
        "spend": spend_by_quarter(supplier),
        "status_changes": supplier.status_changes.all()[:20],
    })
