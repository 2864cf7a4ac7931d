"""What a locked-out login attempt gets (django-axes AXES_LOCKOUT_CALLABLE): JSON for the API, a page otherwise."""
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_response(request, *args, **kwargs):
    message = _("登录失败次数过多，请30分钟后再试，或联系系统管理员解锁。")
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": "locked_out", "message": message, "fields": {}}}, status=429)
    return render(request, "registration/locked_out.html", status=429)
