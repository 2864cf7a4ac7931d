"""Issuing documents (numbered, frozen, stored with their SHA-256) and recording their service (送达)."""
import hashlib
import io
import subprocess
from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image

from documents import selectors
from documents.choices import DocumentKind
from documents.images import images_for
from documents.models import Document, ServiceRecord
from documents.rendering import render_pdf
from documents.services import record_postal_receipt, record_service
from patrol import workflow
from patrol.choices import ServiceMethod
from patrol.errors import InvalidInput, NotAllowed, NotFound, RuleViolation
from patrol.ledger import verify_case_chain
from patrol.models import Case
from tests.api.dataset import jpeg
from tests.documents.conftest import at, flat, issue, needs_poppler, pdf_text

pytestmark = [pytest.mark.django_db]

K = DocumentKind
M = ServiceMethod


@pytest.fixture
def order(filed_case, users):
    return issue(filed_case, K.RECTIFICATION_ORDER, users["supervisor"], now=at(2026, 3, 3), period_days=5)


@pytest.fixture
def photo(filed_case, users):
    data = jpeg()
    return workflow.attach_photo(case_id=filed_case.pk, actor=users["inspector"],
                                 client_uuid="4f9d7e1a-0000-4000-8000-000000000001", file=ContentFile(data),
                                 sha256=hashlib.sha256(data).hexdigest(), content_type="image/jpeg",
                                 size_bytes=len(data), taken_at=at(2026, 3, 3), stage="notice", now=at(2026, 3, 3))


def serve(document, actor, method, served_on=date(2026, 3, 3), now=None, **fields):
    """Record a service the morning after it happened (or at ``now``)."""
    now = now or at(served_on.year, served_on.month, served_on.day + 1, 9)
    return record_service(document_id=document.pk, actor=actor, method=method, served_on=served_on, now=now,
                          **fields)


# --- issuing ---------------------------------------------------------------------------------------------------


def test_documents_are_numbered_gap_free_per_kind_and_year(filed_case, users):
    first = issue(filed_case, K.RECTIFICATION_ORDER, users["supervisor"], now=at(2026, 3, 3))
    with pytest.raises(RuntimeError), transaction.atomic():
        issue(filed_case, K.RECTIFICATION_ORDER, users["supervisor"], now=at(2026, 3, 3))
        raise RuntimeError("the action failed after issuing: its number must come back")
    second = issue(filed_case, K.RECTIFICATION_ORDER, users["supervisor"], now=at(2026, 3, 4))
    other_kind = issue(filed_case, K.REMINDER, users["supervisor"], now=at(2026, 3, 4))
    assert [first.number, second.number, other_kind.number] == [
        "TST〔2026〕限改字第1号", "TST〔2026〕限改字第2号", "TST〔2026〕催告字第1号"]


def test_an_issued_document_stores_its_pdf_with_its_sha256_and_frozen_content(order):
    data = order.pdf.open("rb").read()
    assert data.startswith(b"%PDF-")
    assert hashlib.sha256(data).hexdigest() == order.sha256
    stored = Document.objects.get(pk=order.pk)
    assert stored.content["party"]["name"] == "张三"
    assert stored.content["legal_basis"]["articles"] == "《中华人民共和国城乡规划法》第六十五条"
    assert stored.content["period_days"] == 5


def test_a_later_document_cites_the_earlier_one_with_its_effective_service(filed_case, users, order):
    serve(order, users["supervisor"], M.LEFT_AT_PREMISES, witness_name="村委会主任")
    notice = issue(filed_case, K.INTENT_NOTICE, users["supervisor"], now=at(2026, 3, 20))
    assert notice.content["previous"]["rectification_order"] == {
        "title": "责令限期改正通知书", "number": order.number, "issued_on": "2026-03-03", "effective_on": "2026-03-03"}


def test_another_jurisdictions_officer_cannot_issue_on_the_case(filed_case, users):
    with pytest.raises(NotFound):
        issue(filed_case, K.RECTIFICATION_ORDER, users["other_supervisor"])


# --- service and its effective date ----------------------------------------------------------------------------


def test_in_person_service_takes_effect_the_day_it_was_signed(order, users, photo):
    service = serve(order, users["supervisor"], M.IN_PERSON, recipient_name="张三", recipient_relation="party",
                    signature_photo=photo.pk)
    assert service.effective_on == date(2026, 3, 3)


def test_in_person_service_needs_the_recipient_and_the_signature(order, users):
    with pytest.raises(InvalidInput) as refused:
        serve(order, users["supervisor"], M.IN_PERSON, recipient_name="张三")
    assert set(refused.value.fields) == {"recipient_relation", "recipient_signature"}


def test_leaving_it_at_the_premises_needs_a_witness_or_a_photo(order, users, photo):
    with pytest.raises(RuleViolation):
        serve(order, users["supervisor"], M.LEFT_AT_PREMISES)
    service = serve(order, users["supervisor"], M.LEFT_AT_PREMISES, evidence_photo=photo.pk)
    assert (service.refused, service.effective_on) == (True, date(2026, 3, 3))


def test_post_is_pending_until_the_receipt_date_is_recorded(order, users):
    service = serve(order, users["supervisor"], M.POST, tracking_number="1180123456789")
    assert service.effective_on is None and service.pending
    assert selectors.deadline_on(order) is None  # the clock waits for the receipt
    record_postal_receipt(service_id=service.pk, actor=users["supervisor"], receipt_date=date(2026, 3, 6),
                          now=at(2026, 3, 7))
    service.refresh_from_db()
    assert service.effective_on == date(2026, 3, 6)
    with pytest.raises(RuleViolation):
        record_postal_receipt(service_id=service.pk, actor=users["supervisor"], receipt_date=date(2026, 3, 5),
                              now=at(2026, 3, 7))


