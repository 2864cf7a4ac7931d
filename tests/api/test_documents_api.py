"""GET /api/v1/cases/{id}/documents/, GET /api/v1/documents/{id}/pdf, POST /api/v1/documents/{id}/services/."""
import hashlib
import re
from datetime import date
from urllib.parse import unquote

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from documents.choices import DocumentKind
from patrol import workflow
from patrol.choices import Role
from tests.api.dataset import jpeg
from tests.factories import UserFactory, finding
from tests.documents.conftest import issue, needs_poppler, pdf_text

pytestmark = [pytest.mark.django_db]


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def case(users, media):
    reported, _ = workflow.report_finding(actor=users["inspector"], **finding(party_name="张三"))
    return workflow.file_case(case_id=reported.pk, actor=users["supervisor"], legal_basis="planning_art65", note="符合立案条件")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def order(case, users):
    return issue(case, DocumentKind.RECTIFICATION_ORDER, users["supervisor"], period_days=5)


@pytest.fixture
def photo(case, users):
    data = jpeg()
    return workflow.attach_photo(case_id=case.pk, actor=users["inspector"],
                                 client_uuid="5e0a1c2d-0000-4000-8000-000000000002", file=ContentFile(data),
                                 sha256=hashlib.sha256(data).hexdigest(), content_type="image/jpeg",
                                 size_bytes=len(data), taken_at=timezone.now(), stage="notice")


def test_the_pdf_is_the_stored_document_with_a_chinese_file_name(order, users):
    client = client_for(users["leader"])
    first = client.get(f"/api/v1/documents/{order.pk}/pdf")
    assert first.status_code == 200
    assert first["Content-Type"] == "application/pdf"
    body = b"".join(first.streaming_content)
    assert hashlib.sha256(body).hexdigest() == order.sha256
    assert first["ETag"] == f'"{order.sha256}"'
    disposition = first["Content-Disposition"]
    assert disposition.startswith("inline; ")
    encoded = re.search(r"filename\*=UTF-8''(\S+)", disposition).group(1)
    assert unquote(encoded) == f"责令限期改正通知书（{order.number}）.pdf"
    again = client.get(f"/api/v1/documents/{order.pk}/pdf")
    assert b"".join(again.streaming_content) == body


