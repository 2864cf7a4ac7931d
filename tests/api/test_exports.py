"""Ledger exports (台账): each format read back, filters, jurisdiction isolation, and large exports as jobs."""
import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal
from urllib.parse import quote

import openpyxl
import pytest
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from documents.choices import DocumentKind
from documents.services import issue_document, record_service
from exports import formats, services
from patrol import workflow
from patrol.choices import Category, NoticeKind, Resolution, Status
from patrol.models import Case, Notice
from tests.factories import finding
from tests.worker.conftest import celery_worker, redis_url, smtp_server, wait_for  # noqa: F401
from exports.models import ExportJob
from worker.tasks import build_export

pytestmark = [pytest.mark.django_db]

KML = "{http://www.opengis.net/kml/2.2}"
HEADERS = ["编号", "村", "地址", "当事人", "类别", "面积", "发现日期", "状态", "整改期限", "是否逾期", "结案方式", "责任人",
           "文书编号"]


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def report(user, **fields):
    case, _ = workflow.report_finding(actor=user, **finding(**fields))
    return case


@pytest.fixture
def ledger(users):
    """Four cases of TST in different states, one of them overdue, and one case of the other jurisdiction."""
    today = timezone.localdate()
    plain = report(users["inspector"], address="村东头", party_name="张三", estimated_area_m2=Decimal("35.5"))
    overdue = report(users["inspector"], address="小学北侧", category=Category.NEW_CONSTRUCTION,
                     location=Point(111.625, 40.705, srid=4326))
    Case.objects.filter(pk=overdue.pk).update(status=Status.ORDERED, deadline=today - timedelta(days=3))
    # Text meant to become a formula in a spreadsheet, or markup in KML: it must stay text.
    hostile = report(users["supervisor"], address='=HYPERLINK("http://evil.example","点我")',
                     party_name='<b>李四</b> & "王五"')
    closed = report(users["inspector"], address="河道管理范围内", party_name="@SUM(1+1)")
    Case.objects.filter(pk=closed.pk).update(status=Status.CLOSED, resolution=Resolution.DEMOLISHED_BY_PARTY,
                                             closed_at=timezone.now())
    elsewhere = report(users["other_supervisor"], location=Point(112.605, 41.705, srid=4326), party_name="外人")
    return {"plain": plain, "overdue": overdue, "hostile": hostile, "closed": closed, "elsewhere": elsewhere}


def get_export(user, fmt, query=""):
    return api(user).get(f"/api/v1/cases/export.{fmt}{query}")


def workbook(response):
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def body(response):
    return b"".join(response.streaming_content)


def csv_rows(response):
    raw = body(response)
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


# --- Excel ---------------------------------------------------------------------------------

