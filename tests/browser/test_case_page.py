"""In Chromium: a supervisor takes one action on the case page, end to end, and sees the record grow."""
import pytest
from playwright.sync_api import expect

from documents import dossier
from documents.models import DossierJob
from patrol import workflow
from patrol.models import Case
from tests.browser.conftest import screenshot, sign_in
from tests.factories import finding
from tests.worker.conftest import wait_for
from worker import tasks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_files_a_case_from_the_case_page(new_page, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case, _ = workflow.report_finding(actor=users["inspector"], **finding(party_name="赵六"))
    page = new_page(tiles="fail", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    sign_in(page, "t_supervisor", "correct-horse-battery", lands_on="/map/")
    page.goto(f"/cases/{case.pk}/")
    assert page.locator("h1").inner_text().startswith(case.reference)

    # Submitting without a note shows the error in Chinese and changes nothing.
    page.click("#action-file summary")
    page.click("#action-file button[type=submit]")
    assert page.locator("#action-file .field-error").inner_text().startswith("该字段是必填项")
    assert Case.objects.get(pk=case.pk).status == "reported"

    page.fill("#file-note", "经现场核查，符合立案条件")
    page.click("#action-file button[type=submit]")
    page.wait_for_selector(".messages .success")
    assert "已立案" in page.locator(".badge.status-filed").inner_text()
    assert page.locator(".timeline > li").count() == 2
    # The next steps after 立案: the 现场检查笔录, and 责令改正 shown as blocked until it is recorded, with the reason.
    assert page.locator("#action-record_inspection").count() == 1
    assert page.locator("#blocked-order").count() == 1
    screenshot(page, "case-filed-phone")
    case.refresh_from_db()
    assert case.status == "filed" and case.events.count() == 2


def notified_case(users):
    """Ordered a month ago, not rectified by its deadline, notified of the intended decision two days ago."""
    from datetime import timedelta

    from django.utils import timezone

    from documents.services import record_service
    from patrol import procedure

    def at(moment, hour=10):
        return timezone.localtime(moment).replace(hour=hour, minute=0)

    start = timezone.now() - timedelta(days=30)
    case, _ = workflow.report_finding(actor=users["inspector"], now=at(start, 9), **finding(party_name="赵六"))
    workflow.file_case(case_id=case.pk, actor=users["supervisor"], legal_basis="planning_art65",
                       note="经现场核实，符合立案条件", now=at(start, 11))
    procedure.record_inspection(case_id=case.pk, actor=users["inspector"], officers=[
        users["inspector"].pk, users["supervisor"].pk], facts="院外加盖彩钢房一间，约35平方米", refused=True,
        witness_name="村委会主任李四", now=at(start, 14))
    procedure.order(case_id=case.pk, actor=users["supervisor"], order_kind="rectification_order", period_days=5,
                    now=at(start, 15))
    serve = dict(actor=users["supervisor"], method="left_at_premises", witness_name="村委会主任李四")
    record_service(document_id=case.documents.get(kind="rectification_order").pk, served_on=at(start).date(),
                   now=at(start, 16), **serve)
    case.refresh_from_db()
    after = timezone.make_aware(timezone.datetime.combine(case.deadline + timedelta(days=1), timezone.datetime.min.time()))
    workflow.reinspect(case_id=case.pk, actor=users["inspector"], result="not_rectified", note="彩钢房仍在",
                       now=at(after))
    notified_at = timezone.now() - timedelta(days=2)
    procedure.notify_intent(case_id=case.pk, actor=users["supervisor"], facts="逾期未改正，拟限期拆除",
                            now=at(notified_at, 9))
    record_service(document_id=case.documents.get(kind="intent_notice").pk, served_on=at(notified_at).date(),
                   now=at(notified_at, 11), **serve)
    return Case.objects.get(pk=case.pk)


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_step_line_shows_blocked_steps_with_reasons_and_the_legal_clocks(new_page, users, settings, tmp_path,
                                                                              reused_renderings, device):
    settings.MEDIA_ROOT = tmp_path
    case = notified_case(users)
    options = ({"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
               if device == "phone" else {"viewport": {"width": 1280, "height": 900}})
    page = new_page(tiles="fail", **options)
    sign_in(page, "t_supervisor", "correct-horse-battery", lands_on="/map/")
    page.goto(f"/cases/{case.pk}/")
    done = page.locator("#procedure .step.done")
    assert done.count() == 6  # report, file, inspection, order, re-inspection, notice of intent
    assert page.locator("#procedure .step.done .step-doc a").count() >= 4  # the PDFs of the documents
    assert "已事先告知" in page.locator("#step-current").inner_text()
    blocked = page.locator("#blocked-submit_review")
    assert blocked.is_visible() and "第44、64条" in blocked.inner_text() and "最早" in blocked.inner_text()
    assert page.locator("#clocks .clock").count() >= 3  # 90 days, statement, hearing request
    assert "还剩" in page.locator("#clock-hearing_request").inner_text()
    # Nothing overflows the phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= options["viewport"]["width"]
    page.locator("#procedure").scroll_into_view_if_needed()
    screenshot(page, f"case-steps-{device}")


def test_a_dossier_built_by_the_worker_shows_its_progress_and_is_saved_when_ready(new_page, users, settings,
                                                                                 tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(dossier, "SYNC_PHOTO_LIMIT", -1)  # every case's file is built by a worker
    monkeypatch.setattr("documents.dossier.enqueue_on_commit", lambda name, *args: None)  # no worker: run below
    case, _ = workflow.report_finding(actor=users["inspector"], **finding(party_name="赵六"))
    page = new_page(tiles="fail", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    sign_in(page, "t_supervisor", "correct-horse-battery", lands_on="/map/")
    page.goto(f"/cases/{case.pk}/")
    link = page.locator("#dossier-link")
    assert link.inner_text() == "预览案卷（PDF）"  # an open case: a preview
    link.click()
    # The page stays, and says the file is being built (the URL answers 202 with the job) instead of a JSON tab.
    expect(page.locator("#dossier-progress [data-building]")).to_be_visible()
    assert page.url.endswith(f"/cases/{case.pk}/") and len(page.context.pages) == 1
    # The server makes the job when the page's request reaches it, a moment after the click.
    assert wait_for(lambda: DossierJob.objects.filter(case=case).exists(), timeout=10, interval=0.1)
    job = DossierJob.objects.get(case=case)
    screenshot(page, "case-dossier-building-phone")
    with page.expect_download(timeout=20000) as download:
        tasks.build_dossier(job.pk)  # what the worker does; the page's next poll gets the PDF
    saved = download.value
    assert saved.suggested_filename == f"案卷（{case.reference}）.pdf"
    assert open(saved.path(), "rb").read(5) == b"%PDF-"
    expect(page.locator("#dossier-progress [data-ready]")).to_be_visible()
    expect(page.locator("#dossier-progress progress")).to_be_hidden()
