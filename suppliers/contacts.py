"""Supplier contacts: procurement invites a supplier's people by e-mail, lists them and
deactivates them (docs/portal.md, "Supplier contacts").

A contact is a user with the ``supplier_user`` role bound to one supplier by a
``SupplierMembership``. The invitation carries a one-time link to set a password
(Django's password-reset token: it stops working once the password is set, and after
``PASSWORD_RESET_TIMEOUT``). Deactivation keeps the user and its history, signs it out of
the API (core.auth revokes its tokens) and records who, when and why on the membership.
Keyword-only services; they raise ``ValidationError`` / ``PermissionDenied``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from core import roles
from core.history import actor_fields, stamp
from core.parsers import CellError, check_text
from suppliers.models import Supplier, SupplierMembership

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


def _require_writer(actor) -> None:
    if not roles.can_write_master_data(actor):
        raise PermissionDenied(_("Only procurement can manage supplier contacts."))


def set_password_path(user) -> str:
    """The path of the one-time link that lets ``user`` set a password (no host)."""
    return reverse("password_reset_confirm", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)})


def _text_error(text: str, *, single_line: bool = False) -> str | None:
    if single_line and ("\n" in text or "\r" in text):
        return _("Keep it on one line.")
    try:
        check_text(text)
    except CellError as exc:
        return str(exc)
    return None


def _clean(email: str, name: str, language: str) -> tuple[str, str]:
    errors = {}
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = _("Enter a valid e-mail address.")
    name = (name or "").strip()
    problem = _text_error(name, single_line=True) if name else _("Give the contact's name.")
    if problem:
        errors["name"] = problem
    elif len(name) > 150:
        errors["name"] = _("Keep the name within 150 characters.")
    if language not in LANGUAGE_CODES:
        errors["language"] = _("Choose English or Chinese.")
    if "email" not in errors and get_user_model().objects.filter(email__iexact=email).exists():
        errors["email"] = _("A user with this e-mail address already exists.")
    if "email" not in errors and get_user_model().objects.filter(username__iexact=email).exists():
        errors["email"] = _("A user with this e-mail address already exists.")
    if errors:
        raise ValidationError(errors)
    return email, name


@transaction.atomic
def contact_invite(*, supplier: Supplier, email: str, name: str, actor, language: str = "en",
                   base_url: str = "") -> SupplierMembership:
    """Create a supplier user for ``supplier`` (username and e-mail ``email``, no usable
    password) and e-mail it a one-time link to set its password, in ``language``.
    ``base_url`` (``https://host``) makes the link absolute. Refuses an invalid or taken
    e-mail address, an empty name and a terminated supplier (``ValidationError``)."""
    _require_writer(actor)
    if supplier.status == "terminated":
        raise ValidationError({"email": _("A terminated supplier gets no new contacts.")})
    email, name = _clean(email, name, language)
    user = get_user_model()(username=email, email=email, first_name=name[:150], is_active=True)
    user.set_unusable_password()
    user.save()
    user.groups.add(Group.objects.get_or_create(name=roles.SUPPLIER_USER)[0])
    who = actor_fields(actor)
    membership = SupplierMembership(user=user, supplier=supplier, language=language, invited_at=timezone.now(),
                                    invited_by_label=who["actor_label"])
    stamp(membership, actor=actor, reason="invited").save()
    transaction.on_commit(lambda: _send_invitation(membership, base_url))
    return membership


@transaction.atomic
def contact_resend(*, membership: SupplierMembership, actor, base_url: str = "") -> SupplierMembership:
    """Send the invitation again to a contact who has not set a password yet."""
    _require_writer(actor)
    user = membership.user
    if not user.is_active:
        raise ValidationError({"__all__": _("This contact is deactivated.")})
    if user.has_usable_password():
        raise ValidationError({"__all__": _("This contact has already set a password; they can reset it from the "
                                            "sign-in page.")})
    transaction.on_commit(lambda: _send_invitation(membership, base_url))
    return membership


def _send_invitation(membership: SupplierMembership, base_url: str) -> None:
    user, supplier = membership.user, membership.supplier
    with translation.override(membership.language):
        context = {"user": user, "supplier": supplier, "link": f"{base_url}{set_password_path(user)}",
                   "hours": settings.PASSWORD_RESET_TIMEOUT // 3600}
        subject = _("Your access to the Supplier ESG Scorecard")
        body = render_to_string("registration/contact_invitation_email.txt", context)
    EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email]).send()


@transaction.atomic
def contact_deactivate(*, membership: SupplierMembership, actor, reason: str) -> SupplierMembership:
    """Deactivate a supplier contact: it can no longer sign in, its API tokens are revoked,
    and the membership records who, when and why. A reason is required."""
    _require_writer(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the contact is deactivated.")})
    problem = _text_error(reason)
    if problem:
        raise ValidationError({"reason": problem})
    membership = SupplierMembership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    if not membership.user.is_active:
        raise ValidationError({"reason": _("This contact is already deactivated.")})
    membership.user.is_active = False
    membership.user.save(update_fields=["is_active"])
    membership.deactivated_at = timezone.now()
    membership.deactivated_by_label = actor_fields(actor)["actor_label"]
    membership.deactivation_reason = reason
    stamp(membership, actor=actor, reason=reason).save(
        update_fields=["deactivated_at", "deactivated_by_label", "deactivation_reason"])
    return membership


def contacts_of(supplier: Supplier):
    """The supplier's contacts (memberships with their users), active first, by e-mail."""
    return (SupplierMembership.objects.filter(supplier=supplier).select_related("user")
            .order_by("-user__is_active", "user__email", "user__username"))
