"""Patrol tracks that stay cheap (issue #16), printed, not asserted, on a throw-away PostGIS test database:

  a. the time to record one batch of 500 GPS points (patrol.patrols.record_track, the service the API calls) at
     the 1st batch of a patrol and at the 200th (100,000 points by then), medians of pairs timed in turns;
     target: ratio ≤ 1.5;
  b. the bytes of GET /api/v1/map/tracks/?zoom=12 (Django's test Client, the real view, gzip) for 50 patrols of
     10,000 points each; target ≤ 200 KB gzipped; with the unsimplified layer for comparison.

  DATABASE_URL=postgis://postgres@127.0.0.1:5432/xbenchtracks .venv/bin/python bench/tracks.py
"""
import math
import random
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_with_test_database  # noqa: E402

BATCHES = 200
BATCH_POINTS = 500
PAIRS = 7
LAYER_PATROLS = 50
LAYER_POINTS = 10_000


def walk(n, rng, start=(111.62, 40.72), step_m=2.6, jitter_m=3.0):
    """A patrol on foot: straight stretches of 50–300 m along lanes, turning at corners, one point every 2 s with GPS
    noise; kept inside a 4 km square around ``start``."""
    m_per_deg_lat = 111_320
    m_per_deg_lng = m_per_deg_lat * math.cos(math.radians(start[1]))
    x, y = 0.0, 0.0
    heading = rng.choice([0, 90, 180, 270])
    left = rng.uniform(50, 300)
    coordinates = []
    for _ in range(n):
        if left <= 0:
            heading = (heading + rng.choice([-90, 90])) % 360
            left = rng.uniform(50, 300)
        if abs(x) > 2000 or abs(y) > 2000:
            heading = math.degrees(math.atan2(-y, -x)) % 360
        x += step_m * math.cos(math.radians(heading))
        y += step_m * math.sin(math.radians(heading))
        left -= step_m
        coordinates.append((start[0] + (x + rng.gauss(0, jitter_m)) / m_per_deg_lng,
                            start[1] + (y + rng.gauss(0, jitter_m)) / m_per_deg_lat))
    return coordinates


def main():
    drop = django_with_test_database()
    try:
        run()
    finally:
        drop()


