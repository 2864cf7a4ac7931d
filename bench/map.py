"""Map figures (issue #5), printed, not asserted, on a database seeded with a million cases:

  a. a viewport of about 10,000 cases: the points code path (api.map.map_cases with the point limit raised,
     GeoJSON bytes included) ÷ the raw SQL fetch of the same rows, same run; target ≤ 2.0;
  b. the whole jurisdiction at zoom 12 through GET /api/v1/map/cases/ (Django's test Client, the real view, a
     real supervisor): server time (target ≤ 1 s), gzipped bytes (≤ 200 KB) and their ratio to a naive
     all-points GeoJSON of the same cases (≤ 1/50);
  c. queries per request of the endpoint, at both sizes.

Unlike the other benchmarks this one reads an existing database (a million rows take minutes to make):

  psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE xbench'
  psql -h 127.0.0.1 -U postgres -d xbench -c 'CREATE EXTENSION postgis'
  export DATABASE_URL=postgis://postgres@127.0.0.1:5432/xbench DJANGO_SETTINGS_MODULE=config.settings.local
  .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_demo --cases 1000000
  .venv/bin/python bench/map.py
"""
import os
import statistics
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "0")  # no query log in the timed runs

import django  # noqa: E402

django.setup()

import orjson  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.renderers import JSONRenderer  # noqa: E402
from rest_framework_gis.serializers import GeoFeatureModelSerializer  # noqa: E402

from api import map as map_data  # noqa: E402
from patrol import selectors  # noqa: E402
from patrol.models import Case, User  # noqa: E402

RUNS = 25
TARGET_POINTS = 10_000
RAW_SQL = ("SELECT id, reference, status, deadline, category, village_id, ST_X(location), ST_Y(location) "
           "FROM patrol_case WHERE jurisdiction_id = %s AND location && ST_MakeEnvelope(%s, %s, %s, %s, 4326)")


class PerFeatureSerializer(GeoFeatureModelSerializer):
    """What STYLE.md warns against, for scale: DRF-GIS, one serializer per feature."""

    class Meta:
        model = Case
        geo_field = "location"
        fields = ["id", "reference", "status", "deadline", "category", "village", "overdue"]


def timed(fn, runs=RUNS):
    fn()  # warm: plan cache, connection, imports
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), min(samples)


def interleaved(fns, runs=RUNS):
    """Medians of functions measured in turn, so that a busy moment on the machine hits them alike."""
    for fn in fns.values():
        fn()
    samples = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    return {name: (statistics.median(s), min(s)) for name, s in samples.items()}


def viewport_around(cases, lng, lat, wanted):
    """A 4:3 box around (lng, lat) holding about ``wanted`` cases, by bisection on its size."""
    low, high = 0.0005, 0.05
    for _ in range(30):
        half = (low + high) / 2
        bbox = (lng - half, lat - half * 0.75, lng + half, lat + half * 0.75)
        n = map_data.in_bbox(cases, bbox).count()
        if abs(n - wanted) <= wanted * 0.01:
            break
        low, high = (half, high) if n < wanted else (low, half)
    return bbox, n


