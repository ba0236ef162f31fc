"""Handset API tokens: random, stored only as a hash, expiring, revocable."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self):
        return f"{self.user} token {self.pk}"

    @classmethod
    def issue(cls, user) -> tuple["ApiToken", str]:
        """A new token; the raw value is returned once and never stored."""
        raw = secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, key_hash=hash_token(raw), expires_at=timezone.now() + timedelta(days=settings.API_TOKEN_DAYS)
        )
        return token, raw

    @classmethod
    def find_valid(cls, raw: str):
        token = cls.objects.select_related("user").filter(key_hash=hash_token(raw or "")).first()
        if token is None or token.revoked_at is not None or token.expires_at <= timezone.now():
            return None
        if not token.user.is_active:
            return None
        return token

    def revoke(self) -> None:
        """Revoked for every door: API calls at once, live sockets as soon as this commits."""
        from .sockets import close_token_sockets

        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])
        pk = self.pk
        transaction.on_commit(lambda: close_token_sockets(pk), robust=True)
