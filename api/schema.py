"""The OpenAPI description of the error shape, and the error answers every operation can give.

Every error of the API has one body, ``{"error": {"code", "message", "fields"}}`` (api.exceptions), documented
once as the ``Error`` component. ``ApiAutoSchema`` (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]) adds to each
operation the error answers that come from the framework rather than from the view's own code, so that the
schema names every status an operation can return:

- 401 without valid credentials (every view but the token endpoint);
- 429 when throttled (every view);
- 400 for a body that cannot be parsed and 415 for a media type the view does not read (views that take a body);
- 403 on a write with a session and no CSRF token (views that accept session authentication);
- 404 for an unknown id in the path, and for a page past the end of a paginated list (400 for a page_size out of
  range);
- 400 for invalid filter values of a filtered list.

An error response that a view documents without a body (``404: None``, or an ``OpenApiResponse`` without a
serializer) gets the ``Error`` body and an example.
"""
from drf_spectacular.contrib.rest_framework_gis import GeoFeatureModelSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated

ERROR_EXAMPLES = {
    400: ("invalid", "提交的内容有误", {"note": ["该字段是必填项。"]}),
    401: ("not_authenticated", "身份认证信息未提供。", {}),
    403: ("forbidden", "您的角色不能执行此操作", {}),
    404: ("not_found", "未找到，或不在您的辖区内", {}),
    405: ("method_not_allowed", "方法 “DELETE” 不被允许。", {}),
    409: ("invalid_state", "案件当前状态为“已立案”，不能立案", {}),
    412: ("stale", "案件已被他人修改，请刷新后重试", {}),
    413: ("too_large", "请求内容过大", {}),
    415: ("unsupported_media_type", "请求中的媒体类型 “text/plain” 不被支持。", {}),
    428: ("precondition_required", "请在 If-Match 请求头中携带案件的 ETag", {}),
    429: ("throttled", "请求超过了限速。 Expected available in 60 seconds.", {}),
}

ERROR_DESCRIPTIONS = {
    400: "Invalid input: error.fields names each invalid field (or the body could not be parsed)",
    401: "No valid credentials: send `Authorization: Token <token>` (or sign in for a session)",
    403: "The user's role may not do this (or a session write without a CSRF token)",
    404: "Not found, or not in the user's jurisdiction",
    405: "Method not allowed",
    409: "Conflict with the current state",
    412: "The resource changed since it was read",
    413: "The request body is too large",
    415: "Unsupported media type of the request body",
    428: "A required precondition header is missing",
    429: "Too many requests: retry after `Retry-After` seconds (also error.retry_after_s)",
}


@extend_schema_field({"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                      "description": "Messages per field, in the user's language; a nested field is named by its "
                                     "dotted path (`service.date`, `points.3.lat`)",
                      "example": {"note": ["该字段是必填项。"]}})
class ErrorFieldsField(serializers.DictField):
    pass


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable: invalid, not_authenticated, forbidden, not_found, "
                                           "invalid_state, rule_violation, conflict, stale, throttled, ...")
    message = serializers.CharField(help_text="For people, in the user's language (Accept-Language, else the "
                                              "language chosen in the user's settings)")
    fields = ErrorFieldsField()
    retry_after_s = serializers.IntegerField(required=False, help_text="429 only: seconds until a retry may pass")
    earliest = serializers.DateField(required=False, help_text="409 for time only: the first day the action may be "
                                                               "taken (a legal period is not over yet)")


