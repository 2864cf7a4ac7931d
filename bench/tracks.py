"""Patrol tracks that stay cheap (issue #16), printed, not asserted, on a throw-away PostGIS test database:

  a. the time to record one batch of 500 GPS points (patrol.patrols.record_track, the service the API calls) at
     the 1st and at the 200th batch of one patrol (100,000 points by then); target: ratio ≤ 1.5;
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

    # a. 200 batches of 500 points, one point a second.
    now = timezone.now()
    started = now - timedelta(seconds=BATCHES * BATCH_POINTS + 600)
    patrol, _ = patrols.start_patrol(actor=inspector, client_uuid=uuid.uuid4(), started_at=started, now=now)
    coordinates = walk(BATCHES * BATCH_POINTS, rng)
    times = []
    for seq in range(BATCHES):
        chunk = coordinates[seq * BATCH_POINTS:(seq + 1) * BATCH_POINTS]
        points = [{"lng": lng, "lat": lat, "t": started + timedelta(seconds=seq * BATCH_POINTS + i + 1),
                   "accuracy_m": 5.0} for i, (lng, lat) in enumerate(chunk)]
        began = time.perf_counter()
        patrols.record_track(patrol_id=patrol.pk, actor=inspector, seq=seq, points=points, now=now)
        times.append(time.perf_counter() - began)
    patrol.refresh_from_db()
    first, last = times[0], times[-1]
    early, late = statistics.median(times[1:6]), statistics.median(times[-5:])
    print(f"a. record_track, batch of {BATCH_POINTS} points: 1st {first * 1000:.1f} ms, {BATCHES}th "
          f"{last * 1000:.1f} ms, ratio {last / first:.2f} (target ≤ 1.5); medians of batches 2–6 vs the last 5: "
          f"{early * 1000:.1f} / {late * 1000:.1f} ms, ratio {late / early:.2f}; track {patrol.track_points} points, "
          f"{patrol.distance_m / 1000:.1f} km")
    Patrol.objects.filter(pk=patrol.pk).delete()

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
