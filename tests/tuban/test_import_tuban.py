"""`manage.py import_tuban`: a batch of 图斑 from real files, reprojected, repaired, idempotent."""
import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from gis.models import Village
from tests.tuban.files import bowtie, geopackage, square, tuban_feature, write_geojson, zipped_shapefile
from tuban.models import Tuban, TubanBatch, TubanColumns

pytestmark = pytest.mark.django_db

# Inside the test jurisdiction's 东村 (111.60–111.62, 40.70–40.72) and 西村 (111.62–111.64).
EAST = (111.605, 40.705)
WEST = (111.625, 40.705)


def run(path, jurisdiction="TST", batch="2026年第三季度", **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_tuban", str(path), jurisdiction=jurisdiction, batch=batch, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def three_tuban():
    return [tuban_feature("T001", square(*EAST)), tuban_feature("T002", square(*WEST)),
            tuban_feature("T003", square(EAST[0] + 0.005, EAST[1] + 0.005), BHLX="推填土")]


def close_to(a, b, tolerance=2e-7):
    return abs(a[0] - b[0]) < tolerance and abs(a[1] - b[1]) < tolerance


def test_a_zipped_shapefile_in_cgcs2000_is_a_dry_run_until_committed(tmp_path, jurisdiction):
    archive = zipped_shapefile(tmp_path, three_tuban(), 4490)

    out, _ = run(archive)
    assert "EPSG:4490" in out and "新增 3 个图斑" in out and "试运行" in out
    assert not Tuban.objects.exists() and not TubanBatch.objects.exists()

    out, _ = run(archive, commit=True, due="2026-12-31")
    assert "已写入数据库" in out
    batch = TubanBatch.objects.get()
    assert (batch.name, batch.due_date, batch.source_file, batch.source_srs) == (
        "2026年第三季度", date(2026, 12, 31), "tuban.zip", "EPSG:4490")
    first = Tuban.objects.get(number="T001")
    assert first.jurisdiction == jurisdiction and first.village.name == "东村"
    assert Tuban.objects.get(number="T002").village.name == "西村"
    assert (first.monitored_on, first.before_imaged_on, first.after_imaged_on) == (
        date(2026, 10, 15), date(2026, 3, 1), date(2026, 9, 20))
    assert (first.change_type, first.reported_area, first.status) == ("新增建设用地", 402.5, "pending")
    assert first.attributes == {"XZQDM": "150121101"}  # the columns nobody mapped are kept as they are
    assert close_to(first.polygon.coords[0][0][0], EAST)
    # 0.002° × 0.002° at 40.7° N is about 169 m × 222 m.
    assert 36_000 < first.area_m2 < 39_000
    assert Tuban.objects.get(number="T003").change_type == "推填土"


def test_a_gauss_kruger_zone_is_reprojected_and_columns_are_mapped_per_import(tmp_path, jurisdiction):
    features = [tuban_feature("GK-1", square(*EAST), number_field="JCBH"),
                tuban_feature("GK-2", square(*WEST), number_field="JCBH")]
    archive = zipped_shapefile(tmp_path, features, 4527)  # CGCS2000 / 3-degree Gauss-Kruger zone 37 (111°E)

    with pytest.raises(CommandError):
        run(archive, commit=True)  # no TBBH column: refused, nothing written
    assert not Tuban.objects.exists()

    out, _ = run(archive, commit=True, columns=["TBBH=JCBH"])
    assert "TBBH=JCBH" in out
    polygon = Tuban.objects.get(number="GK-1").polygon
    # Through the zone's metres and back: within a few centimetres of where it was drawn.
    assert close_to(polygon.coords[0][0][0], EAST) and close_to(polygon.coords[0][0][2], (EAST[0] + 0.002,
                                                                                        EAST[1] + 0.002))
    assert Tuban.objects.get(number="GK-2").village.name == "西村"


def test_a_jurisdiction_may_name_its_own_columns(tmp_path, jurisdiction):
    TubanColumns.objects.create(jurisdiction=jurisdiction, columns={"TBBH": "JCBH", "MJ": "AREA"})
    features = [tuban_feature("J-1", square(*EAST), number_field="JCBH", AREA=1.5)]
    run(write_geojson(tmp_path / "j.geojson", features), commit=True)
    tuban = Tuban.objects.get(number="J-1")
    # MJ is read from AREA; the file's own MJ column is then just another attribute.
    assert tuban.reported_area == 1.5 and tuban.attributes["MJ"] == 402.5


def test_a_geopackage_is_imported(tmp_path, jurisdiction):
    run(geopackage(tmp_path, three_tuban()), commit=True)
    assert sorted(Tuban.objects.values_list("number", flat=True)) == ["T001", "T002", "T003"]
    assert Tuban.objects.get(number="T001").monitored_on == date(2026, 10, 15)


def test_a_self_intersecting_polygon_is_repaired_and_said_so(tmp_path, jurisdiction):
    features = [tuban_feature("BOW", bowtie(*EAST)), tuban_feature("OK", square(*WEST))]
    _, err = run(zipped_shapefile(tmp_path, features, 4490), commit=True)
    assert "BOW" in err and "make_valid" in err
    repaired = Tuban.objects.get(number="BOW").polygon
    assert repaired.valid and len(repaired) == 2  # the figure eight became its two triangles
    assert repaired.area == pytest.approx(0.002 * 0.002 / 2, rel=1e-3)


def test_reimporting_the_same_batch_changes_nothing(tmp_path, jurisdiction):
    archive = zipped_shapefile(tmp_path, three_tuban(), 4490)
    run(archive, commit=True)
    ids = sorted(Tuban.objects.values_list("pk", flat=True))
    out, _ = run(archive, commit=True)
    assert "新增 0 个图斑，不变 3 个，图形有变化 0 个" in out
    assert sorted(Tuban.objects.values_list("pk", flat=True)) == ids and TubanBatch.objects.count() == 1
    # The same file as another batch is another batch.
    run(archive, commit=True, batch="2026年第四季度")
    assert Tuban.objects.count() == 6


def test_a_changed_polygon_under_the_same_number_is_reported_not_overwritten(tmp_path, jurisdiction):
    run(zipped_shapefile(tmp_path, three_tuban(), 4490), commit=True)
    before = Tuban.objects.get(number="T002").polygon
    moved = three_tuban()
    moved[1] = tuban_feature("T002", square(WEST[0] + 0.001, WEST[1]))  # shifted about 84 m east
    moved.append(tuban_feature("T004", square(EAST[0], EAST[1] + 0.01)))
    (tmp_path / "second").mkdir()
    out, _ = run(zipped_shapefile(tmp_path / "second", moved, 4490), commit=True)
    assert "新增 1 个图斑，不变 2 个，图形有变化 1 个（未覆盖）" in out
    assert "T002" in out.split("图形有变化（未覆盖")[1]
    assert Tuban.objects.get(number="T002").polygon.equals_exact(before, 1e-9)
    assert Tuban.objects.filter(number="T004").exists()


def test_a_file_with_a_duplicate_or_missing_number_is_refused_whole(tmp_path, jurisdiction):
    features = [tuban_feature("D1", square(*EAST)), tuban_feature("D1", square(*WEST)),
                tuban_feature("", square(EAST[0], EAST[1] + 0.005))]
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_tuban", str(write_geojson(tmp_path / "d.geojson", features)), jurisdiction="TST",
                     batch="B", commit=True, stdout=io.StringIO(), stderr=err)
    assert "图斑编号与第 1 个要素重复" in err.getvalue() and "缺少图斑编号" in err.getvalue()
    assert not Tuban.objects.exists() and not TubanBatch.objects.exists()


