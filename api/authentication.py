"""`Authorization: Token xc_…` against hashed tokens (api.models.ApiToken)."""
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from api.models import ApiToken, hash_token


class HashedTokenAuthentication(TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key):
        token = ApiToken.objects.active().select_related("user").filter(key_hash=hash_token(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("令牌无效或已撤销"))
        now = timezone.now()
        # Record use at most once a minute: not a write on every request.
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
