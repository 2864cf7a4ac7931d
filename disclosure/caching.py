"""Shared caching of the public pages: ``Cache-Control: public`` with an ETag, and 304 for a repeat that sends it
(``If-None-Match``) before anything is rendered. Nothing is kept on the server: the list renders from two queries
bounded by its page size (disclosure.views.decisions), and browsers and shared caches keep the pages."""
import hashlib

from django.utils.cache import get_conditional_response, patch_cache_control

# Seconds a browser or proxy may reuse a page without asking; after that it revalidates (304 when unchanged).
MAX_AGE = 300
# Bumped when the pages' markup changes, so an ETag of the old markup is not answered with 304.
MARKUP_VERSION = "3"
# The public pages are always in Chinese (official disclosure, like the documents): no response varies by visitor.
PUBLIC_LANGUAGE = "zh-hans"


def etag(*parts):
    return '"' + hashlib.sha256("|".join(map(str, (MARKUP_VERSION, *parts))).encode()).hexdigest()[:32] + '"'


def public(response, tag):
    response["ETag"] = tag
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response


def not_modified(request, tag):
    """A 304 (with the same caching headers) when the client holds ``tag``, else None."""
    response = get_conditional_response(request, etag=tag)
    return public(response, tag) if response is not None else None
