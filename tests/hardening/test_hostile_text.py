"""Hostile text in a case's fields (issue #8): stored as typed or refused with a clear 400, and always shown as
text — on the case page, the ledger page, in the Excel and CSV exports (never a formula), the map's JSON and the
summary email."""
import csv
import io
import json
import uuid
from datetime import timedelta

import openpyxl
import pytest
from django.utils import timezone

from patrol import workflow
from patrol.choices import CampaignStatus, Status, SummarySchedule
from patrol.models import Campaign, Case
from tests.factories import finding
from tests.hardening.conftest import api, assert_error_shape, finding_body
from summaries import services as summaries
from summaries.models import Summary
from patrol.kpis import Period, Scope

pytestmark = [pytest.mark.django_db]

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'
SQL = "'; DROP TABLE patrol_case; -- 1' OR '1'='1"
FORMULAS = ['=HYPERLINK("http://evil.example/","点我")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)"]
TEXT_FIELDS = {"address": 200, "description": 5000, "party_name": 100}


def report(user, **fields):
    return api(user).post("/api/v1/cases/", finding_body(**fields), format="json")


# --- what the API accepts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [SCRIPT[:100], SQL, *FORMULAS], ids=["script", "sql", "eq", "plus", "minus", "at"])
def test_markup_sql_and_formulas_are_stored_exactly_as_typed(users, value):
    response = report(users["inspector"], address=value, description=value, party_name=value)
    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=response.json()["id"])
    assert (case.address, case.description, case.party_name) == (value, value, value)
    assert Case.objects.count() == 1  # and the table is still there


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_a_nul_byte_in_a_text_field_is_refused_naming_the_field(users, field):
    error = assert_error_shape(report(users["inspector"], **{field: "张\x00三"}), 400)
    assert field in error["fields"]
    assert Case.objects.count() == 0


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_a_one_megabyte_string_is_refused_naming_the_field(users, field):
    # One megabyte as sent (ASCII): under the 2 MB body limit, so the field's own length check answers.
    error = assert_error_shape(report(users["inspector"], **{field: "a" * (1 << 20)}), 400)
    assert field in error["fields"] and str(TEXT_FIELDS[field]) in error["fields"][field][0]
    assert Case.objects.count() == 0


def test_a_body_over_the_upload_limit_is_refused_as_too_large(users):
    error = assert_error_shape(report(users["inspector"], description="x" * (3 << 20)), 413)
    assert error["code"] == "too_large"


def test_invalid_utf8_in_the_json_body_is_refused(users):
    body = json.dumps(finding_body(address="PLACEHOLDER")).encode().replace(b"PLACEHOLDER", b"\xff\xfe\xc3(")
    response = api(users["inspector"]).generic("POST", "/api/v1/cases/", body, content_type="application/json")
    assert_error_shape(response, 400)
    assert Case.objects.count() == 0


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_a_right_to_left_override_is_refused_naming_the_field(users, field):
    # "\u202e" reverses what follows on screen: "TST-2026-00012 gnp.exe" reads as another reference or file.
    error = assert_error_shape(report(users["inspector"], **{field: "村东头\u202eexe.gnp"}), 400)
    assert field in error["fields"]
    assert "控制文字方向" in error["fields"][field][0]


def test_a_right_to_left_override_is_refused_in_a_signers_or_witness_name_and_a_patrols_note(users, settings,
                                                                                             tmp_path):
    # Outside testing: the signature upload (whose names are printed on records and receipts) and the patrol's
    # notes took "\u202e" that every other text field refuses.
    settings.MEDIA_ROOT = tmp_path
    case, _ = workflow.report_finding(actor=users["inspector"], **finding())
    client = api(users["inspector"])
    for field in ("signer_name", "witness_name"):
        body = {"client_uuid": str(uuid.uuid4()), "role": "party", "signer_name": "张三", "refused": "true",
                "witness_name": "李四", field: "张\u202eexe.gnp"}
        error = assert_error_shape(client.post(f"/api/v1/cases/{case.pk}/signatures/", body, format="multipart"), 400)
        assert "控制文字方向" in error["fields"][field][0]
    error = assert_error_shape(client.post("/api/v1/patrols/", {"client_uuid": str(uuid.uuid4()),
                                                                "note": "巡查\u202eexe"}, format="json"), 400)
    assert "note" in error["fields"]
    patrol = client.post("/api/v1/patrols/", {"client_uuid": str(uuid.uuid4())}, format="json").json()
    error = assert_error_shape(client.post(f"/api/v1/patrols/{patrol['id']}/finish/", {"note": "未发现\u202eexe"},
                                           format="json"), 400)
    assert "note" in error["fields"]
    assert not case.signatures.exists()


# --- how it is shown ---------------------------------------------------------------------------------------


@pytest.fixture
def hostile_case(users):
    """A case carrying hostile text, stored directly (as if it came in before any check, or through the admin)."""
    case, _ = workflow.report_finding(actor=users["inspector"], **finding(
        address=SCRIPT, description=SCRIPT + "\n" + SQL, party_name='=HYPERLINK("http://evil.example/","x")'))
    return case


