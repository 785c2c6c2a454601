"""The user's own in-app notifications (reminders, overdue plans, expiring audits,
zero-tolerance findings) and marking them read."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from audits.notifications import notifications_mark_read, preference_save, preferences
from portal import selectors
from portal.access import role_required
from portal.forms import NotificationPreferenceForm, apply_errors
from portal.views.common import paginate


@role_required
def notification_list(request):
    show = "all" if request.GET.get("show") == "all" else "unread"
    rows = selectors.notifications_for(request.user).select_related("supplier", "audit", "finding")
    if show == "unread":
        rows = rows.filter(read_at__isnull=True)
    delivery, language = preferences([request.user.pk])[request.user.pk]
    return render(request, "portal/notification_list.html", {
        "page": paginate(request, rows), "show": show,
        "preference_form": NotificationPreferenceForm(initial={"delivery": delivery, "language": language}),
    })


@require_POST
@role_required
def notification_settings(request):
    """How the user receives notifications by e-mail (immediately, a daily digest, or none)
    and in which language (``audits.notifications.preference_save``)."""
    form = NotificationPreferenceForm(request.POST)
    if form.is_valid():
        try:
            preference_save(user=request.user, delivery=form.cleaned_data["delivery"],
                            language=form.cleaned_data["language"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Notification settings saved."))
            return redirect("portal:notification-list")
    rows = selectors.notifications_for(request.user).filter(read_at__isnull=True)
    return render(request, "portal/notification_list.html", {
        "page": paginate(request, rows), "show": "unread", "preference_form": form}, status=400)


@require_POST
@role_required
def notification_read(request):
    """Mark one notification (``id``) or all of them (``all``) read; another user's
    notification is a 404."""
    if request.POST.get("all"):
        count = notifications_mark_read(user=request.user)
        messages.success(request, ngettext("%(n)d notification marked as read.",
                                           "%(n)d notifications marked as read.", count) % {"n": count})
    else:
        pk = request.POST.get("id", "")
        if not pk.isdigit() or not selectors.notifications_for(request.user).filter(pk=int(pk)).exists():
            raise Http404
        notifications_mark_read(user=request.user, notification_ids=[int(pk)])
        messages.success(request, _("Marked as read."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        return redirect("portal:notification-list")
    return redirect(target)
