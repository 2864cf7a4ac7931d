"""卫片图斑 figures (issue #19), printed, not asserted:

  a. import of 10,000 图斑 with 50–500 vertices each (star-shaped building plots, 20–80 m across) from a GeoPackage
     in CGCS2000 / Gauss-Krüger zone 37 (EPSG:4527): `manage.py import_tuban … --commit` in its own process, wall
     time (target ≤ 60 s) and peak RSS (target ≤ 500 MB); then the re-import of the same file (all unchanged);
  b. the 图斑 map endpoint with all 10,000 in view at zoom 13 and 16: the endpoint's code path
     (tuban.selectors.feature_collection + orjson, simplified by zoom) ÷ raw SQL that builds the same
     FeatureCollection in the database (json_agg of the same simplified geometry and properties); target ≤ 2.0;
     and the whole request through Django's test Client (gzip included).

It makes and drops its own PostGIS test database (bench/_setup.py):

  DATABASE_URL=postgis://postgres@127.0.0.1:5432/xbenchtuban .venv/bin/python bench/satellite.py

(from the repository root: Celery puts the working directory first on the import path, and this folder has
scripts named like the apps.)
"""
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

# This folder holds scripts named like the apps (documents.py): keep it off the import path, import from the root.
BENCH = Path(__file__).resolve().parent
sys.path[:] = [str(BENCH.parent)] + [p for p in sys.path if p and Path(p).resolve() != BENCH]

from bench._setup import ROOT, django_with_test_database  # noqa: E402

VERTICES = (50, 500)
COUNT = int(os.environ.get("TUBAN_COUNT", "10000"))
RUNS = int(os.environ.get("RUNS", "3"))
# A township of about 12 × 9 km near Hohhot, seven villages side by side.
WEST, SOUTH, EAST, NORTH = 111.56, 40.70, 111.70, 40.78


def star(lng, lat, vertices, radius_m, rng):
    """A simple (star-shaped) ring of ``vertices`` points around (lng, lat)."""
    k = math.cos(math.radians(lat))
    angles = sorted(rng.uniform(0, 2 * math.pi) for _ in range(vertices))
    ring = []
    for angle in angles:
        r = radius_m * rng.uniform(0.6, 1.0)
        ring.append([round(lng + r * math.cos(angle) / (111_320 * k), 8), round(lat + r * math.sin(angle) / 110_574, 8)])
    ring.append(ring[0])
    return ring


def make_file(folder, count):
    rng = random.Random(19)
    features = []
    for n in range(count):
        lng, lat = rng.uniform(WEST + 0.002, EAST - 0.002), rng.uniform(SOUTH + 0.002, NORTH - 0.002)
        features.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [
            star(lng, lat, rng.randint(*VERTICES), rng.uniform(10, 40), rng)]},
            "properties": {"TBBH": f"150121-2026Q3-{n:05d}", "JCSJ": "2026-09-30", "QSX": "2026-03-01",
                           "HSX": "2026-08-20", "BHLX": rng.choice(["新增建设用地", "推填土", "设施农用地"]),
                           "MJ": round(rng.uniform(200, 5000), 1), "XZQDM": "150121101"}})
    source = folder / "tuban.geojson"
    source.write_text(json.dumps({"type": "FeatureCollection", "name": "tuban", "features": features}))
    target = folder / "tuban.gpkg"
    subprocess.run(["ogr2ogr", "-f", "GPKG", "-s_srs", "EPSG:4326", "-t_srs", "EPSG:4527", "-nln", "tuban",
                    str(target), str(source)], check=True)
    return target


# manage.py in a process of its own that reports its own peak RSS and CPU time when it ends (RUSAGE_CHILDREN would
# also count ogr2ogr, which reads the whole GeoJSON into memory).
MEASURED = """
import resource, runpy, sys
sys.argv = sys.argv[1:]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
finally:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"RUSAGE {usage.ru_maxrss} {usage.ru_utime + usage.ru_stime:.1f}", file=sys.stderr)
"""


def run_import(path, database_url):
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURED, str(ROOT / "manage.py"), "import_tuban", str(path),
                           "--jurisdiction", "BEN", "--batch", "2026年第三季度", "--due", "2026-12-31", "--commit"],
                          env=env, capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - started
    if done.returncode:
        print(done.stdout[-2000:], done.stderr[-2000:])
        raise SystemExit("import failed")
    peak_kb, cpu_s = done.stderr.rsplit("RUSAGE ", 1)[1].split()
    summary = [line for line in done.stdout.splitlines() if "批次" in line][-1]
    return elapsed, int(peak_kb), float(cpu_s), summary


def timed(fn, runs=RUNS):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), min(times)


def main():
    drop = django_with_test_database()
    try:
        bench()
    finally:
        drop()


