"""Reads. Every query of domain rows for a user starts from ``for_user`` (core.scoping)."""
import math

from django.contrib.gis.db.models import MultiPolygonField, Union
from django.contrib.gis.geos import Polygon
from django.db import connection
from django.db.models import Func
from django.db.models.functions import Coalesce

from gis.constants import SRID
from gis.geodesy import haversine_m
from gis.models import Village
from patrol.choices import FIELD_ROLES
from patrol.models import Campaign, Case, CaseEvent, Notice, Photo, User
from patrol.patrols import patrols_visible_to


def villages_for(user):
    return Village.objects.for_user(user).order_by("name")


def cases_for(user):
    return Case.objects.for_user(user)


def photos_for(user):
    return Photo.objects.for_user(user)


def notices_for(user):
    return Notice.objects.for_user(user)


def events_for(user):
    return CaseEvent.objects.for_user(user)


def campaigns_for(user):
    return Campaign.objects.for_user(user)


def patrols_for(user):
    """The patrols the user may see: an inspector their own, other roles the jurisdiction's (patrol.patrols)."""
    return patrols_visible_to(user)


def field_users(jurisdiction):
    """The jurisdiction's active field users (FIELD_ROLES: inspectors and supervisors), by user name."""
    return (User.objects.filter(jurisdiction=jurisdiction, is_active=True, role__in=FIELD_ROLES)
            .order_by("username"))


def campaign_area():
    """A campaign's area: the drawn polygon, or else the union of its villages (ST_Multi keeps it a
    MultiPolygon, as the drawn area is, when the union is one Polygon)."""
    union = Func(Union("villages__boundary"), function="ST_Multi", output_field=MultiPolygonField(srid=SRID))
    return Coalesce("area", union, output_field=MultiPolygonField(srid=SRID))


def campaigns_with_area(user):
    """The user's campaigns with ``area_or_villages`` (campaign_area), newest first."""
    return campaigns_for(user).annotate(area_or_villages=campaign_area()).order_by("-starts_on", "-pk")


def case_detail_queryset(user):
    return (cases_for(user)
            .select_related("village", "responsible", "reported_by", "jurisdiction")
            .prefetch_related("photos", "notices", "videos"))


def nearby_candidates(jurisdiction, point, metres, exclude_id=None):
    """The open cases of the jurisdiction inside the bounding box (in degrees) of ``metres`` around ``point``.

    On PostGIS the box is tested with ``&&`` (``bboverlaps``), as the map does (api.map.in_bbox): exact for points,
    served by the spatial index and estimated from the column's statistics. ``ST_Within`` got a fixed guess that
    made the planner combine the spatial index with (jurisdiction, status) and read the whole jurisdiction's open
    cases (690,917 index entries at a million cases, issue #20). SpatiaLite keeps the plain test.
    """
    lat_deg = metres / 111_320
    lng_deg = metres / (111_320 * max(math.cos(math.radians(point.y)), 0.01))
    box = Polygon.from_bbox((point.x - lng_deg, point.y - lat_deg, point.x + lng_deg, point.y + lat_deg))
    box.srid = 4326
    lookup = "location__bboverlaps" if connection.vendor == "postgresql" else "location__within"
    queryset = Case.objects.for_jurisdiction(jurisdiction).open().filter(**{lookup: box})
    if exclude_id:
        queryset = queryset.exclude(pk=exclude_id)
    return queryset.only("id", "reference", "location", "status", "address", "deadline").order_by()


def nearby_open_cases(jurisdiction, point, metres, exclude_id=None, limit=10):
    """Open cases of the jurisdiction within ``metres`` of ``point``, nearest first, each with ``distance_m``.

    A bounding box in degrees uses the spatial index (``nearby_candidates``); the exact great-circle distance of the
    few cases inside it is computed here, which is cheaper than a spheroid distance in SQL for every candidate.
    """
    near = []
    for case in nearby_candidates(jurisdiction, point, metres, exclude_id)[:500]:
        case.distance_m = haversine_m(point.x, point.y, case.location.x, case.location.y)
        if case.distance_m <= metres:
            near.append(case)
    near.sort(key=lambda case: case.distance_m)
    return near[:limit]


# The field page's case store (#15): what an inspector keeps on the phone to re-inspect without network.
FIELD_STORE_LIMIT = 200
FIELD_STORE_NEAR_M = 2000
FIELD_STORE_PHOTOS = 2  # the last photos of each case, as small thumbnails


def field_store_cases(user, point=None):
    """The open cases ``user`` is responsible for (earliest deadline first), then the open cases within
    FIELD_STORE_NEAR_M of ``point`` (nearest first, each with ``distance_m``), at most FIELD_STORE_LIMIT in all;
    each with ``last_photos``, the newest FIELD_STORE_PHOTOS photos that have a thumbnail."""
    if user.jurisdiction_id is None:
        return []
    mine = list(cases_for(user).open().filter(responsible=user).order_by("deadline", "id")
                .values_list("id", flat=True)[:FIELD_STORE_LIMIT])
    distance = {}
    if point is not None:
        for case in nearby_open_cases(user.jurisdiction, point, FIELD_STORE_NEAR_M, limit=FIELD_STORE_LIMIT):
            distance[case.pk] = case.distance_m
    order = list(dict.fromkeys([*mine, *distance]))[:FIELD_STORE_LIMIT]
    rows = {case.pk: case for case in cases_for(user).filter(pk__in=order).select_related("village")
            .only("id", "reference", "address", "party_name", "status", "category", "deadline", "version",
                  "responsible_id", "jurisdiction_id", "village__name")}
    photos = {}
    for pk, case_id, thumbnail in (Photo.objects.filter(case_id__in=order).exclude(thumbnail="")
                                   .exclude(thumbnail=None).order_by("case_id", "-taken_at", "-id")
                                   .values_list("pk", "case_id", "thumbnail")):
        kept = photos.setdefault(case_id, [])
        if len(kept) < FIELD_STORE_PHOTOS:
            kept.append((pk, thumbnail))
    cases = []
    for pk in order:
        case = rows.get(pk)
        if case is None:
            continue
        case.distance_m = distance.get(pk)
        case.last_photos = photos.get(pk, [])
        cases.append(case)
    return cases