def naive_geojson_bytes(cases, today, chunk=100_000):
    """Raw and gzipped bytes of every case as a point feature, built chunk by chunk to spare memory."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # gzip, level 6 like Django's gzip_page
    raw = gzipped = 0
    ids = cases.order_by("pk").values_list("pk", flat=True)
    first, last = ids.first(), cases.order_by("-pk").values_list("pk", flat=True).first()
    pieces = [b'{"type":"FeatureCollection","features":[']
    start, comma = first, b""
    while start <= last:
        rows = map_data.point_rows(cases.filter(pk__gte=start, pk__lt=start + chunk), chunk)
        features = map_data.point_features(rows, today)
        if features:
            body = orjson.dumps(features)[1:-1]
            pieces.append(comma + body)
            comma = b","
        for piece in pieces:
            raw += len(piece)
            gzipped += len(compressor.compress(piece))
        pieces = []
        start += chunk
    tail = b"]}"
    raw += len(tail)
    gzipped += len(compressor.compress(tail)) + len(compressor.flush())
    return raw, gzipped


def ms(seconds):
    return f"{seconds * 1000:,.1f} ms"


def main():
    user = User.objects.get(username="supervisor")
    cases = selectors.cases_for(user).order_by()
    total = cases.count()
    today = timezone.localdate()
    with connection.cursor() as cursor:
        # A table just filled by COPY has no planner statistics until autovacuum comes round.
        cursor.execute("ANALYZE patrol_case")
        cursor.execute("SELECT version(), postgis_lib_version()")
        pg_version, postgis_version = cursor.fetchone()
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"Xuncha map benchmark · {timezone.now():%Y-%m-%d %H:%M} · {os.cpu_count()} CPUs (load {load}) · "
          f"{pg_version.split(' on ')[0]} · PostGIS {postgis_version}")
    print(f"jurisdiction {user.jurisdiction.code}: {total:,} cases; the user: {user.username} ({user.role})\n")

    client = Client(HTTP_HOST="localhost")
    client.force_login(user)

    # --- a. points path vs raw SQL --------------------------------------------------------------
    village = user.jurisdiction.villages.order_by("name").first()
    centre = village.boundary.point_on_surface
    bbox, n = viewport_around(cases, centre.x, centre.y, TARGET_POINTS)
    params = [user.jurisdiction_id, *bbox]

    def raw_fetch():
        with connection.cursor() as cursor:
            cursor.execute(RAW_SQL, params)
            return cursor.fetchall()

    def points_body():
        return orjson.dumps(map_data.map_cases(cases, bbox, 17, today, limit=2 * TARGET_POINTS))

    figures = interleaved({"raw": raw_fetch, "points": points_body})
    body = points_body()
    if orjson.loads(body)["mode"] != "points":
        print("   (!) the viewport came back as clusters: the figures below are not the points path")
    drf_median, _ = timed(lambda: JSONRenderer().render(PerFeatureSerializer(
        map_data.in_bbox(cases, bbox), many=True).data), runs=3)
    endpoint_query = {"bbox": ",".join(f"{v:.6f}" for v in bbox), "zoom": 17}
    endpoint_a = client.get("/api/v1/map/cases/", endpoint_query, HTTP_ACCEPT_ENCODING="gzip")
    endpoint_a_median, _ = timed(lambda: client.get("/api/v1/map/cases/", endpoint_query,
                                                    HTTP_ACCEPT_ENCODING="gzip"), runs=5)

    raw_median, raw_min = figures["raw"]
    points_median, points_min = figures["points"]
    print(f"a. viewport of {n:,} cases ({', '.join(f'{v:.4f}' for v in bbox)}), medians of {RUNS}")
    print(f"   {'raw SQL fetch (cursor, SELECT id, …, ST_X, ST_Y … &&)':58} {ms(raw_median):>12}  (min {ms(raw_min)})")
    print(f"   {'points path: map_cases + orjson, ' + format(len(body), ',') + ' B':58} "
          f"{ms(points_median):>12}  (min {ms(points_min)})")
    print(f"   {'ratio points ÷ raw (target ≤ 2.0)':58} {points_median / raw_median:>12.2f}")
    print(f"   {'for scale: DRF-GIS serializer per feature (median of 3)':58} {ms(drf_median):>12}  "
          f"ratio {drf_median / raw_median:.0f}")
    a_mode = orjson.loads(endpoint_a.content if endpoint_a.get("Content-Encoding") != "gzip"
                          else zlib.decompress(endpoint_a.content, 31))["mode"]
    print(f"   {'the endpoint at this viewport (> 5,000 cases: ' + a_mode + ')':58} {ms(endpoint_a_median):>12}  "
          f"{len(endpoint_a.content):,} B gzipped\n")

    # --- b. whole jurisdiction at a low zoom ----------------------------------------------------
    west, south, east, north = user.jurisdiction.boundary.extent
    whole = {"bbox": f"{west:.6f},{south:.6f},{east:.6f},{north:.6f}", "zoom": 12}
    response = client.get("/api/v1/map/cases/", whole, HTTP_ACCEPT_ENCODING="gzip")
    gzipped = response.content
    plain = zlib.decompress(gzipped, 31) if response.get("Content-Encoding") == "gzip" else gzipped
    data = orjson.loads(plain)
    b_median, b_min = timed(lambda: client.get("/api/v1/map/cases/", whole, HTTP_ACCEPT_ENCODING="gzip"), runs=7)
    etag = response["ETag"]
    not_modified_median, _ = timed(lambda: client.get("/api/v1/map/cases/", whole, HTTP_ACCEPT_ENCODING="gzip",
                                                      HTTP_IF_NONE_MATCH=etag))
    status_304 = client.get("/api/v1/map/cases/", whole, HTTP_IF_NONE_MATCH=etag).status_code
    naive_raw, naive_gzip = naive_geojson_bytes(cases, today)
    print(f"b. whole jurisdiction, zoom 12 ({whole['bbox']}): {data['mode']}, {len(data['features'])} features, "
          f"total {data['total']:,}")
    print(f"   {'server time, GET /api/v1/map/cases/ with gzip (target ≤ 1 s)':58} {ms(b_median):>12}  "
          f"(min {ms(b_min)}, median of 7)")
    print(f"   {'response bytes, gzipped (target ≤ 200 KB)':58} {len(gzipped):>10,} B  ({len(plain):,} B plain)")
    print(f"   {'naive all-points GeoJSON of the same cases':58} {naive_gzip:>10,} B gzipped  ({naive_raw:,} B plain)")
    print(f"   {'ratio response ÷ naive, gzipped (target ≤ 1/50)':58}     1/{naive_gzip / len(gzipped):,.0f}"
          f"  (plain 1/{naive_raw / len(plain):,.0f})")
    print(f"   {'unchanged view: If-None-Match → ' + str(status_304):58} {ms(not_modified_median):>12}")

    # --- the page's other requests at the same view, for the record (no targets) -----------------
    print("   the page's other requests for this view (server time, median of 5):")
    for label, url, query in (("list beside the map, by deadline", "/api/v1/map/list/", {"bbox": whole["bbox"]}),
                              ("KPI strip", "/api/v1/map/kpis/", {}),
                              ("heat layer (when switched on)", "/api/v1/map/heat/", whole)):
        median, _ = timed(lambda: client.get(url, query, HTTP_ACCEPT_ENCODING="gzip"), runs=5)
        print(f"     {label:56} {ms(median):>12}")
    print()

    # --- c. queries per request ----------------------------------------------------------------
    print("c. queries per request (session and user included; the grid runs in a transaction with JIT off)")
    for label, query in (("10,000-case viewport, zoom 17 (clusters)", endpoint_query),
                         ("whole jurisdiction, zoom 12 (clusters)", whole),
                         ("small viewport, zoom 18 (points)", {
                             "bbox": f"{centre.x - 0.0008:.6f},{centre.y - 0.0006:.6f},"
                                     f"{centre.x + 0.0008:.6f},{centre.y + 0.0006:.6f}", "zoom": 18}),
                         ("unchanged view (304)", {**whole, "_etag": etag})):
        headers = {"HTTP_IF_NONE_MATCH": query.pop("_etag")} if "_etag" in query else {}
        with CaptureQueriesContext(connection) as queries:
            answer = client.get("/api/v1/map/cases/", query, **headers)
        mode = orjson.loads(answer.content)["mode"] if answer.status_code == 200 else answer.status_code
        print(f"   {label:58} {len(queries):>4}  ({mode})")


if __name__ == "__main__":
    main()
