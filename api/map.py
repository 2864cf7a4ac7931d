"""The map's data: cases as points or grid clusters, the list beside the map, KPIs, heat, villages, campaign
areas and patrol tracks. Every read starts from patrol.selectors, so it only sees the user's jurisdiction.

GeoJSON is built from ``values_list`` rows with orjson, or aggregated in SQL: a DRF-GIS serializer per feature
costs 40-80x the raw query at 10,000 points (STYLE.md; bench/map.py measures this module against it). The SQL
is plain enough (ST_X, ST_Y, FLOOR, GROUP BY) to run on PostGIS and on SpatiaLite.
"""
import gc
import hashlib
import math
import re
from contextlib import contextmanager
from datetime import timedelta

import orjson
from django.conf import settings
from django.contrib.gis.db.models import LineStringField
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.contrib.gis.geos import Polygon
from django.db import connections, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, F, FloatField, Func, Max, Q, Value
from django.db.models.functions import Floor
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.dateparse import parse_date
from django.utils.http import parse_etags
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.views import APIView

from api.filters import choice_param, refuse_empty
from disclosure import kpis as disclosure_kpis
from disclosure import selectors as disclosure_selectors
from gis.constants import SRID
from patrol import kpis, rollup, selectors
from patrol.choices import Category, CampaignStatus, Stage, Status
from patrol.filters import ID_SCHEMA, CaseFilter
from patrol.models import overdue_q
from patrol.ordering import ORDERING_CHOICES, order_cases, valid_ordering
from patrol.models import is_overdue
from patrol.choices import OPEN_STATUSES

# Bump when the shape of a response changes, so that no client keeps a cached body of the old shape.
FORMAT_VERSION = 1
DEFAULT_MAX_POINTS = 5000
MAX_ZOOM = 22
# A cluster cell is a quarter of a 256 px tile (64 px) at the requested zoom; a heat cell a sixteenth (16 px).
CLUSTER_CELLS_PER_TILE = 4
HEAT_CELLS_PER_TILE = 16
LIST_LIMIT = 100
TRACK_DAYS = 7
TRACK_LIMIT = 1000
# Tracks are simplified to the zoom they are drawn at (ST_Simplify, tolerance one screen pixel: 256 px a tile) and the
# layer kept under this many bytes of JSON: when it is larger, the tolerance doubles (up to TRACK_MAX_COARSENING
# times), then the oldest tracks are left out ("truncated"). 50 patrols of 10,000 points at zoom 12 come to about
# 0.2 MB of JSON, 60 KB gzipped (bench/tracks.py). Without ``zoom`` the tracks come at TRACK_DEFAULT_ZOOM.
TRACK_MAX_BYTES = 1_000_000
TRACK_MAX_COARSENING = 4
TRACK_DEFAULT_ZOOM = 16
COORDINATE_DECIMALS = 6  # about 0.1 m

X = Func(F("location"), function="ST_X", output_field=FloatField())
Y = Func(F("location"), function="ST_Y", output_field=FloatField())


def max_points():
    return getattr(settings, "MAP_MAX_POINTS", DEFAULT_MAX_POINTS)


# --- request parameters ---------------------------------------------------------------------------


NUMBER = r"-?[0-9]{1,20}(?:\.[0-9]{1,20})?"
BBOX_PATTERN = rf"^{NUMBER},{NUMBER},{NUMBER},{NUMBER}$"


def parse_bbox(value):
    """``minLng,minLat,maxLng,maxLat`` in WGS-84 degrees (four decimal numbers), or a 400 naming the problem.

    A viewport reaching past the antimeridian or a pole (a map panned around the world sends lng 190) is clipped to
    the world, and corners given in the other order are swapped: the schema's pattern is the whole rule.
    """
    if not value:
        raise ValidationError({"bbox": [_("请提供 bbox=最小经度,最小纬度,最大经度,最大纬度")]})
    if not re.fullmatch(BBOX_PATTERN, value):
        raise ValidationError({"bbox": [_("bbox 应为四个用逗号分隔的数字：最小经度,最小纬度,最大经度,最大纬度")]})
    lng1, lat1, lng2, lat2 = (float(part) for part in value.split(","))
    lngs = sorted(min(max(n, -180.0), 180.0) for n in (lng1, lng2))
    lats = sorted(min(max(n, -90.0), 90.0) for n in (lat1, lat2))
    return lngs[0], lats[0], lngs[1], lats[1]


