"""`manage.py import_villages`: boundary files in, villages out — or a clear refusal and no writes."""
import io
import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.gis.gdal import CoordTransform, DataSource, SpatialReference
from django.contrib.gis.geos import MultiPolygon, Point
from django.core.management import CommandError, call_command

from gis.importers import area_km2, read_village_boundaries
from gis.models import Jurisdiction, Village

DATA_DIR = Path(settings.BASE_DIR) / "gis" / "data"
LWG_FILE = DATA_DIR / "lwg_villages.geojson"
DEMO2_FILE = DATA_DIR / "demo2_villages.geojson"
pytestmark = pytest.mark.smoke

LWG_NAMES = {"龙王沟村", "前营子村", "后营子村", "大榆树村", "三道河村", "红山村", "新地村"}


# --- helpers ------------------------------------------------------------------------------------


def square(lon, lat, size=0.02):
    return [[[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]]


def feature(properties, geometry):
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def polygon_feature(name, lon, lat, code=None, size=0.02):
    properties = {"name": name} if code is None else {"name": name, "code": code}
    return feature(properties, {"type": "Polygon", "coordinates": square(lon, lat, size)})


def write_geojson(path, *features, name="villages"):
    path.write_text(
        json.dumps({"type": "FeatureCollection", "name": name, "features": list(features)}, ensure_ascii=False),
        encoding="utf-8",
    )
    return path


def three_villages(tmp_path):
    return write_geojson(
        tmp_path / "villages.geojson",
        polygon_feature("东村", 111.60, 40.75, "150121101301"),
        polygon_feature("西村", 111.62, 40.75, "150121101302"),
        polygon_feature("南村", 111.60, 40.73, "150121101303"),
    )


def ogr2ogr(*args):
    subprocess.run(["ogr2ogr", *map(str, args)], check=True, capture_output=True)


def run(path, jurisdiction="LWG", **options):
    """Call the command; return (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command("import_villages", str(path), jurisdiction=jurisdiction, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def refusal(path, jurisdiction="LWG", **options):
    """Call the command expecting a refusal; return (CommandError text, stderr)."""
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_villages", str(path), jurisdiction=jurisdiction, stdout=io.StringIO(), stderr=err,
                     **options)
    return str(raised.value), err.getvalue()


def has_vertex_near(geometry, lon, lat, tolerance=1e-7):
    return any(abs(x - lon) < tolerance and abs(y - lat) < tolerance for x, y in geometry.coords[0][0])


@pytest.fixture
def lwg(db):
    return Jurisdiction.objects.create(code="LWG", name="龙王沟乡村振兴示范区")


# --- the happy path -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_dry_run_lists_what_would_be_created_and_writes_nothing(lwg, tmp_path):
    out, err = run(three_villages(tmp_path), update_jurisdiction_boundary=True)

    assert "东村" in out and "西村" in out and "南村" in out
    assert "新建 3 个村" in out
    assert "--commit" in out
    assert err == ""
    assert Village.objects.count() == 0
    lwg.refresh_from_db()
    assert lwg.boundary is None


@pytest.mark.django_db
def test_commit_creates_the_villages_with_names_codes_and_multipolygon_boundaries(lwg, tmp_path):
    out, _ = run(three_villages(tmp_path), commit=True)

    assert "已写入数据库" in out
    villages = {village.name: village for village in Village.objects.filter(jurisdiction=lwg)}
    assert set(villages) == {"东村", "西村", "南村"}
    east = villages["东村"]
    assert east.code == "150121101301"
    assert isinstance(east.boundary, MultiPolygon) and east.boundary.srid == 4326
    assert east.boundary.contains(Point(111.61, 40.76, srid=4326))
    assert not east.boundary.contains(Point(111.63, 40.76, srid=4326))


@pytest.mark.django_db
def test_rerun_updates_the_changed_village_instead_of_duplicating_it(lwg, tmp_path):
    run(three_villages(tmp_path), commit=True)
    moved = write_geojson(
        tmp_path / "moved.geojson",
        polygon_feature("东村", 111.60, 40.75, "150121101301", size=0.025),
        polygon_feature("西村", 111.62, 40.75, "150121101302"),
        polygon_feature("南村", 111.60, 40.73, "150121101303"),
    )

    out, _ = run(moved, commit=True)

    assert "新建 0 个村，更新 1 个，不变 2 个" in out
    assert Village.objects.filter(jurisdiction=lwg).count() == 3
    east = Village.objects.get(jurisdiction=lwg, name="东村")
    assert east.boundary.contains(Point(111.624, 40.774, srid=4326))


@pytest.mark.django_db
def test_villages_missing_from_the_file_are_kept_and_reported(lwg, tmp_path):
    run(three_villages(tmp_path), commit=True)
    only_east = write_geojson(tmp_path / "east.geojson", polygon_feature("东村", 111.60, 40.75))

    out, _ = run(only_east, commit=True)

    assert Village.objects.filter(jurisdiction=lwg).count() == 3
    assert "南村" in out and "西村" in out and "从不删除" in out


@pytest.mark.django_db
def test_a_file_without_codes_leaves_the_codes_already_entered_alone(lwg, tmp_path):
    run(three_villages(tmp_path), commit=True)
    no_codes = write_geojson(tmp_path / "no_codes.geojson", polygon_feature("东村", 111.60, 40.75))

    run(no_codes, commit=True)

    assert Village.objects.get(jurisdiction=lwg, name="东村").code == "150121101301"


@pytest.mark.django_db
def test_update_jurisdiction_boundary_sets_the_union_of_all_its_villages(lwg, tmp_path):
    out, _ = run(three_villages(tmp_path), commit=True, update_jurisdiction_boundary=True)

    lwg.refresh_from_db()
    assert isinstance(lwg.boundary, MultiPolygon)
    for lon, lat in [(111.61, 40.76), (111.63, 40.76), (111.61, 40.74)]:
        assert lwg.boundary.contains(Point(lon, lat, srid=4326))
    assert not lwg.boundary.contains(Point(111.63, 40.74, srid=4326))
    assert "并集" in out


@pytest.mark.django_db
def test_another_name_field_can_be_chosen(lwg, tmp_path):
    path = write_geojson(
        tmp_path / "xzqh.geojson",
        feature({"XZQMC": "东村", "name": "ignored"}, {"type": "Polygon", "coordinates": square(111.60, 40.75)}),
    )

    run(path, commit=True, name_field="XZQMC")

    assert list(Village.objects.values_list("name", flat=True)) == ["东村"]


@pytest.mark.django_db
def test_chinese_name_field_is_found_without_being_named(lwg, tmp_path):
    path = write_geojson(
        tmp_path / "cun.geojson",
        feature({"村名": "东村", "村代码": "150121101301"}, {"type": "Polygon", "coordinates": square(111.60, 40.75)}),
    )

    run(path, commit=True)

    assert list(Village.objects.values_list("name", "code")) == [("东村", "150121101301")]


# --- other formats and coordinate systems -------------------------------------------------------


@pytest.mark.django_db
def test_shapefile_in_cgcs2000_gauss_kruger_is_reprojected_to_wgs84(lwg, tmp_path):
    shapefile = tmp_path / "villages_4547.shp"
    ogr2ogr("-f", "ESRI Shapefile", "-t_srs", "EPSG:4547", "-lco", "ENCODING=UTF-8", shapefile,
            three_villages(tmp_path))
    stored_x = DataSource(str(shapefile))[0].extent.min_x
    assert stored_x > 100_000  # the file really holds metres, not degrees

    out, _ = run(shapefile, commit=True)

    assert "EPSG:4547" in out
    east = Village.objects.get(jurisdiction=lwg, name="东村")
    assert has_vertex_near(east.boundary, 111.60, 40.75)
    assert has_vertex_near(east.boundary, 111.62, 40.77)


@pytest.mark.django_db
def test_zipped_web_mercator_shapefile_is_read_inside_the_zip(lwg, tmp_path):
    shapefile = tmp_path / "villages_3857.shp"
    ogr2ogr("-f", "ESRI Shapefile", "-t_srs", "EPSG:3857", "-lco", "ENCODING=UTF-8", shapefile,
            three_villages(tmp_path))
    archive = tmp_path / "villages.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for part in tmp_path.glob("villages_3857.*"):
            zipped.write(part, f"村界/{part.name}")

    run(archive, commit=True)

    west = Village.objects.get(jurisdiction=lwg, name="西村")
    assert west.code == "150121101302"
    assert has_vertex_near(west.boundary, 111.62, 40.75)


@pytest.mark.django_db
def test_shapefile_without_prj_is_refused_because_its_coordinates_mean_nothing(lwg, tmp_path):
    shapefile = tmp_path / "villages_4547.shp"
    ogr2ogr("-f", "ESRI Shapefile", "-t_srs", "EPSG:4547", shapefile, three_villages(tmp_path))
    shapefile.with_suffix(".prj").unlink()

    message, err = refusal(shapefile, commit=True)

    assert ".prj" in err
    assert "未写入" in message
    assert Village.objects.count() == 0


@pytest.mark.django_db
def test_geopackage_layer_is_read(lwg, tmp_path):
    package = tmp_path / "villages.gpkg"
    ogr2ogr("-f", "GPKG", "-nln", "行政村", package, three_villages(tmp_path))

    out, _ = run(package, commit=True)

    assert "GeoPackage" in out
    assert set(Village.objects.values_list("name", flat=True)) == {"东村", "西村", "南村"}


@pytest.mark.django_db
def test_geopackage_with_several_layers_needs_the_layer_option(lwg, tmp_path):
    package = tmp_path / "two_layers.gpkg"
    ogr2ogr("-f", "GPKG", "-nln", "行政村", package, three_villages(tmp_path))
    other = write_geojson(tmp_path / "towns.geojson", polygon_feature("某镇", 111.5, 40.7))
    ogr2ogr("-f", "GPKG", "-update", "-nln", "乡镇", package, other)

    message, err = refusal(package)
    assert "--layer" in err and "行政村" in err and "乡镇" in err

    run(package, commit=True, layer="行政村")
    assert Village.objects.count() == 3


# --- geometry repaired or refused ---------------------------------------------------------------


@pytest.mark.django_db
def test_self_intersecting_bowtie_is_repaired_with_a_warning_naming_the_feature(lwg, tmp_path):
    bowtie = [[[111.60, 40.75], [111.62, 40.77], [111.62, 40.75], [111.60, 40.77], [111.60, 40.75]]]
    path = write_geojson(
        tmp_path / "bowtie.geojson",
        polygon_feature("东村", 111.64, 40.75),
        feature({"name": "蝴蝶村"}, {"type": "Polygon", "coordinates": bowtie}),
    )

    out, err = run(path, commit=True)

    assert "第 2 个要素（“蝴蝶村”）" in err
    assert "修复" in err and "Self-intersection" in err
    village = Village.objects.get(jurisdiction=lwg, name="蝴蝶村")
    assert village.boundary.valid
    assert len(village.boundary) == 2  # the two triangles of the bowtie
    assert village.boundary.area == pytest.approx(0.0002)


@pytest.mark.django_db
def test_point_feature_is_refused_naming_the_feature_and_nothing_is_written(lwg, tmp_path):
    path = write_geojson(
        tmp_path / "with_point.geojson",
        polygon_feature("东村", 111.60, 40.75),
        feature({"name": "村委会"}, {"type": "Point", "coordinates": [111.61, 40.76]}),
    )

    message, err = refusal(path, commit=True)

    assert "第 2 个要素（“村委会”）" in err and "Point" in err
    assert "1 个错误" in message
    assert Village.objects.count() == 0


@pytest.mark.django_db
def test_feature_without_geometry_is_refused(lwg, tmp_path):
    path = write_geojson(tmp_path / "null.geojson", feature({"name": "东村"}, None))

    _, err = refusal(path, commit=True)

    assert "第 1 个要素（“东村”）" in err and "没有几何" in err


@pytest.mark.django_db
def test_feature_without_a_name_is_refused(lwg, tmp_path):
    path = write_geojson(
        tmp_path / "nameless.geojson",
        polygon_feature("东村", 111.60, 40.75),
        feature({"name": "  "}, {"type": "Polygon", "coordinates": square(111.62, 40.75)}),
    )

    _, err = refusal(path, commit=True)

    assert "第 2 个要素（无名称）" in err and "缺少村名" in err
    assert Village.objects.count() == 0


@pytest.mark.django_db
def test_duplicate_names_in_the_file_are_refused(lwg, tmp_path):
    path = write_geojson(
        tmp_path / "twice.geojson",
        polygon_feature("东村", 111.60, 40.75),
        polygon_feature("西村", 111.62, 40.75),
        polygon_feature("东村", 111.60, 40.73),
    )

    _, err = refusal(path, commit=True)

    assert "第 3 个要素（“东村”）" in err and "第 1 个要素同名" in err
    assert Village.objects.count() == 0


@pytest.mark.django_db
def test_projected_coordinates_in_geojson_without_crs_are_refused_as_out_of_range(lwg, tmp_path):
    metres = [[[500000, 4500000], [502000, 4500000], [502000, 4502000], [500000, 4502000], [500000, 4500000]]]
    path = write_geojson(tmp_path / "metres.geojson", feature({"name": "东村"}, {"type": "Polygon",
                                                                                 "coordinates": metres}))

    _, err = refusal(path, commit=True)

    assert "第 1 个要素（“东村”）" in err and "超出经纬度范围" in err


@pytest.mark.django_db
def test_overlapping_villages_get_a_warning(lwg, tmp_path):
    path = write_geojson(
        tmp_path / "overlap.geojson",
        polygon_feature("东村", 111.60, 40.75),
        polygon_feature("西村", 111.61, 40.75),
    )

    _, err = run(path)

    assert "重叠" in err and "“东村”" in err and "“西村”" in err


# --- wrong input --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_unknown_jurisdiction_is_refused_naming_it_and_listing_the_existing_codes(lwg, tmp_path):
    Jurisdiction.objects.create(code="DEMO2", name="试验镇")

    message, _ = refusal(three_villages(tmp_path), jurisdiction="XYZ", commit=True)

    assert "XYZ" in message and "DEMO2" in message and "LWG" in message
    assert Village.objects.count() == 0


@pytest.mark.django_db
def test_plain_text_file_is_refused_with_a_clear_message(lwg, tmp_path):
    text = tmp_path / "村名单.txt"
    text.write_text("龙王沟村\n前营子村\n", encoding="utf-8")

    message, err = refusal(text, commit=True)

    assert "GDAL 不认识这种文件" in err and "GeoJSON" in err
    assert "Traceback" not in err
    assert "1 个错误" in message


@pytest.mark.django_db
def test_missing_file_is_refused(lwg, tmp_path):
    _, err = refusal(tmp_path / "nowhere.geojson")

    assert "文件不存在" in err


# --- the demo boundaries shipped with the app ---------------------------------------------------


@pytest.mark.django_db
def test_shipped_lwg_villages_import_cleanly_as_seven_tiles_without_overlaps_or_gaps(lwg):
    out, err = run(LWG_FILE, commit=True, update_jurisdiction_boundary=True)

    assert err == ""
    villages = list(Village.objects.filter(jurisdiction=lwg))
    assert {village.name for village in villages} == LWG_NAMES
    assert {village.code for village in villages} == {f"15012110120{n}" for n in range(1, 8)}
    for village in villages:
        assert village.boundary.valid
        assert 10 <= area_km2(village.boundary) <= 25, village.name
    for i, a in enumerate(villages):
        for b in villages[i + 1:]:
            assert a.boundary.intersection(b.boundary).area == 0, (a.name, b.name)
    lwg.refresh_from_db()
    assert len(lwg.boundary) == 1 and lwg.boundary[0].num_interior_rings == 0
    neighbours = sum(a.boundary.touches(b.boundary) for i, a in enumerate(villages) for b in villages[i + 1:])
    assert neighbours >= 9  # a tiling, not seven islands


@pytest.mark.django_db
def test_shipped_demo2_village_lies_far_from_the_lwg_villages():
    result = read_village_boundaries(DEMO2_FILE)
    lwg = read_village_boundaries(LWG_FILE)

    assert result.ok and [village.name for village in result.villages] == ["试验村"]
    to_metres = CoordTransform(SpatialReference(4326), SpatialReference(4546))
    demo2_boundary = result.villages[0].boundary.transform(to_metres, clone=True)
    for village in lwg.villages:
        assert village.boundary.transform(to_metres, clone=True).distance(demo2_boundary) > 40_000
