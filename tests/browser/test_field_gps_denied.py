"""In Chromium on a phone whose user denied the page its position (outside testing): every part of the field page
that wants a position says, in the user's language, that it has none and what follows — and makes none up. A
finding waits for a pick on the map (tests/browser/test_field_evidence.py); a patrol goes on without its track; an
on-site record and a re-inspection are saved without coordinates."""
import pytest

from patrol.choices import Role, Status
from patrol.models import Case, CaseEvent, Patrol
from tests.api.dataset import World
from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_field_records_offline import DOUBLE_TAP, fill_inspection, open_record_form

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(jurisdiction, other_jurisdiction, settings, tmp_path, reused_renderings):
    settings.MEDIA_ROOT = tmp_path
    return World({"TST": jurisdiction, "OTH": other_jurisdiction})


def phone_without_position(new_page, locale="zh-CN"):
    """A Pixel 5 whose user said no to the page's position request (no geolocation permission); tiles fail."""
    return new_page(locale=locale, viewport={"width": 360, "height": 780}, device_scale_factor=2.75, is_mobile=True,
                    has_touch=True, tiles="fail",
                    user_agent="Mozilla/5.0 (Linux; Android 11; Pixel 5) AppleWebKit/537.36 (KHTML, like Gecko) "
                               "Chrome/120.0 Mobile Safari/537.36")


def test_a_patrol_started_without_the_position_says_that_no_track_is_recorded(new_page, users):
    page = phone_without_position(new_page)
    sign_in(page, "t_inspector", "correct-horse-battery", lands_on="/field/")
    page.wait_for_selector("#field-app[data-ready=true]")
    page.click("#btn-patrol")
    page.wait_for_selector("#patrol-bar:not([hidden])")
    # Before: the patrol bar counted "0 个点" for ever and nothing said why.
    page.wait_for_selector("#patrol-gps:not([hidden])")
    assert "不会记录轨迹" in page.inner_text("#patrol-gps")
    screenshot(page, "field-patrol-no-position-360")
    page.wait_for_selector("#queue-count[data-count='0']", timeout=30000)
    patrol = Patrol.objects.get(inspector=users["inspector"])
    assert patrol.track is None  # no point made up

    page.click("#btn-patrol")
    page.fill("#finish-note", "未发现违法建设")
    page.click("#finish-form button[value=finish]")
    page.wait_for_selector("#patrol-gps", state="hidden")


def test_an_on_site_record_made_without_the_position_says_so_in_english_and_is_recorded_without_one(new_page,
                                                                                                   world):
    case = world.case("TST", Status.FILED)
    Case.objects.filter(pk=case.pk).update(party_name="张三")
    supervisor = world.user("TST", Role.SUPERVISOR)
    page = phone_without_position(new_page, locale="en-US")
    sign_in(page, "m_TST_inspector", "correct-horse-battery", lands_on="/field/")
    page.wait_for_selector("#field-app[data-ready=true]")
    page.wait_for_selector(f"#reinspect-list li[data-case-id='{case.pk}']")

    open_record_form(page, case)
    # Before: nothing said that the record would carry no position.
    page.wait_for_selector("#record-no-gps:not([hidden])")
    assert "without coordinates" in page.inner_text("#record-no-gps")
    fill_inspection(page, supervisor)
    page.wait_for_selector("#record-missing.ready")
    page.evaluate(DOUBLE_TAP)
    page.wait_for_selector("#record-form", state="hidden")
    page.wait_for_selector("#field-app[data-sent='1']", state="attached", timeout=30000)
    event = CaseEvent.objects.get(case=case, action="record_inspection")
    assert event.location is None


def test_a_reinspection_opened_without_the_position_says_so(new_page, world):
    case = world.case("TST", Status.ORDERED)
    page = phone_without_position(new_page)
    sign_in(page, "m_TST_inspector", "correct-horse-battery", lands_on="/field/")
    page.wait_for_selector("#field-app[data-ready=true]")
    page.click(f"#reinspect-list li[data-case-id='{case.pk}'] button")
    page.wait_for_selector("#reinspect-no-gps:not([hidden])")
    assert "不带现场坐标" in page.inner_text("#reinspect-no-gps")
    page.click("#reinspect-cancel")
    page.wait_for_selector("#reinspect-no-gps", state="hidden")