def test_electronic_service_without_consent_on_file_is_refused(order, users):
    with pytest.raises(RuleViolation) as refused:
        serve(order, users["supervisor"], M.ELECTRONIC, channel="sms", address="13800000000")
    assert "第61条" in str(refused.value.message)
    assert not ServiceRecord.objects.exists()


def test_electronic_service_with_consent_takes_effect_on_arrival(order, users, photo):
    service = serve(order, users["supervisor"], M.ELECTRONIC, consent_photo=photo.pk, channel="sms",
                    address="13800000000")
    assert service.effective_on == date(2026, 3, 3)


def test_public_notice_takes_effect_thirty_days_after_publication(order, users):
    service = serve(order, users["supervisor"], M.PUBLIC_NOTICE, publication_place="村委会公告栏",
                    failure_reason="当事人下落不明，直接送达和邮寄送达均未成功")
    assert service.effective_on == date(2026, 4, 2)


def test_public_notice_ending_on_a_rest_day_takes_effect_the_next_working_day(order, users):
    # Published Saturday 7 March: 30 days end on Monday 6 April, a 清明 holiday in 2026; effect on Tuesday 7 April.
    service = serve(order, users["supervisor"], M.PUBLIC_NOTICE, served_on=date(2026, 3, 7),
                    publication_place="村委会公告栏", failure_reason="当事人下落不明")
    assert service.effective_on == date(2026, 4, 7)


def test_a_short_period_counts_working_days_from_effective_service(order, users):
    serve(order, users["supervisor"], M.LEFT_AT_PREMISES, served_on=date(2026, 3, 6), witness_name="村委会主任")
    document = selectors.case_documents(order.case).get(pk=order.pk)
    # Served on Friday 6 March; five working days (行政强制法 第69条): 9, 10, 11, 12, 13 March.
    assert selectors.effective_on(document) == date(2026, 3, 6)
    assert selectors.deadline_on(document) == date(2026, 3, 13)


def test_service_is_recorded_in_the_case_record_with_both_hashes(order, users):
    service = serve(order, users["supervisor"], M.LEFT_AT_PREMISES, witness_name="村委会主任")
    case = Case.objects.get(pk=order.case_id)
    event = case.events.order_by("-seq").first()
    assert event.action == "record_service"
    assert event.payload["document_sha256"] == order.sha256
    assert event.payload["receipt_sha256"] == service.receipt.sha256
    assert event.payload["effective_on"] == "2026-03-03"
    assert verify_case_chain(case) is None


@needs_poppler
def test_each_service_renders_its_receipt(order, users, tmp_path):
    service = serve(order, users["supervisor"], M.LEFT_AT_PREMISES, witness_name="村委会主任")
    receipt = service.receipt
    assert receipt.kind == K.SERVICE_RECEIPT and receipt.number == "TST〔2026〕送字第1号"
    text = flat(pdf_text(receipt.pdf.open("rb").read(), tmp_path))
    for fragment in ("送达回证", order.number, "留置送达", "村委会主任", "第八十九条", "2026年3月3日"):
        assert fragment in text, fragment


def test_only_a_supervisor_records_service(order, users):
    with pytest.raises(NotAllowed):
        serve(order, users["inspector"], M.LEFT_AT_PREMISES, witness_name="村委会主任")


def test_another_jurisdictions_document_is_not_found(order, users):
    with pytest.raises(NotFound):
        serve(order, users["other_supervisor"], M.LEFT_AT_PREMISES, witness_name="村委会主任")


def test_an_internal_record_is_not_served(filed_case, users):
    record = issue(filed_case, K.INSPECTION_RECORD, users["supervisor"])
    with pytest.raises(RuleViolation):
        serve(record, users["supervisor"], M.LEFT_AT_PREMISES, witness_name="村委会主任")


def test_service_cannot_be_dated_before_the_document_or_in_the_future(order, users):
    for served_on in (date(2026, 3, 2), date(2026, 3, 5)):
        with pytest.raises(InvalidInput):
            serve(order, users["supervisor"], M.LEFT_AT_PREMISES, served_on=served_on, now=at(2026, 3, 4),
                  witness_name="见证人")


@needs_poppler
def test_the_recipients_signature_is_placed_in_the_receipt_and_re_renders_the_same(order, users, tmp_path):
    out = io.BytesIO()
    Image.new("RGB", (1200, 400), (250, 250, 250)).save(out, "JPEG")  # a large, pale signature pad
    data = out.getvalue()
    signature = workflow.attach_photo(case_id=order.case_id, actor=users["inspector"],
                                      client_uuid="4f9d7e1a-0000-4000-8000-0000000000aa", file=ContentFile(data),
                                      sha256=hashlib.sha256(data).hexdigest(), content_type="image/jpeg",
                                      size_bytes=len(data), taken_at=at(2026, 3, 3), stage="notice",
                                      now=at(2026, 3, 3))
    receipt = serve(order, users["supervisor"], M.IN_PERSON, recipient_name="张三", recipient_relation="party",
                    signature_photo=signature.pk).receipt
    stored = receipt.pdf.open("rb").read()
    path = tmp_path / "receipt.pdf"
    path.write_bytes(stored)
    images = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in images.splitlines()[2:]]
    assert len(rows) == 1 and int(rows[0][3]) == 600, images  # scaled down for print: 600 px wide
    assert receipt.content["images"] == {"signature": signature.sha256}
    again = render_pdf(kind=receipt.kind, number=receipt.number, issued_on=receipt.issued_on,
                       content=receipt.content, images=images_for(receipt.case, receipt.content))
    assert again == stored