@extend_schema_serializer(component_name="Error")
class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API."""

    error = ErrorBodySerializer()


def error_example(status_code):
    code, message, fields = ERROR_EXAMPLES.get(status_code, ("error", "请求无法处理", {}))
    return OpenApiExample(f"{status_code} {code}", value={"error": {"code": code, "message": message,
                                                                     "fields": fields}},
                          status_codes=[str(status_code)], response_only=True)


def error_response(status_code, description=None, examples=None):
    """An ``OpenApiResponse`` with the Error body, for ``extend_schema(responses={...})``."""
    return OpenApiResponse(ErrorSerializer, description=description or ERROR_DESCRIPTIONS.get(status_code, ""),
                           examples=examples or [error_example(status_code)])


def errors(*status_codes, **descriptions):
    """``errors(400, 404, d404="No such case")`` → ``{400: error_response(400), 404: error_response(404, ...)}``."""
    return {code: error_response(code, descriptions.get(f"d{code}")) for code in status_codes}


def text_pattern(*, allow_blank, bidi):
    """What a text field of a request takes, as a pattern: no NUL (DRF refuses it, PostgreSQL cannot store it), no
    bidirectional controls where the field refuses them, and something besides spaces unless it may be blank (DRF
    trims spaces, and "   " is then blank)."""
    banned = "\\x00" + ("\\u202a-\\u202e\\u2066-\\u2069" if bidi else "")
    if allow_blank:
        return f"^[^{banned}]*$"
    return f"^[^{banned}]*[^\\s{banned}][^{banned}]*$"


class ApiAutoSchema(AutoSchema):
    def _get_request_body(self, direction="request"):
        body = super()._get_request_body(direction)
        # A raw body (a video chunk) is the request itself: an operation that takes one has no use without it.
        if body and all(media.get("schema") == {"type": "string", "format": "binary"}
                        for media in body.get("content", {}).values()):
            body["required"] = True
        return body

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (direction == "request" and type(field) is serializers.CharField and schema.get("type") == "string"
                and not {"pattern", "format", "enum"} & set(schema)):
            bidi = any(getattr(validator, "__name__", "") == "no_bidi_controls" for validator in field.validators)
            schema["pattern"] = text_pattern(allow_blank=field.allow_blank, bidi=bidi)
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status_code in self._implied_error_codes():
            responses.setdefault(str(status_code),
                                 self._get_response_for_code(None, str(status_code), direction=direction))
        return dict(sorted(responses.items()))

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        code = int(status_code) if str(status_code).isdigit() else 0
        if code >= 400:
            if serializer is None:
                serializer = error_response(code)
            elif isinstance(serializer, OpenApiResponse) and serializer.response is None:
                serializer = error_response(code, serializer.description, serializer.examples)
            # Errors are JSON whatever the success answer is (a file, an image, GeoJSON).
            media_types = ["application/json"]
        return super()._get_response_for_code(serializer, status_code, media_types, direction)

    def _implied_error_codes(self):
        view, codes = self.view, set()
        permissions = view.get_permissions()
        if not any(isinstance(permission, AllowAny) for permission in permissions):
            codes.add(401)
        if any(not isinstance(permission, (AllowAny, IsAuthenticated)) for permission in permissions):
            codes.add(403)  # a permission of some roles only (ReadsSummaries) refuses the others
        if view.get_throttles():
            codes.add(429)
        if self.method in ("POST", "PUT", "PATCH"):
            codes.update({400, 415})
            if any(isinstance(auth, SessionAuthentication) for auth in view.get_authenticators()):
                codes.add(403)
        if "{" in self.path:
            codes.add(404)
        if self.method == "GET" and self._is_list_view() and getattr(view, "pagination_class", None):
            codes.update({400, 404})  # a page_size out of range; a page past the end
        if self.method == "GET" and (getattr(view, "filterset_class", None) or getattr(view, "filterset_fields", None)):
            codes.add(400)
        return codes


class NullableGeometryFeatureExtension(GeoFeatureModelSerializerExtension):
    """GeoJSON features whose geometry may be missing (a jurisdiction without a boundary, a campaign without an
    area or villages) say so: ``"geometry": null`` is valid GeoJSON."""

    priority = 1

    def map_geo_feature_model_serializer(self, serializer, base_schema):
        schema = super().map_geo_feature_model_serializer(serializer, base_schema)
        model_field = serializer.Meta.model._meta.get_field(serializer.Meta.geo_field)
        if model_field.null:
            schema["properties"]["geometry"] = {**schema["properties"]["geometry"], "nullable": True}
        return schema