def parse_zoom(value):
    if value is None or not re.fullmatch(r"-?[0-9]{1,9}", value):
        raise ValidationError({"zoom": [_("zoom 应为 0 到 %(max)s 之间的整数") % {"max": MAX_ZOOM}]})
    zoom = int(value)
    if not 0 <= zoom <= MAX_ZOOM:
        raise ValidationError({"zoom": [_("zoom 应为 0 到 %(max)s 之间的整数") % {"max": MAX_ZOOM}]})
    return zoom


def unfiltered(request):
    """The jurisdiction whose cases a request reads, when it sends no filter (patrol.rollup then answers), else None."""
    if any(request.GET.getlist(name) for name in CaseFilter.base_filters):
        return None
    return request.user.jurisdiction_id


def filtered_cases(request):
    """The user's cases narrowed by the same query parameters as the case list and the exports."""
    refuse_empty(request.GET, [name for name in CaseFilter.base_filters if name != "q"])
    filterset = CaseFilter(request.GET, queryset=selectors.cases_for(request.user), request=request)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    return filterset.qs.order_by()


def in_bbox(queryset, bbox):
    box = Polygon.from_bbox(bbox)
    box.srid = SRID
    # On PostGIS `&&` is exact for points, uses the spatial index and is estimated from the column's statistics
    # (`@`, Django's `contained`, gets a fixed guess that makes the planner bitmap-scan a whole jurisdiction).
    # SpatiaLite's MbrOverlaps means something else, so it gets the plain intersection test.
    lookup = "location__bboverlaps" if connections[queryset.db].vendor == "postgresql" else "location__intersects"
    return queryset.filter(**{lookup: box})


def cell_size(zoom, cells_per_tile):
    """Grid cell in degrees: a tile spans 360 / 2**zoom degrees of longitude."""
    return 360.0 / (2 ** zoom) / cells_per_tile


def overdue_expression(today):
    return ExpressionWrapper(overdue_q(today), output_field=BooleanField())


@contextmanager
def without_jit(using):
    """PostgreSQL's JIT spends 100-300 ms compiling these one-off aggregates over a whole jurisdiction, more
    than it saves (measured with bench/map.py), so the grid queries run with it off."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        yield


# --- building the data -----------------------------------------------------------------------------


def point_rows(queryset, limit):
    """Up to ``limit`` cases as (id, reference, status, deadline, category, village, lng, lat) tuples."""
    return list(queryset.annotate(lng=X, lat=Y).values_list(
        "id", "reference", "status", "deadline", "category", "village_id", "lng", "lat")[:limit])


@contextmanager
def collector_paused():
    """Thousands of new dicts set off Python's cyclic garbage collector, whose full passes over everything the
    process holds then cost more than building the features (none of them form cycles)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def point_features(rows, today):
    """One GeoJSON Point feature per row of ``point_rows``."""
    with collector_paused():
        return [
            {"type": "Feature", "id": pk, "geometry": {"type": "Point", "coordinates": [lng, lat]},
             "properties": {"id": pk, "reference": reference, "status": status,
                            "overdue": is_overdue(status, deadline, today),
                            "category": category, "deadline": deadline, "village": village}}
            for pk, reference, status, deadline, category, village, lng, lat in rows
        ]