def test_a_tuban_outside_every_village_is_imported_without_one_and_named(tmp_path, jurisdiction):
    assert Village.objects.filter(jurisdiction=jurisdiction).count() == 2
    _, err = run(write_geojson(tmp_path / "o.geojson", [tuban_feature("FAR", square(111.70, 40.80))]), commit=True)
    assert "FAR" in err and Tuban.objects.get(number="FAR").village is None


def test_a_batch_is_read_and_written_a_chunk_at_a_time(tmp_path, jurisdiction, monkeypatch):
    """A batch of 10,000 图斑 held whole took 717 MB (bench/satellite.py): the file is read as it is imported, each
    chunk compared with the stored 图斑 of the same numbers and inserted before the next one is read."""
    from django.db import connection

    from tuban import importers

    monkeypatch.setattr(importers, "BULK_SIZE", 2)
    events = []
    read_feature = importers._read_feature

    def reading(number, *args):
        events.append("read")
        return read_feature(number, *args)

    def watching(execute, sql, params, many, context):
        if f'"{Tuban._meta.db_table}"' in sql and sql.lstrip().startswith(("SELECT", "INSERT")):
            events.append(sql.lstrip().split()[0].lower())
        return execute(sql, params, many, context)

    monkeypatch.setattr(importers, "_read_feature", reading)
    path = write_geojson(tmp_path / "five.geojson", [
        tuban_feature(f"C{n}", square(EAST[0] + n * 0.0025, EAST[1])) for n in range(5)])
    with connection.execute_wrapper(watching):
        out, _ = run(path, commit=True)
    assert "新增 5 个图斑" in out
    chunk = ["read", "read", "select", "insert"]
    assert events == chunk + chunk + ["read", "select", "insert"]

    events.clear()
    with connection.execute_wrapper(watching):
        out, _ = run(path, commit=True)
    assert "新增 0 个图斑，不变 5 个" in out
    assert events == ["read", "read", "select"] * 2 + ["read", "select"]
    assert Tuban.objects.count() == 5


def test_an_error_late_in_the_file_takes_back_the_chunks_already_written(tmp_path, jurisdiction, monkeypatch):
    from tuban import importers

    monkeypatch.setattr(importers, "BULK_SIZE", 2)
    features = [tuban_feature(f"E{n}", square(EAST[0] + n * 0.0025, EAST[1])) for n in range(5)]
    features.append(tuban_feature("E0", square(*WEST)))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_tuban", str(write_geojson(tmp_path / "late.geojson", features)), jurisdiction="TST",
                     batch="B", commit=True, stdout=io.StringIO(), stderr=err)
    assert "第 6 个要素" in err.getvalue() and "图斑编号与第 1 个要素重复" in err.getvalue()
    assert not Tuban.objects.exists() and not TubanBatch.objects.exists()
