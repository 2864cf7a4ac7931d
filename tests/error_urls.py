"""The app's URLs plus two that fail on purpose, for tests/test_error_pages.py."""
from django.core.exceptions import PermissionDenied
from django.urls import path

from config import urls


def boom(request):
    raise RuntimeError("a bug")


def denied(request):
    raise PermissionDenied


urlpatterns = [*urls.urlpatterns, path("boom/", boom), path("denied/", denied)]
handler400, handler403, handler404, handler500 = urls.handler400, urls.handler403, urls.handler404, urls.handler500