def grid_rows(queryset, cell, today):
    """(gx, gy, status, overdue, count, sum of lng, sum of lat) per grid cell, status and overdue, in one pass.

    Written as SQL around the ORM's query of the cases: on PostgreSQL, OFFSET 0 keeps that query a subquery,
    so ST_X and ST_Y run once per case rather than once for the cell and again for the centroid (a quarter of
    the time over a million cases, bench/map.py). SQLite wants no OFFSET without LIMIT and needs no fence.
    """
    connection = connections[queryset.db]
    cases = queryset.annotate(x=X, y=Y, late=overdue_expression(today)).values_list("x", "y", "status", "late")
    sql, params = cases.query.sql_with_params()
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    grid = ("SELECT FLOOR(x / %s), FLOOR(y / %s), status, late, COUNT(*), SUM(x), SUM(y) "
            f"FROM ({sql}{fence}) cases GROUP BY 1, 2, 3, 4")
    with without_jit(queryset.db), connection.cursor() as cursor:
        cursor.execute(grid, [cell, cell, *params])
        return cursor.fetchall()


def cluster_features(queryset, zoom, today, rows=None):
    """Cases counted per grid cell of the zoom level, each cell a Point at the centroid of its cases.

    The database groups by cell, status and overdue (no per-case rows leave it); Python folds the few statuses
    of a cell into one feature. ``rows`` (from ``rollup_grid_rows``) replace the live grid when given; a row with
    status None only counts overdue cases.
    """
    cells = {}
    if rows is None:
        rows = grid_rows(queryset, cell_size(zoom, CLUSTER_CELLS_PER_TILE), today)
    for gx, gy, status, late, n, sx, sy in rows:
        n = int(n)
        entry = cells.get((gx, gy))
        if entry is None:
            entry = cells[(gx, gy)] = {"count": 0, "sx": 0.0, "sy": 0.0, "by_status": {}, "overdue": 0}
        if status is None:
            entry["overdue"] += n
            continue
        entry["count"] += n
        entry["sx"] += sx
        entry["sy"] += sy
        entry["by_status"][status] = entry["by_status"].get(status, 0) + n
        if late:
            entry["overdue"] += n
    return [
        {"type": "Feature",
         "geometry": {"type": "Point", "coordinates": [round(e["sx"] / e["count"], COORDINATE_DECIMALS),
                                                       round(e["sy"] / e["count"], COORDINATE_DECIMALS)]},
         "properties": {"cluster": True, "count": e["count"], "by_status": e["by_status"],
                        "overdue": e["overdue"]}}
        for e in cells.values() if e["count"]
    ]


def rollup_grid_rows(queryset, jurisdiction_id, bbox, zoom, today):
    """The rows of ``grid_rows`` for the viewport, with the rollup cells wholly inside it read from patrol.rollup
    and only the strip along its edges counted from the cases, in one statement (one snapshot); None when the
    viewport holds no whole rollup cell or the zoom is finer than the rollup's."""
    cells = rollup.interior(bbox) if zoom <= rollup.ROLLUP_ZOOM else None
    if cells is None:
        return None
    ix0, iy0, ix1, iy1 = cells
    west, south, east, north = bbox
    inner_west, inner_south = ix0 * rollup.CELL, iy0 * rollup.CELL
    inner_east, inner_north = (ix1 + 1) * rollup.CELL, (iy1 + 1) * rollup.CELL
    strips = Q()
    for strip in ((west, south, inner_west, north), (inner_east, south, east, north),
                  (west, south, east, inner_south), (west, inner_north, east, north)):
        box = Polygon.from_bbox(strip)
        box.srid = SRID
        strips |= Q(location__bboverlaps=box)
    # The strips' boxes are closed, so a case on the inner edge is in a strip's box and in an inner cell: the cell
    # test, the same arithmetic as the trigger's, decides.
    edge = (queryset.filter(strips)
            .annotate(rollup_gx=Floor(X / rollup.CELL), rollup_gy=Floor(Y / rollup.CELL))
            .exclude(rollup_gx__gte=ix0, rollup_gx__lte=ix1, rollup_gy__gte=iy0, rollup_gy__lte=iy1)
            .annotate(x=X, y=Y, late=overdue_expression(today)).values_list("x", "y", "status", "late"))
    edge_sql, edge_params = edge.query.sql_with_params()
    inner_sql, inner_params = rollup.cell_grid_sql(jurisdiction_id, cells, zoom, today)
    cell = cell_size(zoom, CLUSTER_CELLS_PER_TILE)
    sql = (f"{inner_sql} UNION ALL SELECT FLOOR(x / %s), FLOOR(y / %s), status, late, COUNT(*), SUM(x), SUM(y) "
           f"FROM ({edge_sql} OFFSET 0) cases GROUP BY 1, 2, 3, 4")
    with without_jit(queryset.db), connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, [*inner_params, cell, cell, *edge_params])
        return cursor.fetchall()