def run():
    import gzip

    import orjson
    from django.contrib.gis.geos import LineString
    from django.test import Client
    from django.utils import timezone

    from api.map import TRACK_MAX_BYTES, track_features
    from patrol import patrols
    from patrol.choices import Role
    from patrol.models import Patrol
    from tests.factories import JurisdictionFactory, UserFactory, VillageFactory, square

    rng = random.Random(16)
    jurisdiction = JurisdictionFactory(code="BEN", name="基准执法队", boundary=square(111.62, 40.72, 0.06))
    VillageFactory(jurisdiction=jurisdiction, name="东村", boundary=square(111.61, 40.72, 0.02))
    VillageFactory(jurisdiction=jurisdiction, name="西村", boundary=square(111.64, 40.72, 0.02))
    inspector = UserFactory(username="b_inspector", role=Role.INSPECTOR, jurisdiction=jurisdiction)
    supervisor = UserFactory(username="b_supervisor", role=Role.SUPERVISOR, jurisdiction=jurisdiction)

    # a. Patrols of 200 batches of 500 points, one point a second; the 1st batch of a fresh patrol and the 200th of
    # a long one timed in turns, so that the machine's load falls on both alike.
    from django.db import connection

    now = timezone.now()
    started = now - timedelta(seconds=BATCHES * BATCH_POINTS + 600)
    coordinates = walk(BATCHES * BATCH_POINTS, rng)

    def batch(seq):
        chunk = coordinates[seq * BATCH_POINTS:(seq + 1) * BATCH_POINTS]
        return [{"lng": lng, "lat": lat, "t": started + timedelta(seconds=seq * BATCH_POINTS + i + 1),
                 "accuracy_m": 5.0} for i, (lng, lat) in enumerate(chunk)]

    def timed(patrol, walker, seq):
        began = time.perf_counter()
        patrols.record_track(patrol_id=patrol.pk, actor=walker, seq=seq, points=batch(seq), now=now)
        return time.perf_counter() - began

    def new_patrol(n):
        walker = UserFactory(username=f"b_walker{n}", role=Role.INSPECTOR, jurisdiction=jurisdiction)
        patrol, _ = patrols.start_patrol(actor=walker, client_uuid=uuid.uuid4(), started_at=started, now=now)
        return patrol, walker

    growth = []
    long_patrols = []
    for n in range(PAIRS):
        patrol, walker = new_patrol(n)
        times = [timed(patrol, walker, seq) for seq in range(BATCHES - 1)]
        if n == 0:
            growth = times
        long_patrols.append((patrol, walker))
    firsts, lasts = [], []
    for n, (patrol, walker) in enumerate(long_patrols):
        fresh, fresh_walker = new_patrol(PAIRS + n)
        firsts.append(timed(fresh, fresh_walker, 0))
        lasts.append(timed(patrol, walker, BATCHES - 1))
    first, last = statistics.median(firsts), statistics.median(lasts)
    patrol = Patrol.objects.get(pk=long_patrols[0][0].pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_column_size(track), ST_MemSize(track) FROM patrol_patrol WHERE id = %s", [patrol.pk])
        stored, raw = cursor.fetchone()
    print(f"a. record_track, batch of {BATCH_POINTS} points, medians of {PAIRS} interleaved pairs: 1st batch of a "
          f"patrol {first * 1000:.1f} ms, {BATCHES}th {last * 1000:.1f} ms, ratio {last / first:.2f} (target ≤ 1.5)")
    print(f"   one patrol's batches 2–6 vs 195–199 (medians): {statistics.median(growth[1:6]) * 1000:.1f} / "
          f"{statistics.median(growth[-5:]) * 1000:.1f} ms; track {patrol.track_points} points, "
          f"{patrol.distance_m / 1000:.1f} km, stored {stored / 1e6:.2f} MB ({raw / 1e6:.2f} MB uncompressed)")
    Patrol.objects.filter(jurisdiction=jurisdiction).delete()

    # b. the tracks layer: 50 patrols of 10,000 points in the last 7 days.
    for n in range(LAYER_PATROLS):
        Patrol.objects.create(jurisdiction=jurisdiction, inspector=inspector, started_at=now - timedelta(hours=n + 1),
                              track=LineString(walk(LAYER_POINTS, rng), srid=4326), distance_m=26_000)
    client = Client()
    client.force_login(supervisor)
    for zoom in (12, 15, 18):
        began = time.perf_counter()
        response = client.get(f"/api/v1/map/tracks/?zoom={zoom}", HTTP_ACCEPT_ENCODING="gzip")
        elapsed = time.perf_counter() - began
        assert response.status_code == 200 and response["Content-Encoding"] == "gzip"
        body = gzip.decompress(response.content)
        data = orjson.loads(body)
        vertices = sum(len(f["geometry"]["coordinates"]) for f in data["features"])
        print(f"b. /api/v1/map/tracks/?zoom={zoom}: {len(response.content) / 1024:.0f} KB gzipped "
              f"({len(body) / 1024:.0f} KB JSON, {len(data['features'])} tracks, {vertices} vertices, tolerance "
              f"{data['tolerance_m']} m, truncated {data['truncated']}), {elapsed * 1000:.0f} ms"
              + (" (target ≤ 200 KB gz)" if zoom == 12 else ""))
    full = track_features(supervisor, now, zoom=30, max_bytes=10**9)
    raw = orjson.dumps(full)
    print(f"   unsimplified (as before #16): {len(gzip.compress(raw, 6)) / 1024:.0f} KB gzipped "
          f"({len(raw) / 1024:.0f} KB JSON); byte budget {TRACK_MAX_BYTES / 1000:.0f} KB of JSON")


if __name__ == "__main__":
    main()
