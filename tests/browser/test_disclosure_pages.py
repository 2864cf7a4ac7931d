"""In Chromium with JavaScript disabled, on a 360 px phone: the public 执法公示 pages read, page and search without
script, nothing is wider than the screen, the flowchart is drawn, and the app's CSP refuses nothing (screenshots in
test-artifacts/)."""
import pytest

from disclosure import services
from tests.browser.conftest import screenshot
from tests.disclosure.conftest import K, at, decide, media, public_jurisdiction  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def published(users, public_jurisdiction, media):  # noqa: F811 (the fixtures imported above)
    documents = [decide(users, when=at(2026, 3, 31)),
                 decide(users, kind=K.ENFORCEMENT_DECISION, when=at(2026, 4, 20), party="欧阳娜娜",
                        description="欧阳娜娜在自家院内加盖二层彩钢房，联系电话13912345678"),
                 decide(users, kind=K.RECTIFICATION_ORDER, when=at(2025, 11, 3), party="宏达建材有限公司",
                        description="在厂区内搭建彩钢棚")]
    public_jurisdiction.duties = "负责本辖区乡村建设规划许可证的监督检查\n依法查处违法建设行为"
    public_jurisdiction.save()
    services.run_daily(at(2026, 4, 21, 6))
    return documents


def no_wider_than_the_screen(page):
    # Without script on the page, measure from outside it: the widest element's right edge.
    widths = [box["x"] + box["width"] for box in (element.bounding_box() for element in
                                                  page.locator("main *, header *, nav *").all()) if box]
    return max(widths) <= PHONE["width"] + 0.5, max(widths)


def test_the_public_pages_work_without_javascript_on_a_phone(new_page, published, monkeypatch):
    monkeypatch.setattr("disclosure.views.PAGE_SIZE", 2)  # the live server runs in this process
    page = new_page(viewport=PHONE, java_script_enabled=False)
    refused = []  # the browser reports what the app's CSP (config/settings/base.py) refused, script or not
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto("/gongshi/TST/")
    assert page.locator("h1").inner_text().startswith("测试执法队")
    assert page.locator("svg.flowchart").bounding_box()["width"] <= PHONE["width"]
    assert page.locator("svg.flowchart [data-action]").count() >= 20
    ok, widest = no_wider_than_the_screen(page)
    assert ok, widest
    screenshot(page, "disclosure-before-360")

    page.click("nav.mainnav >> text=事后公开")
    page.wait_for_url("**/gongshi/TST/decisions/")
    assert page.locator("ol.decision-list > li").count() == 2  # two a page here, newest first
    assert "欧阳某某" in page.content() and "13912345678" not in page.content()
    ok, widest = no_wider_than_the_screen(page)
    assert ok, widest
    screenshot(page, "disclosure-decisions-360")
    # The pages are links: 下一页, then 上一页 back.
    page.click("nav.pager >> text=下一页")
    page.wait_for_url("**/decisions/?after=*")
    assert page.locator("ol.decision-list > li").count() == 1 and "宏达建材有限公司" in page.content()
    ok, widest = no_wider_than_the_screen(page)
    assert ok, widest
    screenshot(page, "disclosure-decisions-page2-360")
    page.click("nav.pager >> text=上一页")
    page.wait_for_url("**/decisions/?before=*")
    assert page.locator("ol.decision-list > li").count() == 2 and "张某某" in page.content()

    # The search is a plain GET form: no script needed.
    page.select_option("#id_kind", K.RECTIFICATION_ORDER)
    page.click("form.public-search button[type=submit]")
    page.wait_for_url("**/decisions/?*kind=rectification_order*")
    items = page.locator("ol.decision-list > li")
    assert items.count() == 1 and "宏达建材有限公司" in items.inner_text()
    page.select_option("#id_kind", "")
    page.select_option("#id_year", "2026")
    page.click("form.public-search button[type=submit]")
    page.wait_for_url("**/decisions/?*year=2026*")
    assert page.locator("ol.decision-list > li").count() == 2
    screenshot(page, "disclosure-search-360")
    assert not refused, refused