def map_cases(queryset, bbox, zoom, today, limit=None, rollup_jurisdiction=None):
    """The FeatureCollection for a viewport: single cases up to ``limit``, grid clusters above it.

    ``rollup_jurisdiction``: the id of the jurisdiction whose cases ``queryset`` is, unfiltered; a view holding whole
    rollup cells (the whole jurisdiction) is then counted from patrol.rollup (a few hundred rows), not the cases.
    """
    limit = max_points() if limit is None else limit
    in_view = in_bbox(queryset, bbox)
    # One query in the usual case: fetch one case more than the limit. Only a crowded viewport pays for both
    # that fetch (it stops after limit + 1 rows) and the grid.
    points = point_rows(in_view, limit + 1)
    if len(points) <= limit:
        return {"type": "FeatureCollection", "mode": "points", "zoom": zoom, "total": len(points),
                "features": point_features(points, today)}
    rows = None
    if rollup_jurisdiction is not None and rollup.available(queryset.db):
        rows = rollup_grid_rows(queryset, rollup_jurisdiction, bbox, zoom, today)
    features = cluster_features(in_view, zoom, today, rows=rows)
    return {"type": "FeatureCollection", "mode": "clusters", "zoom": zoom,
            "cell": cell_size(zoom, CLUSTER_CELLS_PER_TILE),
            "total": sum(f["properties"]["count"] for f in features), "features": features}


def heat_cells(queryset, bbox, zoom):
    """Case counts on a grid finer than the clusters, as ``[lat, lng, count]`` at each cell's centre."""
    cell = cell_size(zoom, HEAT_CELLS_PER_TILE)
    rows = (in_bbox(queryset, bbox).annotate(gx=Floor(X / cell), gy=Floor(Y / cell))
            .values_list("gx", "gy").annotate(n=Count("pk")))
    with without_jit(queryset.db):
        rows = list(rows)
    points = [[round((gy + 0.5) * cell, COORDINATE_DECIMALS), round((gx + 0.5) * cell, COORDINATE_DECIMALS), n]
              for gx, gy, n in rows]
    return {"cell": cell, "max": max((p[2] for p in points), default=0), "points": points}


# The list beside the map: patrol.ordering's table, by deadline unless asked otherwise (patrol.map_views tells
# the page so), open cases first when by deadline.
DEFAULT_LIST_ORDERING = "deadline"


LIST_FIELDS = ("id", "reference", "status", "deadline", "category", "village_id", "address", "created_at", "lng", "lat")


def case_rows(queryset, bbox, ordering, today, limit=LIST_LIMIT):
    """The first ``limit`` cases of the viewport in the chosen order, for the list beside the map.

    By deadline (open cases first), the open cases are read first and the ended ones only when fewer than
    ``limit + 1`` are open: each part follows an index in order ((jurisdiction, deadline, id), partial over the open
    statuses), where one query sorted every case of the viewport by a CASE expression.
    """
    ordering = valid_ordering(ordering, DEFAULT_LIST_ORDERING)
    in_view = in_bbox(queryset, bbox)
    if ordering == "deadline":
        parts = [in_view.filter(status__in=OPEN_STATUSES), in_view.exclude(status__in=OPEN_STATUSES)]
    else:
        parts = [in_view]
    rows = []
    for part in parts:
        ordered = order_cases(part, ordering, open_first=ordering == "-deadline")
        rows += list(ordered.annotate(lng=X, lat=Y).values_list(*LIST_FIELDS)[: limit + 1 - len(rows)])
        if len(rows) > limit:
            break
    results = [
        {"id": pk, "reference": reference, "status": status,
         "overdue": is_overdue(status, deadline, today),
         "category": category, "deadline": deadline, "village": village, "address": address,
         "reported_on": timezone.localtime(created).date(), "lng": lng, "lat": lat}
        for pk, reference, status, deadline, category, village, address, created, lng, lat in rows[:limit]
    ]
    return {"ordering": ordering,
            "truncated": len(rows) > limit, "results": results}


