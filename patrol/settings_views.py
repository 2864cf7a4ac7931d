"""The user's own settings: language (also for emails) and API tokens."""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patrol.models import ApiToken


@login_required
def settings_page(request):
    new_key = request.session.pop("new_api_token", None)
    return render(request, "patrol/settings.html", {
        "tokens": ApiToken.objects.filter(user=request.user).order_by("-created_at"),
        "new_key": new_key,
        "language_choices": settings.LANGUAGES,
    })


@login_required
@require_POST
def set_language_preference(request):
    language = request.POST.get("language")
    if language not in dict(settings.LANGUAGES):
        messages.error(request, _("不支持的语言"))
        return redirect("settings")
    request.user.language = language
    request.user.save(update_fields=["language"])
    translation.activate(language)
    messages.success(request, _("语言已保存，邮件也将使用该语言"))
    response = redirect("settings")
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax",
                        secure=settings.SESSION_COOKIE_SECURE)
    return response


@login_required
@require_POST
def create_token(request):
    name = (request.POST.get("name") or "").strip()[:100] or _("API 客户端 %(date)s") % {
        "date": timezone.localdate().isoformat()}
    _row, key = ApiToken.issue(request.user, name)
    # Shown once on the next page view, then gone: only its hash is stored.
    request.session["new_api_token"] = key
    return redirect("settings")


@login_required
@require_POST
def revoke_token(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user, revoked_at__isnull=True)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    messages.success(request, _("令牌已撤销"))
    return redirect("settings")
