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