def village_features(user, now):
    """Villages with their boundary, the last patrol that covered each, and whether that was within 7 days."""
    since = now - timedelta(days=TRACK_DAYS)
    rows = (selectors.villages_for(user)
            .annotate(geojson=AsGeoJSON("boundary", precision=COORDINATE_DECIMALS),
                      last_patrol=Max("patrols__started_at", filter=Q(patrols__jurisdiction_id=user.jurisdiction_id)))
            .values_list("id", "name", "code", "last_patrol", "geojson"))
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": pk, "geometry": orjson.Fragment(geojson),
         "properties": {"id": pk, "name": name, "code": code, "last_patrol_at": last,
                        "patrolled_recently": last is not None and last >= since}}
        for pk, name, code, last, geojson in rows
    ]}


def campaign_features(user):
    """Campaign areas: the drawn polygon, or else the union of the campaign's villages."""
    rows = (selectors.campaigns_with_area(user)
            .annotate(geojson=AsGeoJSON("area_or_villages", precision=COORDINATE_DECIMALS))
            .values_list("id", "name", "status", "starts_on", "ends_on", "geojson")
            .order_by("-starts_on", "id"))
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": pk, "geometry": orjson.Fragment(geojson),
         "properties": {"id": pk, "name": name, "status": status, "starts_on": starts, "ends_on": ends,
                        "active": status == CampaignStatus.ACTIVE}}
        for pk, name, status, starts, ends, geojson in rows if geojson
    ]}


def track_tolerance(zoom):
    """Degrees of one screen pixel at ``zoom`` (256 px tiles): the simplification that cannot be seen."""
    return 360.0 / (256 * 2 ** zoom)


def track_features(user, now, bbox=None, zoom=TRACK_DEFAULT_ZOOM, max_bytes=TRACK_MAX_BYTES):
    """GPS tracks of the patrols started in the last 7 days that the user may see (an inspector only their own),
    newest first, simplified to ``zoom`` and kept under ``max_bytes`` of JSON."""
    patrols = selectors.patrols_for(user).filter(started_at__gte=now - timedelta(days=TRACK_DAYS),
                                                 track__isnull=False)
    if bbox:
        box = Polygon.from_bbox(bbox)
        box.srid = SRID
        patrols = patrols.filter(track__intersects=box)
    tolerance = track_tolerance(zoom)
    for _attempt in range(TRACK_MAX_COARSENING + 1):
        data = _track_collection(patrols, tolerance)
        size = len(orjson.dumps(data))
        if size <= max_bytes:
            break
        tolerance *= 2
    else:
        # Still too large at the coarsest tolerance: the newest tracks that fit, and say that some are missing.
        while data["features"] and size > max_bytes:
            share = max_bytes / size
            data["features"] = data["features"][:max(0, int(len(data["features"]) * share) - 1)]
            data["truncated"] = True
            size = len(orjson.dumps(data))
    data["tolerance_m"] = round(tolerance * 111_320, 1)
    return data


