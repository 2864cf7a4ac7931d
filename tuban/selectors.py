"""Reads of 图斑, always scoped to the user's jurisdiction (core.scoping), and the numbers of a batch's progress:
one definition of verified, illegal, legal, overdue for the API, the batch page, the report and the summaries."""
from datetime import date

import orjson
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.contrib.gis.geos import Polygon
from django.db.models import Count, F, FloatField, Func, Q, Value
from django.utils import timezone

from gis.constants import SRID
from tuban.choices import TubanStatus
from tuban.models import Tuban, TubanBatch, TubanPhoto, Verification, rectified_q

COORDINATE_DECIMALS = 6  # about 0.1 m
FEATURE_LIMIT = 20_000
MAX_ZOOM = 22


def tuban_for(user):
    return Tuban.objects.for_user(user)


def batches_for(user):
    return TubanBatch.objects.for_user(user)


def evidence_for(user):
    return TubanPhoto.objects.for_user(user)


def verifications_for(user):
    return Verification.objects.for_user(user)


def verifications_for_tuban(tuban):
    return Verification.objects.filter(tuban=tuban).first()


# --- progress -------------------------------------------------------------------------------------

PROGRESS_KEYS = ("total", "verified", "pending", "illegal", "legal", "not_construction", "already_handled",
                 "rectified", "overdue")


def progress_counts(today):
    """The aggregates of a batch's progress, for ``.values(...).annotate(**progress_counts(today))``.

    ``illegal`` counts every 图斑 verified illegal, rectified (整改销号) ones included; ``overdue`` is a 图斑 still
    unchecked after its batch's due date.
    """
    return {
        "total": Count("id"),
        "verified": Count("id", filter=~Q(status=TubanStatus.PENDING)),
        "pending": Count("id", filter=Q(status=TubanStatus.PENDING)),
        "illegal": Count("id", filter=Q(status=TubanStatus.VERIFIED_ILLEGAL)),
        "legal": Count("id", filter=Q(status=TubanStatus.LEGAL)),
        "not_construction": Count("id", filter=Q(status=TubanStatus.NOT_CONSTRUCTION)),
        "already_handled": Count("id", filter=Q(status=TubanStatus.ALREADY_HANDLED)),
        "rectified": Count("id", filter=rectified_q()),
        "overdue": Count("id", filter=Q(status=TubanStatus.PENDING, batch__due_date__lt=today)),
    }


def empty_progress():
    return dict.fromkeys(PROGRESS_KEYS, 0)


def batch_progress(batches, today=None):
    """``{batch_id: {total, verified, ...}}`` for the given batches (a queryset already scoped)."""
    today = today or timezone.localdate()
    rows = (Tuban.objects.filter(batch__in=batches).values("batch_id").order_by()
            .annotate(**progress_counts(today)))
    progress = {pk: empty_progress() for pk in batches.values_list("pk", flat=True)}
    for row in rows:
        progress[row.pop("batch_id")] = row
    return progress


def village_progress(batch, today=None):
    """Rows ``(village name or "", counts)`` of one batch, by village name; 图斑 in no village last."""
    today = today or timezone.localdate()
    rows = (Tuban.objects.filter(batch=batch).values("village__name").order_by()
            .annotate(**progress_counts(today)))
    rows = sorted(rows, key=lambda row: (row["village__name"] is None, row["village__name"] or ""))
    return [(row.pop("village__name") or "", row) for row in rows]


def jurisdiction_progress(jurisdiction, *, imported_from=None, imported_to=None, today=None):
    """The totals over the jurisdiction's batches imported in a period (for summaries)."""
    today = today or timezone.localdate()
    tuban = Tuban.objects.for_jurisdiction(jurisdiction)
    if imported_from:
        tuban = tuban.filter(batch__imported_at__date__gte=imported_from)
    if imported_to:
        tuban = tuban.filter(batch__imported_at__date__lte=imported_to)
    return tuban.aggregate(**progress_counts(today))


# --- GeoJSON --------------------------------------------------------------------------------------


def simplified(field, tolerance):
    """The geometry simplified within ``tolerance`` degrees, still a MultiPolygon (GEOS hands a one-part
    MultiPolygon back as a Polygon). PostGIS and SpatiaLite both know these two functions by these names."""
    geometry = GeometryField(srid=SRID)
    return Func(Func(field, Value(tolerance, output_field=FloatField()), function="ST_SimplifyPreserveTopology",
                     output_field=geometry), function="ST_Multi", output_field=geometry)


def tolerance_for_zoom(zoom):
    """Half a screen pixel at ``zoom`` in degrees (256 px tiles): what the map cannot show anyway."""
    return 360.0 / (256 * 2 ** zoom) / 2


def in_bbox(queryset, bbox):
    box = Polygon.from_bbox(bbox)
    box.srid = SRID
    return queryset.filter(polygon__bboverlaps=box)


def feature_rows(queryset, zoom=None):
    geometry = F("polygon")
    if zoom is not None:
        geometry = simplified("polygon", tolerance_for_zoom(zoom))
    return (queryset.with_display_status()
            .annotate(geojson=AsGeoJSON(geometry, precision=COORDINATE_DECIMALS))
            .values_list("id", "number", "shown_status", "batch_id", "village_id", "village__name", "assignee_id",
                         "change_type", "area_m2", "monitored_on", "case_id", "geojson")
            .order_by("id"))


def feature_collection(queryset, zoom=None, limit=FEATURE_LIMIT):
    """The 图斑 as a GeoJSON FeatureCollection built from ``values_list`` rows (STYLE.md: no serializer per
    feature), simplified to half a pixel when a ``zoom`` is given."""
    rows = list(feature_rows(queryset, zoom)[: limit + 1])
    return {"type": "FeatureCollection", "truncated": len(rows) > limit, "features": [
        {"type": "Feature", "id": pk, "geometry": orjson.Fragment(geojson) if geojson else None,
         "properties": {"id": pk, "number": number, "status": status, "batch": batch, "village": village,
                        "village_name": village_name or "", "assignee": assignee, "change_type": change_type,
                        "area_m2": round(area, 1), "monitored_on": monitored, "case": case}}
        for pk, number, status, batch, village, village_name, assignee, change_type, area, monitored, case, geojson
        in rows[:limit]
    ]}


def is_overdue(batch_due_date: date | None, status, today=None):
    return status == TubanStatus.PENDING and batch_due_date is not None and batch_due_date < (
        today or timezone.localdate())



SUMMARY_BATCHES = 10


def summary_batches(jurisdiction, today=None):
    """The jurisdiction's latest batches with their progress, JSON-ready, for the summaries (the same numbers as
    the batch page and the report)."""
    today = today or timezone.localdate()
    batches = TubanBatch.objects.for_jurisdiction(jurisdiction).order_by("-imported_at", "-id")[:SUMMARY_BATCHES]
    batches = list(batches)
    progress = batch_progress(TubanBatch.objects.filter(pk__in=[batch.pk for batch in batches]), today)
    return [{"id": batch.pk, "name": batch.name, "due_date": batch.due_date.isoformat() if batch.due_date else None,
             "past_due": batch.is_overdue(today), **progress[batch.pk]} for batch in batches]
