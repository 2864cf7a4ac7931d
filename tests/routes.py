"""Every view of the URL configuration, for the tests that must cover each (the permission matrices)."""
from django.urls import URLResolver, get_resolver


def routes():
    """``(route, URLPattern)`` of every view, with the full route (e.g. ``"api/v1/cases/<int:pk>/"``)."""
    def walk(patterns, prefix):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, route)
            else:
                yield route, entry

    return list(walk(get_resolver().url_patterns, ""))