def _track_collection(patrols, tolerance):
    # Coordinates with as many decimals as the tolerance can show (1e-5 degrees is about a metre).
    decimals = max(1, min(COORDINATE_DECIMALS, math.ceil(-math.log10(tolerance)) + 1))
    simplified = Func(F("track"), Value(tolerance), function="ST_Simplify", output_field=LineStringField(srid=SRID))
    rows = list(patrols.order_by("-started_at")
                .annotate(geojson=AsGeoJSON(simplified, precision=decimals))
                .values_list("id", "kind", "started_at", "ended_at", "distance_m", "inspector__last_name",
                             "inspector__first_name", "inspector__username", "geojson")[: TRACK_LIMIT + 1])
    return {"type": "FeatureCollection", "truncated": len(rows) > TRACK_LIMIT, "features": [
        {"type": "Feature", "id": pk, "geometry": orjson.Fragment(geojson),
         "properties": {"id": pk, "kind": kind, "started_at": started, "ended_at": ended,
                        "distance_km": round(distance / 1000, 2),
                        "inspector": f"{last}{first}".strip() or username}}
        for pk, kind, started, ended, distance, last, first, username, geojson in rows[:TRACK_LIMIT] if geojson
    ]}


# --- HTTP ------------------------------------------------------------------------------------------


def cases_etag(request, kind):
    """A validator for everything derived from the jurisdiction's cases.

    Every change to a case writes one CaseEvent (the append-only record), so the newest event id of the
    jurisdiction moves whenever any case does; with the query, the day (overdue turns on at midnight) and the
    point threshold it names the response. Finding that id is one index probe, unlike a count or MAX(updated_at)
    over a million rows.
    """
    latest_event = selectors.events_for(request.user).order_by("-pk").values_list("pk", flat=True).first()
    params = sorted((key, value) for key, values in request.GET.lists() for value in values)
    key = orjson.dumps([FORMAT_VERSION, kind, request.user.jurisdiction_id, latest_event,
                        timezone.localdate().isoformat(), max_points(), params])
    return '"%s"' % hashlib.sha256(key).hexdigest()[:32]


def not_modified(request, etag):
    if_none_match = request.headers.get("If-None-Match")
    if not if_none_match:
        return None
    # gzip_page weakens the ETag it sends (W/"..."); a weak match is all a GET needs.
    candidates = {tag.removeprefix("W/") for tag in parse_etags(if_none_match)}
    if etag in candidates or "*" in candidates:
        response = HttpResponseNotModified()
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"
        return response
    return None


def json_response(data, content_type="application/json", etag=None):
    response = HttpResponse(orjson.dumps(data), content_type=content_type)
    response["Cache-Control"] = "private, no-cache"
    if etag:
        response["ETag"] = etag
    return response


# The same parameters as the case list (api.filters.CaseFilter); a filter sent empty is a 400 (omit it instead).
FILTER_PARAMETERS = [
    OpenApiParameter("status", OpenApiTypes.STR, many=True, enum=Status.values),
    OpenApiParameter("overdue", OpenApiTypes.BOOL),
    OpenApiParameter("late", OpenApiTypes.BOOL),
    OpenApiParameter("village", ID_SCHEMA),
    OpenApiParameter("campaign", ID_SCHEMA),
    OpenApiParameter("inspector", ID_SCHEMA, description="responsible inspector"),
    OpenApiParameter("category", OpenApiTypes.STR, many=True, enum=Category.values),
    OpenApiParameter("stage", OpenApiTypes.STR, enum=Stage.values),
    OpenApiParameter("reported_from", OpenApiTypes.DATE),
    OpenApiParameter("reported_to", OpenApiTypes.DATE),
    OpenApiParameter("q", {"type": "string", "pattern": "^[^\\x00]*$"}, description="reference, address or party"),
]
BBOX_PARAMETER = OpenApiParameter(
    "bbox", {"type": "string", "pattern": BBOX_PATTERN}, required=True,
    description="minLng,minLat,maxLng,maxLat (WGS-84 degrees; clipped to the world, corners in any order)")
VIEWPORT_PARAMETERS = [
    BBOX_PARAMETER,
    OpenApiParameter("zoom", {"type": "integer", "minimum": 0, "maximum": MAX_ZOOM}, required=True,
                     description="Leaflet zoom level"),
]
CONDITIONAL_RESPONSES = {
    304: OpenApiResponse(description="Unchanged since the ETag sent in If-None-Match"),
    400: OpenApiResponse(description="Invalid bbox, zoom or filter"),
}