def test_another_jurisdictions_document_is_not_found(order, users):
    client = client_for(users["other_supervisor"])
    assert client.get(f"/api/v1/documents/{order.pk}/pdf").status_code == 404
    assert client.get(f"/api/v1/cases/{order.case_id}/documents/").status_code == 404
    response = client.post(f"/api/v1/documents/{order.pk}/services/", {
        "method": "left_at_premises", "served_on": timezone.localdate().isoformat(), "witness_name": "见证人"},
        format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("role", [Role.INSPECTOR, Role.LEADER, Role.LEGAL_REVIEWER])
def test_another_jurisdictions_document_or_service_is_not_found_whatever_the_role(order, users, other_jurisdiction,
                                                                                  role):
    # Outside testing: a role that may not record service got 403 for another jurisdiction's document (and 400 for
    # a bad body) before the document was looked for; the case page and the API's own schema say 404.
    service = client_for(users["supervisor"]).post(f"/api/v1/documents/{order.pk}/services/", {
        "method": "post", "served_on": timezone.localdate().isoformat(), "tracking_number": "1180123456789"},
        format="json").json()
    client = client_for(UserFactory(role=role, jurisdiction=other_jurisdiction))
    for body in ({"method": "left_at_premises", "served_on": timezone.localdate().isoformat(), "witness_name": "见证人"},
                 {"method": "nonsense"}):
        response = client.post(f"/api/v1/documents/{order.pk}/services/", body, format="json")
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    for body in ({"receipt_date": timezone.localdate().isoformat()}, {"receipt_date": "nonsense"}):
        response = client.post(f"/api/v1/services/{service['id']}/receipt-date/", body, format="json")
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    # In its own jurisdiction the same role is told it may not.
    own = client_for(users[{Role.INSPECTOR: "inspector", Role.LEADER: "leader", Role.LEGAL_REVIEWER: "legal"}[role]])
    assert own.post(f"/api/v1/services/{service['id']}/receipt-date/",
                    {"receipt_date": timezone.localdate().isoformat()}, format="json").status_code == 403


def test_recording_a_service_answers_with_its_effective_date_and_receipt(order, users, photo):
    today = timezone.localdate()
    response = client_for(users["supervisor"]).post(f"/api/v1/documents/{order.pk}/services/", {
        "method": "in_person", "served_on": today.isoformat(), "recipient_name": "张三",
        "recipient_relation": "party", "signature_photo": photo.pk, "place": "村东头"}, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["method"], data["effective_on"], data["pending"]) == ("in_person", today.isoformat(), False)
    assert data["receipt"]["number"].endswith("送字第1号")
    assert data["receipt"]["pdf_url"] == f"/api/v1/documents/{data['receipt']['id']}/pdf"


def test_electronic_service_without_consent_is_409(order, users):
    response = client_for(users["supervisor"]).post(f"/api/v1/documents/{order.pk}/services/", {
        "method": "electronic", "served_on": timezone.localdate().isoformat(), "channel": "sms",
        "address": "13800000000"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "rule_violation"


def test_only_a_supervisor_records_service(order, users):
    response = client_for(users["inspector"]).post(f"/api/v1/documents/{order.pk}/services/", {
        "method": "left_at_premises", "served_on": timezone.localdate().isoformat(), "witness_name": "见证人"},
        format="json")
    assert response.status_code == 403


def test_the_list_shows_each_document_with_its_services_and_computed_dates(case, order, users):
    served_on = timezone.localdate()
    client = client_for(users["supervisor"])
    # Posted, the receipt not back: pending, no deadline yet.
    client.post(f"/api/v1/documents/{order.pk}/services/", {
        "method": "post", "served_on": served_on.isoformat(), "tracking_number": "1180123456789"}, format="json")
    data = client.get(f"/api/v1/cases/{case.pk}/documents/").json()
    # The 立案审批表 issued at filing and the order; the 送达回证 is shown with its service, not as a document.
    assert [d["kind"] for d in data["results"]] == [DocumentKind.FILING_APPROVAL, DocumentKind.RECTIFICATION_ORDER]
    document = data["results"][1]
    assert document["number"] == order.number and document["sha256"] == order.sha256
    assert document["pdf_url"] == f"/api/v1/documents/{order.pk}/pdf"
    assert (document["effective_on"], document["deadline_on"], document["period_days"]) == (None, None, 5)
    assert [s["pending"] for s in document["services"]] == [True]
    # Then left at the premises today: effective today, five working days run from it.
    client.post(f"/api/v1/documents/{order.pk}/services/", {
        "method": "left_at_premises", "served_on": timezone.localdate().isoformat(), "witness_name": "村委会主任"},
        format="json")
    document = client.get(f"/api/v1/cases/{case.pk}/documents/").json()["results"][1]
    from patrol.periods import deadline_from_days
    assert document["effective_on"] == timezone.localdate().isoformat()
    assert document["deadline_on"] == deadline_from_days(timezone.localdate(), 5).isoformat()
    assert len(document["services"]) == 2


def test_the_list_costs_the_same_queries_however_many_documents_and_services(case, users):
    client = client_for(users["supervisor"])

    def served_document():
        document = issue(case, DocumentKind.REMINDER, users["supervisor"], deadline=date(2099, 1, 1))
        client.post(f"/api/v1/documents/{document.pk}/services/", {
            "method": "left_at_premises", "served_on": timezone.localdate().isoformat(), "witness_name": "见证人"},
            format="json")

    served_document()
    url = f"/api/v1/cases/{case.pk}/documents/"
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).json()["count"] == 2  # with the 立案审批表 issued at filing
    for _ in range(3):
        served_document()
    with CaptureQueriesContext(connection) as four:
        assert client.get(url).json()["count"] == 5
    # The case, the count, the documents with their issuers, their services with receipts and officers.
    assert len(four.captured_queries) == len(one.captured_queries) == 4, [q["sql"] for q in four.captured_queries]


@needs_poppler
def test_an_english_speaking_supervisor_gets_a_document_in_chinese_only(case, users, tmp_path):
    supervisor = users["supervisor"]
    supervisor.language, supervisor.last_name, supervisor.first_name = "en", "刘", "队长"
    supervisor.save(update_fields=["language", "last_name", "first_name"])
    client = client_for(supervisor)
    # The supervisor works in English: the API answers in English, the document stays Chinese.
    order = issue(case, DocumentKind.DEMOLITION_DECISION, supervisor, deadline=date(2099, 1, 1))
    response = client.post(f"/api/v1/documents/{order.pk}/services/", {
        "method": "left_at_premises", "served_on": timezone.localdate().isoformat(), "witness_name": "村委会主任"},
        format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["method_display"] == "Left at premises"
    for url in (f"/api/v1/documents/{order.pk}/pdf", response.json()["receipt"]["pdf_url"]):
        data = b"".join(client.get(url, HTTP_ACCEPT_LANGUAGE="en").streaming_content)
        latin = re.findall(r"[A-Za-z]{2,}", pdf_text(data, tmp_path).replace("TST", ""))
        assert latin == [], (url, latin)


def test_a_posted_documents_receipt_date_starts_its_clock_once(case, order, users):
    client = client_for(users["supervisor"])
    today = timezone.localdate()
    service = client.post(f"/api/v1/documents/{order.pk}/services/", {
        "method": "post", "served_on": today.isoformat(), "tracking_number": "1180123456789"}, format="json").json()
    assert service["pending"] is True
    response = client.post(f"/api/v1/services/{service['id']}/receipt-date/", {"receipt_date": today.isoformat()},
                           format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["effective_on"], response.json()["pending"]) == (today.isoformat(), False)
    document = client.get(f"/api/v1/cases/{case.pk}/documents/").json()["results"][1]
    from patrol.periods import deadline_from_days
    assert document["deadline_on"] == deadline_from_days(today, 5).isoformat()
    again = client.post(f"/api/v1/services/{service['id']}/receipt-date/", {"receipt_date": today.isoformat()},
                        format="json")
    assert again.status_code == 409
    assert client_for(users["other_supervisor"]).post(
        f"/api/v1/services/{service['id']}/receipt-date/", {"receipt_date": today.isoformat()},
        format="json").status_code == 404
