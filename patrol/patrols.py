"""Patrols (巡查): start, record the GPS track in batches, finish; and who may see which patrol.

Like patrol.workflow, each service takes keyword arguments, runs in one transaction with the row it
changes locked, checks the actor's role and jurisdiction, and raises a DomainError the API turns into
its one error shape. Every call is safe to repeat: the phone retries whatever it is not sure arrived.
"""
import hashlib
import json
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.contrib.gis.db.models import LineStringField
from django.contrib.gis.geos import LineString, Point
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Func, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gis.constants import SRID
from gis.geodesy import line_length_m
from gis.models import Village
from patrol.choices import FIELD_ROLES, PatrolKind, Role
from patrol.errors import Conflict, InvalidInput, NotAllowed, NotFound
from patrol.models import Patrol, PatrolTrackBatch, User

# Points reported less accurately than this are kept in their batch but left out of the track.
MAX_TRACK_ACCURACY_M = 100
MAX_POINTS_PER_BATCH = 500
# The track of one patrol holds at most this many points: 27 hours at one point a second, more than any patrol
# (the phone sends one point per GPS fix, at most about one a second). Points beyond it stay in their batches, as
# received, but are neither drawn nor measured; the cap keeps one patrol from growing the map and its own page
# without bound (docs/OPERATIONS.md "Patrol tracks").
MAX_TRACK_POINTS = 100_000
# Phones' clocks run a little ahead now and then; beyond this a time is refused as "in the future".
CLOCK_SKEW = timedelta(minutes=10)


class OpenPatrolExists(Conflict):
    code = "open_patrol_exists"


# --- reads ---------------------------------------------------------------------------------------

def patrols_visible_to(user):
    """Patrols ``user`` may read: an inspector their own, everyone else all of the jurisdiction."""
    queryset = Patrol.objects.for_user(user)
    if getattr(user, "role", None) == Role.INSPECTOR:
        queryset = queryset.filter(inspector=user)
    return queryset


def patrol_queryset(user):
    """What the API lists and shows: visible patrols with their findings counted."""
    return (patrols_visible_to(user)
            .select_related("inspector", "campaign")
            .prefetch_related("villages")
            .annotate(findings_count=Count("cases", distinct=True)))


# --- starting ------------------------------------------------------------------------------------

def start_patrol(*, actor, client_uuid, kind=None, campaign=None, started_at=None, note="", now=None):
    """Start a patrol for ``actor``; safe to call again with the same ``client_uuid``.

    Returns ``(patrol, created)``. The same ``client_uuid`` with the same content returns the existing
    patrol; with different content it raises Conflict. While the actor has another patrol open it raises
    OpenPatrolExists naming that patrol.
    """
    if actor.role not in FIELD_ROLES:
        raise NotAllowed(_("只有执法队员和中队长可以开始巡查"))
    now = now or timezone.now()
    note = note or ""
    if campaign is not None and campaign.jurisdiction_id != actor.jurisdiction_id:
        raise InvalidInput(fields={"campaign": [_("不在您的辖区内")]})
    if kind is None:
        kind = PatrolKind.CAMPAIGN if campaign is not None else PatrolKind.DAILY
    if kind == PatrolKind.CAMPAIGN and campaign is None:
        raise InvalidInput(fields={"campaign": [_("专项整治巡查须选择专项整治行动")]})
    if kind == PatrolKind.DAILY and campaign is not None:
        raise InvalidInput(fields={"kind": [_("日常巡查不属于专项整治行动")]})
    if started_at is not None and started_at > now + CLOCK_SKEW:
        raise InvalidInput(fields={"started_at": [_("开始时间不能晚于现在")]})

    def same_start(existing):
        if (existing.inspector_id != actor.pk or existing.kind != kind
                or existing.campaign_id != getattr(campaign, "pk", None)
                or (started_at is not None and existing.started_at != started_at)
                # finish_patrol may replace the note, so after the end only the other fields can tell.
                or (existing.ended_at is None and existing.note != note)):
            raise Conflict(_("该编号（client_uuid）已用于另一次内容不同的巡查"))
        return existing

    try:
        with transaction.atomic():
            # The user's row is the lock that keeps "one open patrol per user" true when two starts race.
            User.objects.select_for_update().filter(pk=actor.pk).first()
            # client_uuid is unique across all jurisdictions, so this one lookup is not scoped; a uuid taken
            # elsewhere only ever answers Conflict and shows nothing of that patrol.
            existing = Patrol.objects.filter(client_uuid=client_uuid).first()
            if existing is not None:
                return same_start(existing), False
            still_open = (Patrol.objects.for_user(actor).filter(inspector=actor, ended_at__isnull=True)
                          .order_by("-started_at").first())
            if still_open is not None:
                raise OpenPatrolExists(
                    _("您还有一次巡查未结束（编号 %(id)s，%(started)s 开始），请先结束该巡查") % {
                        "id": still_open.pk,
                        "started": timezone.localtime(still_open.started_at).strftime("%Y-%m-%d %H:%M")},
                    fields={"open_patrol": [str(still_open.pk)]},
                )
            patrol = Patrol.objects.create(
                client_uuid=client_uuid, jurisdiction_id=actor.jurisdiction_id, inspector=actor, kind=kind,
                campaign=campaign, started_at=started_at or now, note=note,
            )
    except IntegrityError:
        # The client_uuid was taken by another user's start at the same moment (the lock is per user).
        existing = Patrol.objects.filter(client_uuid=client_uuid).first()
        if existing is None:
            raise
        return same_start(existing), False
    return patrol, True