@method_decorator(gzip_page, name="dispatch")
class MapCasesView(APIView):
    """Cases in a viewport as GeoJSON: single cases (``mode: points``) while the viewport holds at most 5,000
    matching cases, otherwise grid clusters (``mode: clusters``), each a Point with ``cluster``, ``count``,
    ``by_status`` and ``overdue``. Same filters as the case list. Send the ETag back in If-None-Match."""

    @extend_schema(parameters=VIEWPORT_PARAMETERS + FILTER_PARAMETERS,
                   responses={(200, "application/geo+json"): OpenApiTypes.OBJECT, **CONDITIONAL_RESPONSES})
    def get(self, request):
        bbox = parse_bbox(request.GET.get("bbox"))
        zoom = parse_zoom(request.GET.get("zoom"))
        cases = filtered_cases(request)
        etag = cases_etag(request, "cases")
        return not_modified(request, etag) or json_response(
            map_cases(cases, bbox, zoom, timezone.localdate(), rollup_jurisdiction=unfiltered(request)),
            "application/geo+json", etag)


@method_decorator(gzip_page, name="dispatch")
class MapCaseListView(APIView):
    """The first 100 cases of a viewport in the chosen order, for the list beside the map."""

    @extend_schema(parameters=[VIEWPORT_PARAMETERS[0], OpenApiParameter("ordering", OpenApiTypes.STR,
                                                                        enum=ORDERING_CHOICES)]
                   + FILTER_PARAMETERS,
                   responses={200: OpenApiTypes.OBJECT, **CONDITIONAL_RESPONSES})
    def get(self, request):
        bbox = parse_bbox(request.GET.get("bbox"))
        cases = filtered_cases(request)
        etag = cases_etag(request, "list")
        return not_modified(request, etag) or json_response(
            case_rows(cases, bbox, choice_param(request.GET, "ordering", ORDERING_CHOICES, DEFAULT_LIST_ORDERING),
                      timezone.localdate()),
            etag=etag)


def rollup_counts(jurisdiction_id, using, today):
    """({status: count}, overdue) of a whole jurisdiction from patrol.rollup, or None to count live."""
    if jurisdiction_id is None or not rollup.available(using):
        return None
    return rollup.totals(jurisdiction_id, today)


def rollup_filings(jurisdiction_id, using, period):
    """(filed, filed and closed by the end) of a whole jurisdiction in ``period`` from patrol.rollup, or None."""
    if jurisdiction_id is None or not rollup.available(using):
        return None
    return rollup.filings(jurisdiction_id, period)


def parse_period(request, today):
    """``start`` and ``end`` (YYYY-MM-DD, both or neither) as a Period; this month so far when absent."""
    start, end = request.GET.get("start"), request.GET.get("end")
    if start is None and end is None:  # start= and end= sent empty are not "absent" (a 400 below)
        return kpis.this_month(today)
    parsed = {}
    for name, value in (("start", start), ("end", end)):
        try:
            parsed[name] = parse_date(value) if value and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value) else None
        except ValueError:  # well formed but not a date, e.g. 2026-13-01
            parsed[name] = None
    errors = {name: [_("日期格式应为 YYYY-MM-DD")] for name, value in parsed.items() if value is None}
    if errors:
        raise ValidationError(errors)
    if parsed["end"] < parsed["start"]:
        raise ValidationError({"end": [_("结束日期不能早于开始日期")]})
    return kpis.Period(parsed["start"], parsed["end"])


