"""A batch's 图斑核查情况统计表 read back with openpyxl, and its results as GeoJSON and KML with photo links."""
import io
import json
import uuid
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook

from tests.tuban.conftest import client_for, evidence_set
from tuban.models import Tuban

pytestmark = pytest.mark.django_db

INSIDE_T001 = {"type": "Point", "coordinates": [111.6055, 40.7055]}
INSIDE_T003 = {"type": "Point", "coordinates": [111.6255, 40.7055]}


@pytest.fixture
def checked(users, batch, settings):
    settings.SITE_URL = "https://xuncha.example.cn"
    inspector = client_for(users["inspector"])
    t001, t003 = Tuban.objects.get(number="T001"), Tuban.objects.get(number="T003")
    assert inspector.post(f"/api/v1/tuban/{t001.pk}/verify/", {
        "client_uuid": str(uuid.uuid4()), "verdict": "illegal", "photos": evidence_set(inspector, t001),
        "location": INSIDE_T001}, format="json").status_code == 201
    assert inspector.post(f"/api/v1/tuban/{t003.pk}/verify/", {
        "client_uuid": str(uuid.uuid4()), "verdict": "legal", "permit_number": "=HYPERLINK(1)",
        "photos": evidence_set(inspector, t003), "location": INSIDE_T003}, format="json").status_code == 201
    return batch


def test_the_statistics_table_by_village_reads_back(users, checked):
    response = client_for(users["leader"]).get(f"/api/v1/tuban/batches/{checked.pk}/report.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    assert sheet["A1"].value == "2026年10月 图斑核查情况统计表"
    assert "测试执法队" in sheet["A2"].value and "2026-12-31" in sheet["A2"].value
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)]
    assert rows[0][:4] == ["序号", "行政村", "图斑总数", "已核查"]
    # 序号, 村, 总数, 已核查, 核查率, 违法, 合法, 非建设, 已处理, 整改销号, 未核查, 逾期未核查
    assert rows[1] == [1, "东村", 2, 1, "50.0%", 1, 0, 0, 0, 0, 1, 0]
    assert rows[2] == [2, "西村", 1, 1, "100.0%", 0, 1, 0, 0, 0, 0, 0]
    assert rows[3] == [None, "合计", 3, 2, "66.7%", 1, 1, 0, 0, 0, 1, 0]

    details = workbook.worksheets[1]
    lines = [[cell.value for cell in row] for row in details.iter_rows(min_row=2)]
    assert [line[1] for line in lines] == ["T001", "T002", "T003"]
    t001 = lines[0]
    assert t001[6] == "核查违法" and t001[10].startswith("TST-") and t001[12].count("https://xuncha.example.cn/") == 3
    assert lines[2][9] == "'=HYPERLINK(1)"  # never a formula
    assert lines[1][6] == "待核查" and not lines[1][12]


def test_the_results_as_geojson_and_kml_link_the_photos(users, checked):
    client = client_for(users["supervisor"])
    body = json.loads(client.get(f"/api/v1/tuban/batches/{checked.pk}/report.geojson").content)
    by_number = {f["properties"]["number"]: f for f in body["features"]}
    assert by_number["T001"]["properties"]["verdict"] == "illegal"
    assert by_number["T001"]["geometry"]["type"] == "MultiPolygon"
    assert [p["kind"] for p in by_number["T001"]["properties"]["photos"]] == ["far", "near", "inside"]
    photo_url = by_number["T001"]["properties"]["photos"][0]["url"]
    assert photo_url.startswith("https://xuncha.example.cn/api/v1/tuban/photos/")
    assert client.get(photo_url.replace("https://xuncha.example.cn", "")).status_code == 200

    kml = ElementTree.fromstring(client.get(f"/api/v1/tuban/batches/{checked.pk}/report.kml").content)
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    placemarks = kml.findall(".//k:Placemark", ns)
    assert [p.find("k:name", ns).text for p in placemarks] == ["T001", "T002", "T003"]
    assert photo_url in placemarks[0].find("k:description", ns).text
    assert placemarks[0].find(".//k:Polygon", ns) is not None
    assert client.get(f"/api/v1/tuban/batches/{checked.pk}/report.pdf").status_code == 404