def test_the_case_page_shows_hostile_text_escaped(client, users, hostile_case):
    client.force_login(users["supervisor"])
    html = client.get(f"/cases/{hostile_case.pk}/").content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&#x27;; DROP TABLE patrol_case; --" in html


def test_the_ledger_page_shows_hostile_text_escaped(client, users, hostile_case):
    client.force_login(users["supervisor"])
    html = client.get("/ledger/").content.decode()
    assert hostile_case.reference in html
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(" in html


@pytest.fixture
def formula_cases(users):
    cases = []
    for value in FORMULAS:
        case, _ = workflow.report_finding(actor=users["inspector"], **finding(address=value, party_name=value))
        cases.append(case)
    return cases


def test_the_excel_export_keeps_formula_like_text_as_text(users, formula_cases):
    response = api(users["supervisor"]).get("/api/v1/cases/export.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    header = [cell.value for cell in next(sheet.iter_rows(min_row=1, max_row=1))]
    address, party = header.index("地址") + 1, header.index("当事人") + 1
    seen = set()
    for row in sheet.iter_rows(min_row=2):
        for cell in (row[address - 1], row[party - 1]):
            assert cell.data_type == "s", (cell.coordinate, cell.value)
            assert cell.quotePrefix, cell.coordinate  # stays text when edited in Excel
            seen.add(cell.value)
    assert seen == set(FORMULAS)


def test_the_csv_export_neutralises_formula_like_text(users, formula_cases):
    response = api(users["supervisor"]).get("/api/v1/cases/export.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    address, party = rows[0].index("地址"), rows[0].index("当事人")
    values = {row[address] for row in rows[1:]} | {row[party] for row in rows[1:]}
    assert values == {f"'{value}" for value in FORMULAS}


def test_the_summary_ledger_title_from_a_campaign_name_is_not_a_formula(users, jurisdiction, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    today = timezone.localdate()
    campaign = Campaign.objects.create(jurisdiction=jurisdiction, name='=HYPERLINK("http://evil.example/","春季")',
                                       starts_on=today - timedelta(days=10), ends_on=today + timedelta(days=10),
                                       status=CampaignStatus.ACTIVE)
    data, _rows = summaries._ledger_xlsx(None, Scope.for_campaign(campaign), Period(today - timedelta(days=7), today))
    title = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]["A1"]
    assert title.data_type == "s" and title.value.startswith("=HYPERLINK") and title.quotePrefix


def test_the_map_json_carries_hostile_text_as_json_strings(users, hostile_case):
    response = api(users["supervisor"]).get("/api/v1/map/list/", {"bbox": "111,40,112,41"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    rows = response.json()["results"]
    assert [row["address"] for row in rows if row["id"] == hostile_case.pk] == [SCRIPT]


def test_the_summary_email_shows_hostile_text_escaped(users, jurisdiction, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    users["leader"].email = "leader@example.org"
    users["leader"].save()
    today = timezone.localdate()
    campaign = Campaign.objects.create(jurisdiction=jurisdiction, name=f"春季{SCRIPT}", starts_on=today - timedelta(days=30),
                                       ends_on=today + timedelta(days=30), status=CampaignStatus.ACTIVE,
                                       summary_schedule=SummarySchedule.WEEKLY)
    campaign.recipients.set([users["leader"]])
    case, _ = workflow.report_finding(actor=users["inspector"], campaign=campaign, **finding(address=SCRIPT))
    Case.objects.filter(pk=case.pk).update(status=Status.ORDERED, deadline=today - timedelta(days=3))
    summary, _ = summaries.request_summary(scope=Scope.for_campaign(campaign), kind=Summary.Kind.WEEKLY,
                                           period=Period(today - timedelta(days=7), today - timedelta(days=1)))
    (delivery_id,) = summaries.produce_summary(summary.pk)
    html = summary.deliveries.get(pk=delivery_id).payload["body_html"]
    assert case.reference in html
    assert "<script>alert" not in html and "<img src=x" not in html
    assert html.count("&lt;script&gt;alert(") >= 2  # the campaign's name and the overdue case's address


def test_a_right_to_left_override_in_an_action_note_is_refused_too(users):
    from rest_framework.test import APIClient

    from patrol import workflow
    from tests.factories import finding

    case, _ = workflow.report_finding(actor=users["inspector"], **finding())
    client = APIClient()
    client.force_authenticate(users["supervisor"])
    etag = client.get(f"/api/v1/cases/{case.pk}/")["ETag"]
    response = client.post(f"/api/v1/cases/{case.pk}/actions/file/", {"legal_basis": "planning_art65", "note": "立案\u202eexe"}, format="json",
                           HTTP_IF_MATCH=etag)
    assert response.status_code == 400 and "note" in response.json()["error"]["fields"]
    case.refresh_from_db()
    assert case.status == "reported"
