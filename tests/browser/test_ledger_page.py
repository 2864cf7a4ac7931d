"""In Chromium: a supervisor filters, sorts and exports the ledger (台账), on a desk screen and on a phone."""
import re

import openpyxl
import pytest
from django.core.management import call_command
from django.utils import timezone

from patrol.models import Case
from tests.browser.conftest import screenshot, sign_in
from tests.worker.conftest import wait_for
from exports.models import ExportJob
from worker.tasks import build_export

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(settings, tmp_path, reused_renderings):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", "--demo-cases", "30", verbosity=0)


def shown_references(page):
    return page.locator("#ledger-table tbody td.ref a").all_inner_texts()


def test_supervisor_filters_sorts_and_downloads_the_ledger_as_excel(new_page, demo):
    lwg_cases = Case.objects.filter(jurisdiction__code="LWG")
    page = new_page(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    sign_in(page, "supervisor", lands_on="/map/")
    page.goto("/ledger/")
    everything = shown_references(page)
    assert len(everything) == min(lwg_cases.count(), 50)
    assert all(reference.startswith("LWG-") for reference in everything)

    # A filter: only cases being rectified. Empty fields stay out of the URL.
    page.check("input[name=status][value=ordered]")
    page.click("#ledger-filters button[type=submit]")
    page.wait_for_url(re.compile(r"/ledger/\?status=ordered$"))
    rectifying = shown_references(page)
    assert 0 < len(rectifying) < len(everything)
    assert len(rectifying) == lwg_cases.filter(status="ordered").count()
    assert set(page.locator("#ledger-table tbody .badge[class*=status-]").all_inner_texts()) == {"责令整改中"}  # the ordered state since #13
    overdue = lwg_cases.filter(status="ordered", deadline__lt=timezone.localdate()).count()
    assert page.locator("#ledger-table tbody tr.overdue").count() == overdue

    # Sorting by 编号 keeps the filter, and a second click turns the order round.
    page.click("th a[data-sort=reference]")
    page.wait_for_url(re.compile(r"ordering=reference"))
    assert "status=ordered" in page.url
    assert shown_references(page) == sorted(rectifying)
    page.click("th a[data-sort=reference]")
    page.wait_for_url(re.compile(r"ordering=-reference"))
    assert shown_references(page) == sorted(rectifying, reverse=True)

    # The Excel button exports what the table shows, in its order.
    with page.expect_download() as download_info:
        page.click("#export-bar a[data-format=xlsx]")
    download = download_info.value
    assert download.suggested_filename == f"LWG-台账-{timezone.localdate():%Y-%m-%d}.xlsx"
    with open(download.path(), "rb") as workbook:  # the saved download has no .xlsx name
        sheet = openpyxl.load_workbook(workbook).active
    assert sheet["A1"].value == "编号"
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == sorted(rectifying, reverse=True)
    path = screenshot(page, "ledger-supervisor")
    assert path.stat().st_size > 10_000


def test_a_large_export_shows_its_progress_and_then_a_download_link(new_page, demo, settings):
    settings.LEDGER_SYNC_LIMIT = 5
    page = new_page(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    sign_in(page, "supervisor", lands_on="/map/")
    page.goto("/ledger/?ordering=reference")
    assert page.locator("#export-bar").get_attribute("data-async") == "true"
    page.click("#export-bar a[data-format=csv]")
    page.wait_for_selector("#export-job:not([hidden])")
    assert wait_for(lambda: ExportJob.objects.exists(), timeout=10)
    job = ExportJob.objects.get()
    assert page.locator("#export-job-link").is_hidden()

    # The worker's part, run here: the page polls the job until its file is ready.
    build_export.apply(args=[job.pk])
    page.wait_for_selector("#export-job[data-state=done]")
    assert page.locator("#export-job-progress").evaluate("el => el.value") == 100
    with page.expect_download() as download_info:
        page.click("#export-job-link")
    assert download_info.value.suggested_filename == f"LWG-台账-{timezone.localdate():%Y-%m-%d}.csv"
    lines = open(download_info.value.path(), encoding="utf-8-sig").read().splitlines()
    assert len(lines) == 1 + Case.objects.filter(jurisdiction__code="LWG").count()
    screenshot(page, "ledger-export-done")


def test_a_throttled_export_says_so_and_asks_again_after_retry_after(new_page, demo, settings):
    """#16: a 429 from the throttle (here on the job's progress) is shown in words and the page asks again after
    Retry-After instead of giving up with "无法获取导出进度"."""
    settings.LEDGER_SYNC_LIMIT = 5
    page = new_page(viewport={"width": 1280, "height": 800})
    refused = []

    def throttle_once(route):
        if not refused:
            refused.append(route.request.url)
            route.fulfill(status=429, headers={"Retry-After": "2", "Content-Type": "application/json"},
                          body='{"error": {"code": "throttled", "message": "throttled", "fields": {}}}')
        else:
            route.continue_()

    page.route("**/exports/*/", throttle_once)
    sign_in(page, "supervisor", lands_on="/map/")
    page.goto("/ledger/?ordering=reference")
    page.click("#export-bar a[data-format=csv]")
    page.wait_for_selector("#export-job[data-state=throttled]")
    assert "请求过于频繁，2 秒后自动重试" in page.inner_text("#export-job")
    assert wait_for(lambda: ExportJob.objects.exists(), timeout=10)
    build_export.apply(args=[ExportJob.objects.get().pk])
    page.wait_for_selector("#export-job[data-state=done]", timeout=15000)
    assert len(refused) == 1


def test_on_a_phone_the_table_scrolls_inside_its_card(new_page, demo):
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    sign_in(page, "supervisor", lands_on="/map/")
    page.goto("/ledger/?overdue=true")
    assert page.locator("#ledger-table tbody tr.overdue").count() >= 1
    # The page itself does not scroll sideways; the table does, within its card.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    scroller = page.locator(".table-scroll")
    assert scroller.evaluate("el => el.scrollWidth > el.clientWidth")
    screenshot(page, "ledger-phone")


def test_on_a_phone_the_filters_fold_away_and_say_when_some_are_set(new_page, demo):
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    sign_in(page, "supervisor", lands_on="/map/")
    page.goto("/ledger/")
    assert not page.locator("#ledger-filter-box").evaluate("el => el.open")
    # The table starts on the first screen instead of below a screenful of filters.
    assert page.locator("#ledger-table").bounding_box()["y"] < 844
    page.click("#ledger-filter-box > summary")
    assert page.locator("#f-village").is_visible()
    page.goto("/ledger/?overdue=true")
    assert not page.locator("#ledger-filter-box").evaluate("el => el.open")
    assert "已筛选" in page.inner_text("#ledger-filter-box > summary")
    screenshot(page, "ledger-phone-filters")
    page.goto("/ledger/?reported_from=not-a-date")  # a refused filter keeps the box open with its message
    assert page.locator("#ledger-filter-box").evaluate("el => el.open")

    wide = new_page(viewport={"width": 1280, "height": 800})
    sign_in(wide, "supervisor", lands_on="/map/")
    wide.goto("/ledger/")
    assert wide.locator("#f-village").is_visible()
    assert not wide.locator("#ledger-filter-box > summary").is_visible()
