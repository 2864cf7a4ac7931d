"""Hostile village boundary files for `manage.py import_villages` (issue #8): self-intersections repaired with a
warning naming the feature, huge coordinate arrays refused, other coordinate systems reprojected from the file's
own, and no file able to make GDAL fetch a coordinate system from a URL or a local path."""
import io
import json
import math
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.management import CommandError, call_command

from gis import importers
from gis.models import Jurisdiction, Village

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def lwg(db):
    return Jurisdiction.objects.create(code="LWG", name="龙王沟乡村振兴示范区")


def collection(*features, crs=None):
    body = {"type": "FeatureCollection", "features": list(features)}
    if crs is not None:
        body["crs"] = crs
    return body


def village(name, ring):
    return {"type": "Feature", "properties": {"name": name}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def square(x, y, size):
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]


def write(path, body):
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    return path


def run(path, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_villages", str(path), jurisdiction="LWG", stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def refusal(path, **options):
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_villages", str(path), jurisdiction="LWG", stdout=io.StringIO(), stderr=err, **options)
    return str(raised.value), err.getvalue()


def test_a_self_intersecting_polygon_is_repaired_with_a_warning_naming_it(lwg, tmp_path):
    figure_eight = [[111.60, 40.75], [111.62, 40.77], [111.62, 40.75], [111.60, 40.77], [111.60, 40.75]]
    _out, err = run(write(tmp_path / "v.geojson", collection(village("蝴蝶村", figure_eight))), commit=True)
    assert "第 1 个要素（“蝴蝶村”）" in err and "make_valid" in err
    assert Village.objects.get(name="蝴蝶村").boundary.valid


def circle(x, y, radius, vertices):
    ring = [[x + radius * math.cos(2 * math.pi * i / vertices), y + radius * math.sin(2 * math.pi * i / vertices)]
            for i in range(vertices)]
    return ring + [ring[0]]


def test_a_feature_with_more_vertices_than_the_bound_is_refused_naming_it(lwg, tmp_path):
    too_many = importers.MAX_VERTICES_PER_FEATURE + 1
    path = write(tmp_path / "huge.geojson", collection(village("东村", square(111.64, 40.75, 0.02)),
                                                         village("巨村", circle(111.60, 40.75, 0.01, too_many - 1))))
    message, err = refusal(path, commit=True)
    assert "第 2 个要素（“巨村”）" in err and f"{too_many} 个顶点" in err and "简化" in err
    assert "未写入任何数据" in message and Village.objects.count() == 0


def test_a_feature_at_the_bound_is_imported(lwg, tmp_path):
    path = write(tmp_path / "big.geojson",
                 collection(village("大村", circle(111.60, 40.75, 0.01, importers.MAX_VERTICES_PER_FEATURE - 1))))
    run(path, commit=True)
    assert Village.objects.get(name="大村").boundary.num_points == importers.MAX_VERTICES_PER_FEATURE


def test_geojson_in_another_crs_is_reprojected_from_the_crs_the_file_names(lwg, tmp_path):
    # Web Mercator metres of a 2 km square near 111.60 E, 40.75 N.
    x, y = 111.60 * 20037508.34 / 180, math.log(math.tan((90 + 40.75) * math.pi / 360)) * 20037508.34 / math.pi
    body = collection(village("东村", square(x, y, 2000)),
                      crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}})
    out, _err = run(write(tmp_path / "v3857.geojson", body), commit=True)
    assert "EPSG:3857" in out
    west, south, east, north = Village.objects.get(name="东村").boundary.extent
    assert (west, south) == (pytest.approx(111.60, abs=1e-6), pytest.approx(40.75, abs=1e-6))
    assert 0.017 < east - west < 0.019


class _Recorder(BaseHTTPRequestHandler):
    hits = []

    def do_GET(self):  # noqa: N802 - the http.server API
        self.hits.append(self.path)
        body = b'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],' \
               b'UNIT["degree",0.0174532925199433]]'
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def web_server():
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", _Recorder.hits
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("zipped", [False, True], ids=["geojson", "zipped"])
def test_a_linked_crs_is_refused_without_fetching_it(lwg, tmp_path, web_server, zipped):
    url, hits = web_server
    body = collection(village("东村", square(111.60, 40.75, 0.02)),
                      crs={"type": "link", "properties": {"href": f"{url}/crs.prj", "type": "esriwkt"}})
    path = write(tmp_path / "linked.geojson", body)
    if zipped:
        with zipfile.ZipFile(tmp_path / "linked.zip", "w") as archive:
            archive.write(path, "villages/linked.geojson")
        path = tmp_path / "linked.zip"
    message, err = refusal(path)
    assert "链接" in err and "EPSG" in err
    assert hits == [], "GDAL fetched the linked coordinate system"
    assert Village.objects.count() == 0


def test_a_named_crs_that_is_a_url_is_not_fetched(lwg, tmp_path, web_server):
    # GDAL reads a "name" crs with network and file access off; the import then goes on in plain WGS-84 degrees.
    url, hits = web_server
    body = collection(village("东村", square(111.60, 40.75, 0.02)),
                      crs={"type": "name", "properties": {"name": f"{url}/x.prj"}})
    out, _err = run(write(tmp_path / "named.geojson", body), commit=True)
    assert hits == [] and "EPSG:4326" in out
