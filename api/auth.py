"""POST /api/v1/auth/token/: a token for an API client, in exchange for the user's name and password."""
from axes.exceptions import AxesBackendPermissionDenied
from django.contrib.auth import authenticate
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from api.parsers import ShallowJSONParser
from api.serializers import JsonTypes
from patrol.errors import DomainError, InvalidInput
from patrol.models import ApiToken


class LockedOut(DomainError):
    code = "locked_out"
    http_status = 429


class TokenRequestSerializer(JsonTypes, serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=200, style={"input_type": "password"}, trim_whitespace=False)
    name = serializers.CharField(max_length=100, required=False, help_text="A label for the token, e.g. the device")


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`; it is shown only this once")
    id = serializers.IntegerField()
    name = serializers.CharField()
    created_at = serializers.DateTimeField()


class LoginThrottle(AnonRateThrottle):
    scope = "login"


class ObtainTokenView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [ShallowJSONParser]
    throttle_classes = [LoginThrottle]

    @extend_schema(request=TokenRequestSerializer, responses={
        200: TokenResponseSerializer,
        400: OpenApiResponse(description="Wrong user name or password (the same message for both)"),
        429: OpenApiResponse(description="Too many failed attempts: locked for a while")})
    def post(self, request):
        body = TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            user = authenticate(request._request, username=body.validated_data["username"],
                                password=body.validated_data["password"])
        except AxesBackendPermissionDenied:
            user = None
            raise LockedOut(_("登录失败次数过多，请30分钟后再试，或联系系统管理员解锁。")) from None
        if getattr(request._request, "axes_locked_out", False):
            raise LockedOut(_("登录失败次数过多，请30分钟后再试，或联系系统管理员解锁。"))
        if user is None or not user.is_active:
            # One message for a wrong name and a wrong password: no user-name enumeration.
            raise InvalidInput(_("用户名或密码错误"), fields={"password": [_("用户名或密码错误")]})
        name = body.validated_data.get("name") or _("API 客户端 %(date)s") % {"date": timezone.localdate().isoformat()}
        row, key = ApiToken.issue(user, name)
        return Response({"token": key, "id": row.pk, "name": row.name, "created_at": row.created_at},
                        status=status.HTTP_200_OK)
