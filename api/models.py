"""API tokens: only a hash is stored, the token itself is shown once when it is made."""
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TOKEN_PREFIX = "xc_"


def hash_token(key):
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE,
                             related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=100)
    key_hash = models.CharField(_("令牌哈希"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("令牌开头"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.user} · {self.name} · {self.prefix}…"

    @classmethod
    def issue(cls, user, name):
        """Make a token and return ``(token_row, key)``; the key is never stored and cannot be shown again."""
        key = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = cls.objects.create(user=user, name=name[:100], key_hash=hash_token(key), prefix=key[:10])
        return row, key
