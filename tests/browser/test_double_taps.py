"""In Chromium on a phone (outside testing): a hurried double tap on the submit button of a case page form or of the
sign page has exactly one effect, and the page then says what was done — not that someone else changed the case."""
import pytest
from django.utils import timezone

from documents.models import ServiceRecord, Signature
from documents.services import record_service
from patrol import procedure, workflow
from patrol.models import CaseEvent
from tests.browser.conftest import sign_in
from tests.browser.test_signature import touch_path
from tests.factories import finding

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def double_tap(page, selector):
    """Two taps on ``selector`` 30 ms apart, as a hurried thumb does."""
    page.evaluate("""(selector) => new Promise((resolve) => {
      const button = document.querySelector(selector);
      button.click();
      setTimeout(() => { button.click(); resolve(); }, 30);
    })""", selector)


def phone(new_page):
    return new_page(tiles="fail", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)


@pytest.fixture
def reported(users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return workflow.report_finding(actor=users["inspector"], **finding(party_name="赵六"))[0]


def test_a_double_tap_on_an_action_takes_it_once_and_says_it_was_taken(new_page, users, reported):
    page = phone(new_page)
    sign_in(page, "t_supervisor", "correct-horse-battery", lands_on="/map/")
    page.goto(f"/cases/{reported.pk}/")
    page.click("#action-file summary")
    page.fill("#file-note", "经现场核查，符合立案条件")
    double_tap(page, "#action-file button[type=submit]")
    page.wait_for_load_state("networkidle")
    # Before: the second tap's answer was the page shown — 412 "案件已被他人修改" — though the case was filed.
    page.wait_for_selector(".messages .success")
    assert "已被他人修改" not in page.content()
    assert CaseEvent.objects.filter(case=reported, action="file").count() == 1


def test_a_double_tap_on_the_return_receipts_date_records_it_once(new_page, users, reported):
    workflow.file_case(case_id=reported.pk, actor=users["supervisor"], legal_basis="planning_art65", note="立案")
    procedure.record_inspection(case_id=reported.pk, actor=users["inspector"],
                                officers=[users["inspector"].pk, users["supervisor"].pk], facts="在建",
                                refused=True, witness_name="村委会主任")
    procedure.order(case_id=reported.pk, actor=users["supervisor"], order_kind="rectification_order", period_days=5)
    record_service(document_id=reported.documents.get(kind="rectification_order").pk, actor=users["supervisor"],
                   method="post", served_on=timezone.localdate(), tracking_number="1180123456789")
    service = ServiceRecord.objects.get()
    page = phone(new_page)
    sign_in(page, "t_supervisor", "correct-horse-battery", lands_on="/map/")
    page.goto(f"/cases/{reported.pk}/")
    form = f"form[action='/cases/{reported.pk}/services/{service.pk}/receipt-date/']"
    page.fill(f"{form} input[name=receipt_date]", timezone.localdate().isoformat())
    double_tap(page, f"{form} button[type=submit]")
    page.wait_for_load_state("networkidle")
    # Before: "回执日期已登记，不能更改" (409) was the page shown after the receipt date was recorded.
    page.wait_for_selector(".messages .success")
    assert "不能更改" not in page.content()
    assert CaseEvent.objects.filter(case=reported, action="record_postal_receipt").count() == 1


@pytest.mark.parametrize("refusal", [False, True], ids=["drawn", "refused"])
def test_a_double_tap_on_save_signature_keeps_one_signature(new_page, users, reported, refusal):
    page = phone(new_page)
    sign_in(page, "t_inspector", "correct-horse-battery", lands_on="/field/")
    page.goto(f"/cases/{reported.pk}/sign/")
    canvas = page.wait_for_selector("canvas.signature-pad")
    if refusal:
        page.check("#signature-form input[name=refused]")
        page.fill("#signature-form input[name=witness_name]", "村委会主任李四")
    else:
        touch_path(page, canvas.bounding_box(), [(0.08 + i * 0.042, 0.3 + (0.4 if i % 2 else 0.0)) for i in range(21)])
    double_tap(page, "#signature-form button[type=submit]")
    page.locator(".sign-status", has_text="签名已上传").wait_for()
    # A second signature queued meanwhile would wait in the outbox for the next drain: the page sends what is left
    # when it opens again.
    page.reload()
    page.wait_for_selector("canvas.signature-pad")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1500)
    # Before: two signatures (two add_signature events) for one tap too many.
    assert Signature.objects.filter(case=reported).count() == 1
    assert CaseEvent.objects.filter(case=reported, action="add_signature").count() == 1
