"""The one configuration the pages' scripts read: the URLs they call and the base maps they draw.

The pages with a map or an API call (field, case, map) render it with ``{% frontend_config %}`` as a
``json_script`` (id ``xuncha-config``; the CSP allows no inline script) and static/js/config.js reads it, so no URL or tile address is written in a script. A URL with ``{id}`` in it is a
template the script fills in (static/js/config.js ``url()``).
"""
from django.conf import settings
from django.urls import reverse

from gis.basemaps import base_maps

# A number no real row has, put where the id goes and then swapped for "{id}".
_ID = 918273645


def _with_id(name):
    return reverse(name, args=[_ID]).replace(str(_ID), "{id}")


def frontend_config():
    return {
        "urls": {
            # pages
            "field_page": reverse("field"),
            "case_page": _with_id("case"),
            "login": reverse("login"),
            "service_worker": reverse("service-worker"),
            # the field page's API
            "cases": reverse("api-cases"),
            "case": _with_id("api-case"),
            "case_photos": _with_id("api-case-photos"),
            "case_events": _with_id("api-case-events"),
            "case_signatures": _with_id("api-case-signatures"),
            "nearby": reverse("api-cases-nearby"),
            "field_cases": reverse("api-cases-field"),
            "case_action": reverse("api-case-action", args=[_ID, "reinspect"]).replace(str(_ID), "{id}")
            .replace("reinspect", "{action}"),
            "patrols": reverse("api-patrols"),
            "patrol_track": _with_id("api-patrol-track"),
            "patrol_finish": _with_id("api-patrol-finish"),
            # the supervisor map's API
            "map_cases": reverse("api-map-cases"),
            "map_list": reverse("api-map-list"),
            "map_kpis": reverse("api-map-kpis"),
            "map_heat": reverse("api-map-heat"),
            "map_villages": reverse("api-map-villages"),
            "map_campaigns": reverse("api-map-campaigns"),
            "map_tracks": reverse("api-map-tracks"),
        },
        "tiles": base_maps(),
        # Where a map opens when it knows nothing better (no GPS fix, no boundary): [lat, lng], zoom.
        "default_center": list(settings.LEAFLET_CONFIG["DEFAULT_CENTER"]),
        "default_zoom": settings.LEAFLET_CONFIG["DEFAULT_ZOOM"],
    }