class MapKpiView(APIView):
    """For the current filters: open and overdue cases now, counts by status, and the KPIs of a period (``start``
    to ``end``, this month so far by default) defined as in the summaries (patrol.kpis): new findings, filed,
    closed, closed on time, 整改率 (of the cases filed in the period, the share closed by its end), on-time rate,
    demolished area and mean days to close."""

    @extend_schema(parameters=FILTER_PARAMETERS + [OpenApiParameter("start", OpenApiTypes.DATE),
                                                   OpenApiParameter("end", OpenApiTypes.DATE)],
                   responses={200: OpenApiTypes.OBJECT, **CONDITIONAL_RESPONSES})
    def get(self, request):
        today = timezone.localdate()
        period = parse_period(request, today)
        cases = filtered_cases(request)
        # 公示及时率 (disclosure.kpis) has the summaries' scope: the jurisdiction's, or with a campaign filter that
        # campaign's decisions (as its summary counts them); the other case filters do not narrow it. Its entries
        # change apart from the cases, so their version is part of the validator.
        jurisdiction = request.user.jurisdiction
        campaign = request.GET.get("campaign")  # an id when present: filtered_cases has validated it
        etag = cases_etag(request, f"kpis:{disclosure_selectors.version(jurisdiction)}")
        return not_modified(request, etag) or json_response(
            {**kpis.case_kpis(cases, today, period, now_counts=rollup_counts(unfiltered(request), cases.db, today),
                              filed=rollup_filings(unfiltered(request), cases.db, period)),
             **disclosure_kpis.timeliness(jurisdiction, period, today, campaign=int(campaign) if campaign else None)},
            etag=etag)


@method_decorator(gzip_page, name="dispatch")
class MapHeatView(APIView):
    """Case counts on a fine grid of the viewport, ``points: [[lat, lng, count], ...]``, for the heat layer."""

    @extend_schema(parameters=VIEWPORT_PARAMETERS + FILTER_PARAMETERS,
                   responses={200: OpenApiTypes.OBJECT, **CONDITIONAL_RESPONSES})
    def get(self, request):
        bbox = parse_bbox(request.GET.get("bbox"))
        zoom = parse_zoom(request.GET.get("zoom"))
        cases = filtered_cases(request)
        etag = cases_etag(request, "heat")
        return not_modified(request, etag) or json_response(heat_cells(cases, bbox, zoom), etag=etag)


@method_decorator(gzip_page, name="dispatch")
class MapVillagesView(APIView):
    """Villages with boundary, ``last_patrol_at`` and ``patrolled_recently`` (a patrol within 7 days)."""

    @extend_schema(responses={(200, "application/geo+json"): OpenApiTypes.OBJECT})
    def get(self, request):
        return json_response(village_features(request.user, timezone.now()), "application/geo+json")


@method_decorator(gzip_page, name="dispatch")
class MapCampaignsView(APIView):
    """Campaign areas (the drawn area, or the union of the campaign's villages) with name, period and status."""

    @extend_schema(responses={(200, "application/geo+json"): OpenApiTypes.OBJECT})
    def get(self, request):
        return json_response(campaign_features(request.user), "application/geo+json")


@method_decorator(gzip_page, name="dispatch")
class MapTracksView(APIView):
    """GPS tracks of the patrols of the last 7 days (at most 1,000, newest first), simplified to ``zoom`` (one screen
    pixel, ``tolerance_m`` in the answer) and kept under 1 MB; ``bbox`` is optional."""

    @extend_schema(parameters=[OpenApiParameter("bbox", {"type": "string", "pattern": BBOX_PATTERN},
                                                description=BBOX_PARAMETER.description),
                               OpenApiParameter("zoom", {"type": "integer", "minimum": 0, "maximum": MAX_ZOOM},
                                                description=f"Map zoom the tracks are drawn at (0–{MAX_ZOOM}; "
                                                            f"default {TRACK_DEFAULT_ZOOM})")],
                   responses={(200, "application/geo+json"): OpenApiTypes.OBJECT,
                              400: OpenApiResponse(description="Invalid bbox or zoom")})
    def get(self, request):
        bbox = parse_bbox(request.GET["bbox"]) if "bbox" in request.GET else None
        zoom = parse_zoom(request.GET["zoom"]) if "zoom" in request.GET else TRACK_DEFAULT_ZOOM
        return json_response(track_features(request.user, timezone.now(), bbox, zoom), "application/geo+json")