@pytest.mark.smoke
def test_excel_has_the_chinese_headers_in_order_a_frozen_header_and_an_autofilter(users, ledger):
    response = get_export(users["supervisor"], "xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = workbook(response).active
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert sheet.freeze_panes == "A2"
    assert sheet.max_row == 1 + 4
    assert sheet.auto_filter.ref == "A1:M5"
    assert sheet.column_dimensions["C"].width > sheet.column_dimensions["B"].width


@pytest.mark.smoke
def test_excel_rows_link_to_the_case_page_with_numbers_and_dates_as_such(users, ledger, settings):
    settings.SITE_URL = "https://xuncha.example.cn"
    sheet = workbook(get_export(users["supervisor"], "xlsx", "?ordering=reference")).active
    plain = ledger["plain"]
    row = sheet[2]
    assert row[0].value == plain.reference
    assert row[0].hyperlink.target == f"https://xuncha.example.cn/cases/{plain.pk}/"
    assert row[5].value == pytest.approx(35.5)
    assert row[5].number_format == '0.0 "㎡"'
    assert row[6].value.date() == timezone.localtime(plain.created_at).date()
    assert row[6].number_format == "yyyy-mm-dd"
    assert [row[1].value, row[2].value, row[3].value, row[4].value, row[7].value] == [
        "东村", "村东头", "张三", "违法加建/扩建", "待立案"]
    assert row[9].value == "否"
    assert row[11].value == users["inspector"].display_name


@pytest.mark.smoke
def test_excel_marks_overdue_cases_and_shows_deadline_and_resolution(users, ledger):
    sheet = workbook(get_export(users["supervisor"], "xlsx", "?ordering=reference")).active
    by_reference = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    overdue = by_reference[ledger["overdue"].reference]
    assert overdue[7].value == "责令整改中" and overdue[9].value == "是"
    assert overdue[8].value.date() == timezone.localdate() - timedelta(days=3)
    assert by_reference[ledger["closed"].reference][10].value == "自行拆除"


@pytest.mark.smoke
def test_text_in_excel_never_becomes_a_formula(users, ledger):
    sheet = workbook(get_export(users["supervisor"], "xlsx", "?ordering=reference")).active
    by_reference = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    address = by_reference[ledger["hostile"].reference][2]
    assert address.value == '=HYPERLINK("http://evil.example","点我")'
    assert address.data_type == "s"
    assert address.quotePrefix
    party = by_reference[ledger["closed"].reference][3]
    assert (party.value, party.data_type) == ("@SUM(1+1)", "s")


@pytest.mark.smoke
def test_an_optional_title_row_keeps_the_header_frozen_below_it(users, ledger):
    out = io.BytesIO()
    count = formats.write_ledger_xlsx(Case.objects.for_user(users["leader"]), out, site_url="http://x",
                                      title="测试执法队 违法建设案件台账")
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    assert count == 4
    assert sheet["A1"].value == "测试执法队 违法建设案件台账"
    assert [cell.value for cell in sheet[2]] == HEADERS
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == "A2:M6"


@pytest.mark.smoke
def test_the_writer_reports_progress_in_chunks_and_returns_the_row_count(users, ledger, monkeypatch):
    monkeypatch.setattr(formats, "CHUNK", 3)
    seen = []
    count = formats.write_ledger_csv(Case.objects.for_user(users["leader"]), io.BytesIO(), progress=seen.append)
    assert count == 4
    assert seen == [3, 4]


@pytest.mark.smoke
@pytest.mark.parametrize("fmt", ["xlsx", "csv", "geojson", "kml"])
def test_files_written_in_several_chunks_hold_every_row_once(users, ledger, monkeypatch, fmt):
    monkeypatch.setattr(formats, "CHUNK", 3)
    out = io.BytesIO()
    count = formats.FORMATS[fmt].write(Case.objects.for_user(users["leader"]), out, site_url="http://x")
    raw = out.getvalue()
    if fmt == "xlsx":
        rows = [row[0].value for row in openpyxl.load_workbook(io.BytesIO(raw)).active.iter_rows(min_row=2)]
    elif fmt == "csv":
        rows = [row[0] for row in csv.reader(io.StringIO(raw.decode("utf-8-sig")))][1:]
    elif fmt == "geojson":
        rows = [feature["properties"]["reference"] for feature in json.loads(raw)["features"]]
    else:
        rows = [p.findtext(f"{KML}name") for p in ET.fromstring(raw).iter(f"{KML}Placemark")]
    assert count == 4
    assert sorted(rows) == sorted(ledger[k].reference for k in ("plain", "overdue", "hostile", "closed"))


@pytest.mark.smoke
def test_control_characters_that_excel_and_xml_refuse_are_dropped(users):
    report(users["inspector"], address="村东\x08头\x1b", party_name="张\x0b三")
    sheet = workbook(get_export(users["supervisor"], "xlsx")).active
    assert (sheet["C2"].value, sheet["D2"].value) == ("村东头", "张三")
    ET.fromstring(body(get_export(users["supervisor"], "kml")))


@pytest.mark.smoke
def test_an_empty_export_still_has_its_header(users):
    sheet = workbook(get_export(users["supervisor"], "xlsx")).active
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert sheet.max_row == 1


# --- CSV, GeoJSON, KML -----------------------------------------------------------------------

@pytest.mark.smoke
def test_csv_is_utf8_with_a_bom_the_same_columns_and_chinese_that_round_trips(users, ledger):
    response = get_export(users["supervisor"], "csv", "?ordering=reference")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = csv_rows(response)
    assert rows[0] == HEADERS
    assert len(rows) == 5
    first = rows[1]
    assert first[:5] == [ledger["plain"].reference, "东村", "村东头", "张三", "违法加建/扩建"]
    assert first[5] == "35.5"
    assert first[6] == timezone.localtime(ledger["plain"].created_at).date().isoformat()


@pytest.mark.smoke
def test_csv_neutralises_formulas_with_an_apostrophe(users, ledger):
    rows = {row[0]: row for row in csv_rows(get_export(users["supervisor"], "csv"))[1:]}
    assert rows[ledger["hostile"].reference][2] == "'=HYPERLINK(\"http://evil.example\",\"点我\")"
    assert rows[ledger["closed"].reference][3] == "'@SUM(1+1)"
    assert rows[ledger["hostile"].reference][3] == '<b>李四</b> & "王五"'  # not a formula: unchanged


@pytest.mark.smoke
def test_geojson_is_a_feature_collection_of_points_with_the_ledger_fields(users, ledger, settings):
    settings.SITE_URL = "https://xuncha.example.cn"
    response = get_export(users["supervisor"], "geojson")
    assert response["Content-Type"] == "application/geo+json"
    data = json.loads(body(response))
    assert data["type"] == "FeatureCollection"
    assert len(data["features"]) == 4
    feature = next(f for f in data["features"] if f["id"] == ledger["plain"].pk)
    assert feature["geometry"] == {"type": "Point", "coordinates": [111.605, 40.705]}
    properties = feature["properties"]
    assert properties["reference"] == ledger["plain"].reference
    assert (properties["village"], properties["party_name"], properties["area_m2"]) == ("东村", "张三", 35.5)
    assert (properties["status"], properties["status_display"], properties["overdue"]) == ("reported", "待立案", False)
    assert properties["url"] == f"https://xuncha.example.cn/cases/{ledger['plain'].pk}/"
    overdue = next(f for f in data["features"] if f["id"] == ledger["overdue"].pk)
    assert overdue["properties"]["overdue"] is True
    assert overdue["geometry"]["coordinates"] == [111.625, 40.705]


@pytest.mark.smoke
def test_kml_has_a_style_per_status_and_a_placemark_per_case_with_escaped_text(users, ledger, settings):
    settings.SITE_URL = "https://xuncha.example.cn"
    response = get_export(users["supervisor"], "kml")
    assert response["Content-Type"] == "application/vnd.google-earth.kml+xml"
    root = ET.fromstring(body(response))
    assert root.tag == f"{KML}kml"
    document = root.find(f"{KML}Document")
    style_ids = {style.get("id") for style in document.findall(f"{KML}Style")}
    assert {f"status-{value}" for value in Status.values} | {"overdue"} == style_ids
    placemarks = {p.findtext(f"{KML}name"): p for p in document.findall(f"{KML}Placemark")}
    assert set(placemarks) == {ledger[k].reference for k in ("plain", "overdue", "hostile", "closed")}
    plain = placemarks[ledger["plain"].reference]
    assert plain.findtext(f"{KML}styleUrl") == "#status-reported"
    assert plain.findtext(f"{KML}Point/{KML}coordinates") == "111.6050000,40.7050000"
    assert placemarks[ledger["overdue"].reference].findtext(f"{KML}styleUrl") == "#overdue"
    hostile = placemarks[ledger["hostile"].reference]
    # The party's text is text in the XML and still text once the balloon's HTML is read.
    assert hostile.find(f".//{KML}b") is None
    description = hostile.findtext(f"{KML}description")
    assert "当事人：&lt;b&gt;李四&lt;/b&gt; &amp; &quot;王五&quot;<br>" in description
    assert "<b>" not in description
    assert "地址：=HYPERLINK(&quot;http://evil.example&quot;,&quot;点我&quot;)" in description
    assert f'<a href="https://xuncha.example.cn/cases/{ledger["hostile"].pk}/">' in description


@pytest.mark.smoke
@pytest.mark.parametrize("fmt, extension", [("xlsx", "xlsx"), ("csv", "csv"), ("geojson", "geojson"), ("kml", "kml")])
def test_exports_are_attachments_named_after_the_jurisdiction_and_the_day(users, ledger, fmt, extension):
    response = get_export(users["supervisor"], fmt)
    day = timezone.localdate().isoformat()
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f'filename="TST-ledger-{day}.{extension}"' in disposition
    assert f"filename*=UTF-8''{quote(f'TST-台账-{day}.{extension}')}" in disposition
    assert "no-store" in response["Cache-Control"]


@pytest.mark.smoke
def test_the_export_is_a_file_whatever_the_client_accepts(users, ledger):
    response = api(users["supervisor"]).get("/api/v1/cases/export.csv", HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert csv_rows(response)[0] == HEADERS


# --- Filters, access, isolation --------------------------------------------------------------

@pytest.mark.smoke
@pytest.mark.parametrize("query, expected", [
    ("?status=ordered", {"overdue"}),
    ("?status=reported&status=closed", {"plain", "hostile", "closed"}),
    ("?overdue=true", {"overdue"}),
    ("?q=张三", {"plain"}),
    ("?q=小学", {"overdue"}),
    ("?category=new_construction", {"overdue"}),
    ("?village=__east__", {"plain", "hostile", "closed"}),
    ("?inspector=__inspector__&status=reported", {"plain"}),
])
def test_exports_take_the_list_filters(users, ledger, query, expected, jurisdiction):
    east = jurisdiction.villages.get(name="东村").pk
    query = query.replace("__east__", str(east)).replace("__inspector__", str(users["inspector"].pk))
    rows = csv_rows(get_export(users["supervisor"], "csv", query))[1:]
    assert {row[0] for row in rows} == {ledger[key].reference for key in expected}


@pytest.mark.smoke
def test_exports_follow_the_ledger_ordering(users, ledger):
    ascending = [row[0] for row in csv_rows(get_export(users["supervisor"], "csv", "?ordering=reference"))[1:]]
    descending = [row[0] for row in csv_rows(get_export(users["supervisor"], "csv", "?ordering=-reference"))[1:]]
    assert ascending == sorted(ascending) and descending == ascending[::-1]


@pytest.mark.smoke
def test_an_invalid_filter_value_is_a_400_naming_the_parameter(users, ledger):
    response = get_export(users["supervisor"], "xlsx", "?status=nonsense")
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]


@pytest.mark.smoke
def test_the_schema_documents_the_export_endpoints_and_their_filters(users):
    schema = api(users["leader"]).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    export = schema["paths"]["/api/v1/cases/export.{fmt}"]["get"]
    names = {parameter["name"] for parameter in export["parameters"]}
    assert {"fmt", "status", "overdue", "village", "q", "ordering"} <= names
    assert "202" in export["responses"]
    assert "/api/v1/exports/{id}/" in schema["paths"] and "/api/v1/exports/{id}/file/" in schema["paths"]


@pytest.mark.smoke
def test_an_unknown_format_is_404(users):
    response = get_export(users["supervisor"], "pdf")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.smoke
@pytest.mark.parametrize("role", ["inspector", "supervisor", "legal", "leader"])
def test_every_role_of_the_jurisdiction_may_export_its_cases(users, ledger, role):
    rows = csv_rows(get_export(users[role], "csv"))
    assert len(rows) == 1 + 4


@pytest.mark.smoke
def test_exports_need_a_signed_in_user(ledger):
    assert APIClient().get("/api/v1/cases/export.xlsx").status_code == 401


@pytest.mark.smoke
@pytest.mark.parametrize("fmt", ["xlsx", "csv", "geojson", "kml"])
def test_a_user_of_another_jurisdiction_exports_none_of_these_cases(users, ledger, fmt):
    raw = body(get_export(users["other_supervisor"], fmt))
    if fmt == "xlsx":
        raw = b"".join(str(cell.value).encode() for row in openpyxl.load_workbook(io.BytesIO(raw)).active.iter_rows()
                       for cell in row)
    text = raw.decode("utf-8-sig")
    for key in ("plain", "overdue", "hostile", "closed"):
        assert ledger[key].reference not in text
    assert "张三" not in text
    assert ledger["elsewhere"].reference in text


# --- Large exports as jobs ----------------------------------------------------------------

@pytest.fixture
def small_limit(settings, tmp_path):
    settings.LEDGER_SYNC_LIMIT = 2
    settings.MEDIA_ROOT = tmp_path
    return 2


@pytest.mark.smoke
def test_more_rows_than_the_limit_answer_202_with_a_job_to_poll(users, ledger, small_limit):
    response = get_export(users["supervisor"], "xlsx", "?status=reported&status=closed&q=&page=2")
    assert response.status_code == 202
    data = response.json()
    job = ExportJob.objects.get(pk=data["id"])
    assert (job.user, job.jurisdiction, job.format, job.status) == (
        users["supervisor"], users["supervisor"].jurisdiction, "xlsx", "queued")
    assert job.query == "status=reported&status=closed"
    assert data["status_url"] == f"/api/v1/exports/{job.pk}/" == response["Location"]
    assert (data["status"], data["progress"], data["file_url"]) == ("queued", 0, None)


@pytest.mark.smoke
def test_asking_again_while_the_job_waits_gives_the_same_job(users, ledger, small_limit):
    first = get_export(users["supervisor"], "csv").json()
    again = get_export(users["supervisor"], "csv").json()
    other_format = get_export(users["supervisor"], "kml").json()
    assert first["id"] == again["id"] != other_format["id"]


@pytest.mark.smoke
def test_a_browser_following_the_export_link_is_sent_to_the_ledger_page_with_the_job(users, ledger, small_limit):
    response = api(users["supervisor"]).get("/api/v1/cases/export.xlsx?category=extension",
                                            HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    job = ExportJob.objects.get()
    assert response.status_code == 303
    assert response["Location"] == f"/ledger/?category=extension&job={job.pk}"


@pytest.mark.smoke
def test_the_job_builds_the_file_which_only_its_owner_can_read(users, ledger, small_limit):
    job_id = get_export(users["supervisor"], "xlsx", "?ordering=reference").json()["id"]
    build_export.apply(args=[job_id])
    status = api(users["supervisor"]).get(f"/api/v1/exports/{job_id}/").json()
    assert (status["status"], status["progress"], status["row_count"]) == ("done", 100, 4)
    assert status["file_url"] == f"/api/v1/exports/{job_id}/file/"
    assert status["filename"] == f"TST-台账-{timezone.localdate():%Y-%m-%d}.xlsx"
    response = api(users["supervisor"]).get(status["file_url"])
    assert response.status_code == 200
    assert "filename*=UTF-8''TST-" in response["Content-Disposition"]
    sheet = workbook(response).active
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == sorted(ledger[k].reference for k in (
        "plain", "overdue", "hostile", "closed"))
    job = ExportJob.objects.get(pk=job_id)
    assert job.file.name.startswith(f"exports/{job.jurisdiction_id}/")
    for someone in ("leader", "other_supervisor"):
        assert api(users[someone]).get(f"/api/v1/exports/{job_id}/").status_code == 404
        assert api(users[someone]).get(f"/api/v1/exports/{job_id}/file/").status_code == 404


@pytest.mark.smoke
def test_the_file_of_an_unfinished_job_is_404(users, ledger, small_limit):
    job_id = get_export(users["supervisor"], "csv").json()["id"]
    response = api(users["supervisor"]).get(f"/api/v1/exports/{job_id}/file/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.smoke
def test_a_job_that_runs_twice_builds_its_file_once(users, ledger, small_limit):
    job_id = get_export(users["supervisor"], "geojson").json()["id"]
    assert services.run_export_job(job_id) is True
    name = ExportJob.objects.get(pk=job_id).file.name
    assert services.run_export_job(job_id) is False
    assert ExportJob.objects.get(pk=job_id).file.name == name


@pytest.mark.smoke
def test_a_job_whose_user_changed_jurisdiction_fails_without_exporting(users, ledger, small_limit, other_jurisdiction):
    job_id = get_export(users["supervisor"], "csv").json()["id"]
    users["supervisor"].jurisdiction = other_jurisdiction
    users["supervisor"].save()
    services.run_export_job(job_id)
    job = ExportJob.objects.get(pk=job_id)
    assert (job.status, job.file.name) == ("failed", "")
    assert "执法单位" in job.error


@pytest.fixture
def worker_media(settings, tmp_path):
    # Set before the worker starts: it takes MEDIA_ROOT from these settings (tests/worker/conftest.py).
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.postgres_only
def test_a_large_export_runs_in_a_real_celery_worker_and_reaches_100_percent(worker_media, settings, users,
                                                                             celery_worker):  # noqa: F811
    from patrol.bulk import add_synthetic_cases

    # Only the web side decides what is large: the worker just builds the job it is given.
    settings.LEDGER_SYNC_LIMIT = 1000
    add_synthetic_cases(jurisdiction=users["supervisor"].jurisdiction, actor=users["inspector"], count=4500, seed=5)
    response = get_export(users["supervisor"], "xlsx", "?ordering=reference")
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    seen = set()

    def finished():
        status = api(users["supervisor"]).get(f"/api/v1/exports/{job_id}/").json()
        seen.add(status["progress"])
        return status["status"] in ("done", "failed")

    assert wait_for(finished, timeout=120, interval=0.1), celery_worker
    status = api(users["supervisor"]).get(f"/api/v1/exports/{job_id}/").json()
    assert (status["status"], status["progress"], status["row_count"]) == ("done", 100, 4500), status
    assert max(seen) == 100
    response = api(users["supervisor"]).get(status["file_url"])
    sheet = workbook(response).active
    assert sheet.max_row == 1 + 4500
    assert sheet.freeze_panes == "A2"
    references = [row[0].value for row in sheet.iter_rows(min_row=2, max_row=4)]
    assert references == sorted(references)
    assert str(ExportJob.objects.get(pk=job_id).file.path).startswith(str(worker_media))


def test_every_format_names_the_documents_issued_on_a_case_but_not_their_service_receipts(users, ledger):
    case = ledger["overdue"]
    with transaction.atomic():
        locked = Case.objects.select_for_update().select_related("jurisdiction").get(pk=case.pk)
        decision = issue_document(case=locked, kind=DocumentKind.DEMOLITION_DECISION, content={},
                                  actor=users["supervisor"], period_days=15)
    posted = record_service(document_id=decision.pk, actor=users["supervisor"], method="post",
                            served_on=timezone.localdate(), tracking_number="1180123456789")
    assert posted.receipt is not None  # the 送达回证 is itself a numbered document, and not a number of the case
    Case.objects.filter(pk=case.pk).update(status=Status.FILED)
    # A notice of the procedure before #13 (issue_notice, now gone), as old cases have them.
    today = timezone.localdate()
    notice = Notice.objects.create(case=case, kind=NoticeKind.RECTIFY, year=today.year, seq=1,
                                   number=f"TST〔{today.year}〕限改字第1号", issued_on=today,
                                   deadline=today + timedelta(days=14), service_method="in_person", served_on=today,
                                   issued_by=users["supervisor"])
    expected = [notice.number, decision.number]  # issued the same day: the old notices first, then the documents

    sheet = workbook(get_export(users["supervisor"], "xlsx", "?ordering=reference")).active
    by_reference = {row[0].value: [cell.value for cell in row] for row in sheet.iter_rows(min_row=2)}
    assert by_reference[case.reference][12] == "；".join(expected)
    assert by_reference[ledger["plain"].reference][12] in ("", None)
    rows = {row[0]: row for row in csv_rows(get_export(users["supervisor"], "csv"))}
    assert rows["编号"][12] == "文书编号" and rows[case.reference][12] == "；".join(expected)
    features = json.loads(body(get_export(users["supervisor"], "geojson")))["features"]
    numbers = {f["properties"]["reference"]: f["properties"]["document_numbers"] for f in features}
    assert numbers[case.reference] == expected and numbers[ledger["plain"].reference] == []
    assert posted.receipt.number not in body(get_export(users["supervisor"], "kml")).decode()
    assert decision.number in body(get_export(users["supervisor"], "kml")).decode()
