"""One error shape for the whole API: {"error": {"code", "message", "fields"}}, in the user's language."""
import logging
import sys

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from patrol.errors import DomainError, NotFound, dotted_fields

logger = logging.getLogger(__name__)
# The database restarting, unreachable, or (SpatiaLite) locked for longer than the busy timeout: the request
# may simply be sent again, so the answer is 503 with Retry-After, which the field app's outbox retries.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_S = 5


def _database_unavailable_body():
    return {"error": {"code": "database_unavailable", "message": _("数据库暂时不可用，请稍后重试"), "fields": {}}}


def exception_handler(exc, context):
    if isinstance(exc, DATABASE_UNAVAILABLE):
        logger.warning("Database unavailable: %s", exc)
        return Response(_database_unavailable_body(), status=status.HTTP_503_SERVICE_UNAVAILABLE,
                        headers={"Retry-After": str(RETRY_AFTER_S)})
    if isinstance(exc, (RequestDataTooBig, TooManyFilesSent, TooManyFieldsSent)):
        too_big = isinstance(exc, RequestDataTooBig)
        message = _("请求内容过大") if too_big else _("一次上传的文件或字段过多")
        return Response({"error": {"code": "too_large" if too_big else "too_many", "message": message, "fields": {}}},
                        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE if too_big else status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DomainError):
        body = {"code": exc.code, "message": str(exc.message), "fields": dotted_fields(exc.fields)}
        if exc.params.get("earliest"):
            # A refusal for time (a legal period not over) says when the action may first be taken.
            body["earliest"] = exc.params["earliest"].isoformat()
        return Response({"error": body}, status=exc.http_status)
    if isinstance(exc, Http404):
        # Django's message names the model ("No Case matches the given query.") and is not translated.
        exc = exceptions.NotFound(NotFound.default_message)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        # Nested fields are named by dotted keys ("service.date"), as the services name them.
        fields = dotted_fields(exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail})
        body = {"code": "invalid", "message": _("提交的内容有误"), "fields": fields}
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        body = {"code": code, "message": str(detail), "fields": {}}
        if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS and getattr(exc, "wait", None):
            body["retry_after_s"] = int(exc.wait)
    response.data = {"error": body}
    return response


# --- errors Django answers before (or after) a DRF view: config/urls.py handler400/403/404/500 -------------
# Under /api/ they get the same error shape as the views' own errors; other pages keep Django's pages.

def _is_api(request):
    return request.path.startswith("/api/")


def _error_response(code, message, http_status):
    return JsonResponse({"error": {"code": code, "message": str(message), "fields": {}}}, status=http_status,
                        json_dumps_params={"ensure_ascii": False})


def bad_request(request, exception):
    if _is_api(request):
        return _error_response("bad_request", _("请求无法处理"), status.HTTP_400_BAD_REQUEST)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if _is_api(request):
        return _error_response("permission_denied", exceptions.PermissionDenied.default_detail, status.HTTP_403_FORBIDDEN)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if _is_api(request):
        return _error_response("not_found", _("未找到，或不在您的辖区内"), status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)


def server_error(request):
    # Django calls this inside its ``except`` block, so the exception is at hand.
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return database_unavailable(request)
    if _is_api(request):
        return _error_response("server_error", exceptions.APIException.default_detail, status.HTTP_500_INTERNAL_SERVER_ERROR)
    return defaults.server_error(request)


def database_unavailable(request):
    """503 without touching the database: no session, no user, a page that needs nothing but the request."""
    if _is_api(request):
        response = JsonResponse(_database_unavailable_body(), status=status.HTTP_503_SERVICE_UNAVAILABLE,
                                json_dumps_params={"ensure_ascii": False})
    else:
        response = render(None, "503.html", {"retry_after_s": RETRY_AFTER_S}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_S)
    return response