def bench():
    import orjson
    from django.contrib.gis.geos import MultiPolygon, Polygon
    from django.db import connection
    from django.test import Client

    from gis.models import Jurisdiction, Village
    from patrol.choices import Role
    from patrol.models import User
    from tuban import selectors
    from tuban.models import Tuban

    jurisdiction = Jurisdiction.objects.create(code="BEN", name="基准镇")
    step = (EAST - WEST) / 7
    for n in range(7):
        Village.objects.create(jurisdiction=jurisdiction, name=f"第{n + 1}村", boundary=MultiPolygon(
            Polygon.from_bbox((WEST + n * step, SOUTH, WEST + (n + 1) * step, NORTH)), srid=4326))
    supervisor = User.objects.create_user("bench-supervisor", password="x", role=Role.SUPERVISOR,
                                          jurisdiction=jurisdiction)
    connection.close()  # the import runs in its own process on the same database
    database_url = "postgis://{USER}@{HOST}:{PORT}/{NAME}".format(**connection.settings_dict)

    with os.popen("nproc") as cpus, open("/proc/loadavg") as load:
        print(f"Xuncha 卫片图斑 benchmark · {date.today()} · {cpus.read().strip()} CPUs "
              f"(load {' '.join(load.read().split()[:3])})")
    # The file takes minutes to make: kept between runs (the same seed makes the same file).
    folder = Path(tempfile.gettempdir()) / f"xuncha-tuban-bench-{COUNT}"
    if not (folder / "tuban.gpkg").exists():
        folder.mkdir(exist_ok=True)
        started = time.perf_counter()
        make_file(folder, COUNT)
        (folder / "tuban.geojson").unlink()
        print(f"(file made in {time.perf_counter() - started:.1f} s)")
    path = folder / "tuban.gpkg"
    vertices = int(subprocess.run(["ogrinfo", "-q", "-sql", "SELECT SUM(ST_NPoints(geom)) FROM tuban", str(path)],
                                  capture_output=True, text=True, check=True).stdout.rsplit("=", 1)[1].split()[0])
    print(f"file: {COUNT:,} 图斑, {vertices:,} vertices ({vertices / COUNT:.0f} per 图斑), GeoPackage in EPSG:4527, "
          f"{path.stat().st_size / 2**20:.1f} MiB")
    elapsed, peak_kb, cpu_s, summary = run_import(path, database_url)
    print(f"a. import --commit: {elapsed:.1f} s wall, {cpu_s:.1f} s CPU of the import process (target ≤ 60 s), "
          f"peak RSS {peak_kb / 1024:.0f} MB (target ≤ 500 MB)\n   {summary}")
    elapsed, peak_kb, cpu_s, summary = run_import(path, database_url)
    print(f"   re-import of the same file: {elapsed:.1f} s wall, {cpu_s:.1f} s CPU, peak RSS {peak_kb / 1024:.0f} MB"
          f"\n   {summary}")

    assert Tuban.objects.count() == COUNT
    assert not Tuban.objects.filter(village__isnull=True).exists()
    bbox = (WEST, SOUTH, EAST, NORTH)
    for zoom in (13, 16):
        tolerance = selectors.tolerance_for_zoom(zoom)

        def endpoint_path():
            queryset = selectors.in_bbox(selectors.tuban_for(supervisor), bbox)
            return orjson.dumps(selectors.feature_collection(queryset, zoom))

        raw = f"""
            SELECT json_build_object('type', 'FeatureCollection', 'truncated', false, 'features', coalesce(json_agg(
              json_build_object('type', 'Feature', 'id', t.id,
                'geometry', ST_AsGeoJSON(ST_Multi(ST_SimplifyPreserveTopology(t.polygon, %s)), 6)::json,
                'properties', json_build_object('id', t.id, 'number', t.number,
                  'status', CASE WHEN t.status IN ('verified_illegal', 'already_handled') AND c.status = 'closed'
                                 THEN 'rectified' ELSE t.status END,
                  'batch', t.batch_id, 'village', t.village_id, 'village_name', coalesce(v.name, ''),
                  'assignee', t.assignee_id, 'change_type', t.change_type, 'area_m2', round(t.area_m2::numeric, 1),
                  'monitored_on', t.monitored_on, 'case', t.case_id)) ORDER BY t.id), '[]'))::text
            FROM {Tuban._meta.db_table} t
            LEFT JOIN {Village._meta.db_table} v ON v.id = t.village_id
            LEFT JOIN patrol_case c ON c.id = t.case_id
            WHERE t.jurisdiction_id = %s AND t.polygon && ST_MakeEnvelope(%s, %s, %s, %s, 4326)"""

        def raw_sql():
            with connection.cursor() as cursor:
                cursor.execute(raw, [tolerance, jurisdiction.pk, *bbox])
                return cursor.fetchone()[0].encode()

        ours, theirs = endpoint_path(), raw_sql()
        same = len(orjson.loads(ours)["features"]) == len(orjson.loads(theirs)["features"]) == COUNT
        path_ms, path_min = timed(endpoint_path)
        raw_ms, raw_min = timed(raw_sql)
        client = Client()
        client.force_login(supervisor)
        url = f"/api/v1/tuban/?bbox={','.join(map(str, bbox))}&zoom={zoom}"
        sizes = {}

        def request():
            response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
            assert response.status_code == 200
            sizes["gzip"] = len(response.content)

        request_ms, _ = timed(request, runs=2)
        print(f"b. zoom {zoom}: {COUNT:,} 图斑 in view (same features: {same}), medians of {RUNS}\n"
              f"   raw SQL building the FeatureCollection in PostGIS   {raw_ms:8.1f} ms (min {raw_min:.1f}) "
              f"{len(theirs):,} B\n"
              f"   endpoint path (values_list + orjson)               {path_ms:8.1f} ms (min {path_min:.1f}) "
              f"{len(ours):,} B\n"
              f"   ratio endpoint ÷ raw (target ≤ 2.0)                    {path_ms / raw_ms:.2f}\n"
              f"   GET /api/v1/tuban/ through the test Client, gzip   {request_ms:8.1f} ms, {sizes['gzip']:,} B")


if __name__ == "__main__":
    main()
