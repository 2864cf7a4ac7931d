"""Tracks that stay cheap (#16): a batch recorded after the track's end is appended in the database, never rebuilt
from every batch; the result is the track a rebuild gives; a patrol's track holds at most MAX_TRACK_POINTS points;
the map layer is simplified to the zoom it is drawn at and kept under its byte budget."""
import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import orjson
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.map import track_features
from patrol import patrols
from patrol.models import Patrol, PatrolTrackBatch

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 5, 6, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def batch(start_index, count, lng0=111.600, lat=40.71, step=0.0004, seconds=5):
    """``count`` points eastwards, ``seconds`` apart, from point ``start_index`` on (through 东村 into 西村)."""
    return [{"lng": round(lng0 + (start_index + i) * step, 7), "lat": lat + 0.0001 * ((start_index + i) % 3),
             "t": T0 + timedelta(seconds=seconds * (start_index + i)), "accuracy_m": 5.0} for i in range(count)]


@pytest.fixture
def patrol(users):
    patrol, _ = patrols.start_patrol(actor=users["inspector"], client_uuid="00000000-0000-0000-0000-0000000000aa",
                                     started_at=T0, now=T0)
    return patrol


def record(users, patrol, seq, points):
    return patrols.record_track(patrol_id=patrol.pk, actor=users["inspector"], seq=seq, points=points,
                                now=T0 + timedelta(hours=12))


def rereads_every_batch(queries):
    """The rebuild reads all batches of the patrol (no LIMIT); the append reads none of them."""
    return any(q["sql"].startswith("SELECT") and "patrol_patroltrackbatch" in q["sql"] and "LIMIT" not in q["sql"]
               for q in queries)


def reads_the_track(queries):
    """A SELECT that fetches the track's value (or its end point) rather than writing it."""
    return any(q["sql"].startswith("SELECT") and ('"track"' in q["sql"].split(" FROM ")[0] or "ST_EndPoint" in q["sql"])
               for q in queries)


def test_batches_in_time_order_are_appended_without_reading_the_earlier_ones(users, patrol):
    record(users, patrol, 0, batch(0, 20))
    for seq in (1, 2, 3):
        with CaptureQueriesContext(connection) as queries:
            record(users, patrol, seq, batch(seq * 20, 20))
        assert not rereads_every_batch(queries.captured_queries), [q["sql"] for q in queries.captured_queries]
        if connection.vendor == "postgresql":  # (SpatiaLite has no line-joining function: it reads and writes)
            assert not reads_the_track(queries.captured_queries), [q["sql"] for q in queries.captured_queries]
    appended = Patrol.objects.get(pk=patrol.pk)
    assert appended.track_points == 80 and len(appended.track) == 80
    assert appended.track_ends_at == batch(79, 1)[0]["t"]
    assert appended.track_end.coords == appended.track.coords[-1]

    # The same as a rebuild from all batches: line, distance and villages.
    villages = set(appended.villages.values_list("name", flat=True))
    patrols.rebuild_track(appended)
    rebuilt = Patrol.objects.get(pk=patrol.pk)
    assert [tuple(round(v, 7) for v in c) for c in appended.track.coords] == \
        [tuple(round(v, 7) for v in c) for c in rebuilt.track.coords]
    assert math.isclose(appended.distance_m, rebuilt.distance_m, abs_tol=0.5)
    assert villages == set(rebuilt.villages.values_list("name", flat=True)) == {"东村", "西村"}


def test_a_batch_from_before_the_tracks_end_rebuilds_it_in_time_order(users, patrol):
    record(users, patrol, 0, batch(0, 10))
    record(users, patrol, 2, batch(20, 10))
    with CaptureQueriesContext(connection) as queries:
        record(users, patrol, 1, batch(10, 10))  # arrives late: belongs in the middle
    assert rereads_every_batch(queries.captured_queries)
    patrol.refresh_from_db()
    assert [round(c[0], 7) for c in patrol.track.coords] == [p["lng"] for p in batch(0, 30)]
    assert patrol.track_points == 30


def test_a_patrols_track_holds_at_most_the_cap_and_keeps_the_rest_in_its_batches(users, patrol, monkeypatch):
    monkeypatch.setattr(patrols, "MAX_TRACK_POINTS", 25)
    for seq in range(3):
        record(users, patrol, seq, batch(seq * 10, 10))
    patrol.refresh_from_db()
    assert patrol.track_points == 25 and len(patrol.track) == 25
    assert sum(len(b.points) for b in PatrolTrackBatch.objects.filter(patrol=patrol)) == 30
    # The rebuild keeps the same cap (the earliest points).
    patrols.rebuild_track(patrol)
    patrol.refresh_from_db()
    assert len(patrol.track) == 25 and patrol.track_points == 25


def zigzag(n, jitter_deg=0.00002):
    """A walk east with GPS jitter: what simplification removes at a low zoom."""
    return [{"lng": 111.600 + i * 0.00002 + (jitter_deg if i % 2 else 0), "lat": 40.71 + (jitter_deg if i % 3 else 0),
             "t": T0 + timedelta(seconds=2 * i), "accuracy_m": 5.0} for i in range(n)]


@pytest.mark.postgres_only
def test_the_tracks_layer_is_simplified_to_the_zoom_and_kept_under_its_byte_budget(users, patrol):
    record(users, patrol, 0, zigzag(500))
    Patrol.objects.filter(pk=patrol.pk).update(started_at=timezone.now() - timedelta(hours=1))

    def coordinates(data):
        [feature] = data["features"]
        return orjson.loads(orjson.dumps(feature["geometry"]))["coordinates"]

    now = timezone.now()
    close, far = track_features(users["supervisor"], now, zoom=20), track_features(users["supervisor"], now, zoom=12)
    assert len(coordinates(far)) < 10 < 400 < len(coordinates(close))
    assert far["tolerance_m"] > close["tolerance_m"]
    # A budget smaller than the detailed layer: the tolerance grows until it fits.
    budget = len(orjson.dumps(close)) // 4
    coarser = track_features(users["supervisor"], now, zoom=20, max_bytes=budget)
    assert len(orjson.dumps(coarser)) <= budget and coarser["tolerance_m"] > close["tolerance_m"]
    assert not coarser["truncated"]
    # A budget nothing fits in: the tracks are left out and the answer says so.
    tiny = track_features(users["supervisor"], now, zoom=20, max_bytes=100)
    assert tiny["features"] == [] and tiny["truncated"]
