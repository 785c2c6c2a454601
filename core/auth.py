"""API authentication: expiring tokens, revoked when the password changes or the user is
deactivated, and a limit on failed token attempts (docs/security.md)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token


def token_expires_at(token: Token) -> dt.datetime:
    return token.created + dt.timedelta(hours=settings.API_TOKEN_TTL_HOURS)


def _client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


class ExpiringTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``: a token older than ``API_TOKEN_TTL_HOURS`` is deleted
    and refused (401); after ``TOKEN_FAILURE_LIMIT`` refused tokens from one address within
    ``TOKEN_FAILURE_WINDOW_SECONDS`` every token request from it answers 429 until the
    window ends."""

    def authenticate(self, request):
        key = f"token-failures:{_client_address(request)}"
        failures = cache.get(key, 0)
        if failures >= settings.TOKEN_FAILURE_LIMIT and self._token_given(request):
            raise exceptions.Throttled(wait=settings.TOKEN_FAILURE_WINDOW_SECONDS,
                                       detail="Too many refused API tokens from your address; try again later.")
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            if not cache.add(key, 1, timeout=settings.TOKEN_FAILURE_WINDOW_SECONDS):
                cache.incr(key)
            raise

    @staticmethod
    def _token_given(request) -> bool:
        return request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("token ")

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if timezone.now() >= token_expires_at(token):
            token.delete()
            raise exceptions.AuthenticationFailed("Token expired; request a new one at /api/v1/auth/token/.")
        return user, token


@receiver(pre_save, sender=get_user_model(), dispatch_uid="core.auth.revoke_tokens")
def revoke_tokens_on_password_or_deactivation(sender, instance, **kwargs) -> None:
    """A changed password or a deactivated account invalidates the user's API token."""
    if instance.pk is None:
        return
    stored = sender.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if stored is None:
        return
    if stored["password"] != instance.password or (stored["is_active"] and not instance.is_active):
        Token.objects.filter(user_id=instance.pk).delete()
