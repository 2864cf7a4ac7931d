"""`Authorization: Token xc_…` against hashed tokens (patrol.models.ApiToken)."""
from datetime import timedelta

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from patrol.models import ApiToken, hash_token


def use_preferred_language(request, user):
    """Answer in the language the user chose (settings page or PATCH /api/v1/me/) unless the request names one.

    LocaleMiddleware has already chosen from Accept-Language or the language cookie, before a token could say
    who is asking; a client that sends neither gets the user's own language.
    """
    if "HTTP_ACCEPT_LANGUAGE" in request.META or settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return
    if user.language in dict(settings.LANGUAGES):
        translation.activate(user.language)
        request._request.LANGUAGE_CODE = user.language


class HashedTokenAuthentication(TokenAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            use_preferred_language(request, result[0])
        return result

    def authenticate_credentials(self, key):
        token = ApiToken.objects.active().select_related("user").filter(key_hash=hash_token(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("令牌无效或已撤销"))
        now = timezone.now()
        # Record use at most once a minute: not a write on every request.
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