# --- the track -----------------------------------------------------------------------------------

def normalise_points(points):
    """Points as stored: ``{lng, lat, t, accuracy_m}`` with 7 decimals (about 1 cm) and t in UTC ISO 8601."""
    result = []
    for point in points:
        accuracy = point.get("accuracy_m")
        result.append({
            "lng": round(float(point["lng"]), 7),
            "lat": round(float(point["lat"]), 7),
            "t": point["t"].astimezone(dt_timezone.utc).isoformat(),
            "accuracy_m": None if accuracy is None else round(float(accuracy), 2),
        })
    return result


def points_digest(points):
    return hashlib.sha256(json.dumps(points, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def record_track(*, patrol_id, actor, seq, points, now=None):
    """Store one numbered batch of GPS points and rebuild the patrol's track, distance and villages.

    Returns ``(batch, created)``. The same ``seq`` with the same points returns the stored batch and
    changes nothing; with other points it raises Conflict.
    """
    if not points:
        raise InvalidInput(fields={"points": [_("至少需要一个轨迹点")]})
    if len(points) > MAX_POINTS_PER_BATCH:
        raise InvalidInput(fields={"points": [_("每批最多 %(max)s 个轨迹点") % {"max": MAX_POINTS_PER_BATCH}]})
    now = now or timezone.now()
    stored = normalise_points(points)
    digest = points_digest(stored)
    with transaction.atomic():
        # Locking the patrol serialises uploads of one patrol: a retried batch sent while its first copy
        # is still being stored waits here, then finds that copy instead of failing on the unique constraint.
        # Only a patrol the actor may see: another inspector's patrol is a 404 here as in its detail, not a 403
        # that would tell that it exists.
        # Without the track itself: it may hold 100,000 points, and appending a batch does not need to read it.
        patrol = patrols_visible_to(actor).select_for_update().defer("track").filter(pk=patrol_id).first()
        if patrol is None:
            raise NotFound()
        if patrol.inspector_id != actor.pk:
            raise NotAllowed(_("只有巡查人本人可以上传轨迹"))
        existing = PatrolTrackBatch.objects.filter(patrol=patrol, seq=seq).first()
        if existing is not None:
            if existing.digest != digest:
                raise Conflict(_("第 %(seq)s 批轨迹已上传过不同的内容") % {"seq": seq}, fields={"seq": [str(seq)]})
            return existing, False
        for index, point in enumerate(points):
            if point["t"] > now + CLOCK_SKEW:
                raise InvalidInput(fields={f"points.{index}.t": [_("时间不能晚于现在")]})
            # A phone that was offline uploads its points after the patrol was finished: they still belong
            # to the patrol as long as they were recorded before it ended.
            if patrol.ended_at is not None and point["t"] > patrol.ended_at:
                raise InvalidInput(fields={f"points.{index}.t": [
                    _("巡查已于 %(end)s 结束，不能上传此后的轨迹点") % {
                        "end": timezone.localtime(patrol.ended_at).strftime("%Y-%m-%d %H:%M:%S")}]})
        batch = PatrolTrackBatch.objects.create(patrol=patrol, seq=seq, points=stored, digest=digest,
                                                received_at=now)
        if not append_to_track(patrol, stored):
            rebuild_track(patrol)
        return batch, True


def _track_candidates(batches, ended_at):
    """The points of ``batches`` (``(seq, points)``) that belong on the track: in time order, accurate enough,
    each once, none after the end."""
    candidates = []
    for seq, points in batches:
        for index, point in enumerate(points):
            accuracy = point.get("accuracy_m")
            if accuracy is not None and accuracy > MAX_TRACK_ACCURACY_M:
                continue
            candidates.append((datetime.fromisoformat(point["t"]), seq, index, point))
    candidates.sort(key=lambda item: item[:3])
    kept, seen = [], set()
    for moment, _seq, _index, point in candidates:
        key = (moment, point["lng"], point["lat"])
        if key in seen or (ended_at is not None and moment > ended_at):
            continue
        seen.add(key)
        kept.append((moment, point))
    return kept


def track_points(patrol):
    """The points that make the track (at most MAX_TRACK_POINTS, the earliest)."""
    batches = patrol.track_batches.order_by("seq").values_list("seq", "points")
    return [point for _moment, point in _track_candidates(batches, patrol.ended_at)[:MAX_TRACK_POINTS]]


def append_to_track(patrol, points):
    """Add a batch recorded after the track's last point to its end: the usual case, a phone sending its points in
    order. Costs the same for the 200th batch as for the first: the track is extended in the database, never read.

    Returns False when the batch cannot simply be appended (points from before the track's end, a track of fewer
    than two points so far, or a track built before its end was recorded): the caller rebuilds the track then.
    """
    if patrol.track_ends_at is None or patrol.track_end is None:  # (a track from before track_end: rebuilt once)
        return False
    new = _track_candidates([(0, points)], patrol.ended_at)
    if new and new[0][0] <= patrol.track_ends_at:
        return False
    new = new[:max(0, MAX_TRACK_POINTS - patrol.track_points)]
    if not new:
        return True  # nothing that belongs on the track: the batch is kept as received
    end = patrol.track_end
    coordinates = [(end.x, end.y), *((point["lng"], point["lat"]) for _moment, point in new)]
    segment = LineString(coordinates, srid=SRID)
    if connection.vendor == "postgresql":
        # ST_MakeLine joins the two lines, dropping the repeated joining point.
        track = Func(F("track"), Value(segment, output_field=LineStringField(srid=SRID)), function="ST_MakeLine",
                     output_field=LineStringField(srid=SRID))
    else:  # SpatiaLite has no line-joining function: the embedded default's patrols are small, read and write it
        current = Patrol.objects.values_list("track", flat=True).get(pk=patrol.pk)
        track = LineString([*current.coords, *coordinates[1:]], srid=SRID)
    patrol.distance_m = round(patrol.distance_m + line_length_m(coordinates), 1)
    patrol.track_points += len(new)
    patrol.track_ends_at = new[-1][0]
    patrol.track_end = Point(coordinates[-1], srid=SRID)
    Patrol.objects.filter(pk=patrol.pk).update(track=track, distance_m=patrol.distance_m,
                                               track_points=patrol.track_points, track_ends_at=patrol.track_ends_at,
                                               track_end=patrol.track_end)
    passed = (Village.objects.filter(jurisdiction_id=patrol.jurisdiction_id, boundary__intersects=segment)
              .exclude(patrols=patrol).values_list("pk", flat=True))
    patrol.villages.add(*passed)
    return True


def rebuild_track(patrol):
    """Set the patrol's track, distance (on the sphere) and the villages it passed through, from all its batches."""
    candidates = _track_candidates(patrol.track_batches.order_by("seq").values_list("seq", "points"),
                                   patrol.ended_at)[:MAX_TRACK_POINTS]
    points = [point for _moment, point in candidates]
    coordinates = [(p["lng"], p["lat"]) for p in points]
    patrol.track = LineString(coordinates, srid=SRID) if len(set(coordinates)) >= 2 else None
    patrol.distance_m = round(line_length_m(coordinates), 1)
    patrol.track_points = len(points) if patrol.track is not None else 0
    # A track of one spot is no line yet: the next batch rebuilds it rather than appending.
    patrol.track_ends_at = candidates[-1][0] if patrol.track is not None else None
    patrol.track_end = Point(coordinates[-1], srid=SRID) if patrol.track is not None else None
    patrol.save(update_fields=["track", "distance_m", "track_points", "track_ends_at", "track_end"])
    # A patrol that stood at one spot has no line but was still in that village.
    where = patrol.track or (Point(coordinates[0], srid=SRID) if coordinates else None)
    villages = [] if where is None else Village.objects.filter(jurisdiction_id=patrol.jurisdiction_id,
                                                               boundary__intersects=where)
    patrol.villages.set(villages)


# --- finishing -----------------------------------------------------------------------------------

def finish_patrol(*, patrol_id, actor, note=None, ended_at=None, now=None):
    """End a patrol; a patrol that found nothing keeps that as its record (未发现违法建设).

    Returns ``(patrol, changed)``. Finishing again with the same (or no) note and end time returns the
    patrol unchanged; with a different one it raises Conflict.
    """
    now = now or timezone.now()
    with transaction.atomic():
        patrol = patrols_visible_to(actor).select_for_update().filter(pk=patrol_id).first()
        if patrol is None:
            raise NotFound()
        if patrol.inspector_id != actor.pk and actor.role != Role.SUPERVISOR:
            raise NotAllowed(_("只有巡查人本人或中队长可以结束巡查"))
        if patrol.ended_at is not None:
            if (note is not None and note != patrol.note) or (ended_at is not None and ended_at != patrol.ended_at):
                raise Conflict(_("该巡查已于 %(end)s 结束，本次提交的备注或结束时间与之不同") % {
                    "end": timezone.localtime(patrol.ended_at).strftime("%Y-%m-%d %H:%M")})
            return patrol, False
        ended_at = ended_at or now
        if ended_at > now + CLOCK_SKEW:
            raise InvalidInput(fields={"ended_at": [_("结束时间不能晚于现在")]})
        if ended_at < patrol.started_at:
            raise InvalidInput(fields={"ended_at": [_("结束时间不能早于开始时间")]})
        patrol.ended_at = ended_at
        if note is not None:
            patrol.note = note
        patrol.save(update_fields=["ended_at", "note"])
        # Points uploaded before the finish but recorded after the end time are no longer part of the track.
        if patrol.track_batches.exists() and (patrol.track_ends_at is None or patrol.track_ends_at > ended_at):
            rebuild_track(patrol)
        return patrol, True
