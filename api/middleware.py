"""Caching of API answers: none, unless an endpoint says otherwise.

Cases, their party (当事人: name, phone), records, notices, exports, patrols and the user's own details are
personal data: no browser, proxy or shared cache may keep a copy (``private, no-store``). An endpoint whose
answer may be kept sets its own Cache-Control, which is left alone: the map layers (``private, no-cache``:
kept by the user's browser, revalidated with their ETag on every use) and photo files (``private``, a day,
``immutable``: evidence bytes never change, and a phone shows the same photo many times).
"""
from django.utils.cache import patch_vary_headers

API_PREFIX = "/api/"
NO_STORE = "private, no-store"


class ApiNoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(API_PREFIX) and not response.has_header("Cache-Control"):
            response["Cache-Control"] = NO_STORE
            # The answer depends on who asks: a cache that ignores no-store must not give it to someone else.
            patch_vary_headers(response, ["Authorization", "Cookie"])
        return response
