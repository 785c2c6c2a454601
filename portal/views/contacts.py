"""Supplier contacts: procurement lists a supplier's portal users, invites new ones by
e-mail (a one-time link to set a password) and deactivates them (suppliers.contacts)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import roles
from portal.access import procurement_required, supplier_for, writer_required
from portal.forms import ContactDeactivateForm, ContactInviteForm, apply_errors
from portal.views.common import error_text
from suppliers import contacts as services
from suppliers.models import SupplierMembership


@procurement_required
def supplier_contacts(request, code: str, status: int = 200, invite_form=None, deactivate_form=None):
    supplier = supplier_for(request.user, code)
    return render(request, "portal/supplier_contacts.html", {
        "supplier": supplier, "contacts": services.contacts_of(supplier),
        "is_writer": roles.can_write_master_data(request.user),
        "invite_form": invite_form or ContactInviteForm(),
        "deactivate_form": deactivate_form or ContactDeactivateForm(),
    }, status=status)


def _base_url(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


@require_POST
@writer_required
def contact_invite(request, code: str):
    supplier = supplier_for(request.user, code)
    form = ContactInviteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            membership = services.contact_invite(supplier=supplier, email=data["email"], name=data["name"],
                                                 language=data["language"], actor=request.user,
                                                 base_url=_base_url(request))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": membership.user.email})
            return redirect("portal:supplier-contacts", code=supplier.code)
    return supplier_contacts(request, supplier.code, status=400, invite_form=form)


@require_POST
@writer_required
def contact_action(request, code: str, pk: int, action: str):
    supplier = supplier_for(request.user, code)
    try:
        membership = SupplierMembership.objects.select_related("user").get(pk=pk, supplier=supplier)
    except SupplierMembership.DoesNotExist:
        raise Http404 from None
    if action == "resend":
        try:
            services.contact_resend(membership=membership, actor=request.user, base_url=_base_url(request))
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Invitation sent again to %(email)s.") % {"email": membership.user.email})
        return redirect("portal:supplier-contacts", code=supplier.code)
    if action != "deactivate":
        raise Http404
    form = ContactDeactivateForm(request.POST)
    if form.is_valid():
        try:
            services.contact_deactivate(membership=membership, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("%(email)s can no longer sign in.") % {
                "email": membership.user.email or membership.user.username})
            return redirect("portal:supplier-contacts", code=supplier.code)
    return supplier_contacts(request, supplier.code, status=400, deactivate_form=form)
