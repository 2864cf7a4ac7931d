"""In Chromium: a supervisor takes one action on the case page, end to end, and sees the record grow."""
import pytest

from patrol import workflow
from patrol.models import Case
from tests.browser.conftest import screenshot, sign_in
from tests.factories import finding

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
