"""In Chromium on a Pixel 5: evidence-grade capture (#15). A real position or an explicit pick, one case per form
whatever the taps, the photos the jurisdiction asks for, and a page that shows what happened after 保存."""
import io
import json

import pytest
from PIL import Image

from gis.models import Jurisdiction
from patrol.choices import CampaignStatus
from patrol.models import Campaign, Case, Patrol
from tests.browser.conftest import fresh_fix, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The test villages are 0.02° squares from (111.60, 40.70); the map opens here when there is no GPS.
INSIDE_EAST_VILLAGE = (40.705, 111.605)


def photo(colour=(120, 160, 90)):
    out = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(out, "JPEG", quality=85)
    return {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def pixel5(new_page, playwright_devices=None, **options):
    """A Pixel 5 (393×851, touch, mobile) in Chinese; map tiles fail as in a field without signal."""
    defaults = dict(viewport={"width": 393, "height": 851}, device_scale_factor=2.75, is_mobile=True, has_touch=True,
                    user_agent="Mozilla/5.0 (Linux; Android 11; Pixel 5) AppleWebKit/537.36 (KHTML, like Gecko) "
                               "Chrome/120.0 Mobile Safari/537.36", tiles="fail")
    defaults.update(options)
    return new_page(**defaults)


def open_field(page):
    sign_in(page, "t_inspector", "correct-horse-battery", lands_on="/field/")
    page.wait_for_selector("#field-app[data-ready=true]")


def add_photos(page, *files):
    before = page.locator("#photo-previews img").count()
    page.set_input_files("#f-photos", files=list(files))
    page.wait_for_selector(f"#photo-previews img >> nth={before + len(files) - 1}")


def outbox_count(page):
    return int(page.get_attribute("#queue-count", "data-count") or 0)


@pytest.fixture
def map_opens_in_a_village(settings):
    settings.LEAFLET_CONFIG = {**settings.LEAFLET_CONFIG, "DEFAULT_CENTER": INSIDE_EAST_VILLAGE, "DEFAULT_ZOOM": 14}


def test_without_gps_nothing_is_saved_until_the_inspector_places_the_marker(new_page, users, settings, tmp_path,
                                                                           map_opens_in_a_village):
    settings.MEDIA_ROOT = tmp_path
    page = pixel5(new_page)  # no geolocation permission: the phone's position is denied
    open_field(page)
    page.click("#btn-new-finding")
    page.wait_for_selector("#loc-status.poor")
    assert "无法获取定位" in page.inner_text("#loc-status")
    add_photos(page, photo())
    page.select_option("#f-category", "extension")
    page.fill("#f-address", "没有定位")
    page.click("#finding-form button[type=submit]")
    # The map's default centre is nobody's finding: the page refuses and says what is missing.
    page.wait_for_selector("#form-error:not([hidden])")
    assert "位置" in page.inner_text("#form-error")
    page.wait_for_timeout(300)
    assert outbox_count(page) == 0 and Case.objects.count() == 0
    screenshot(page, "field-no-gps-refused-pixel5")

    # Tapping the map places the marker there: a map pick, without a made-up accuracy.
    box = page.locator("#finding-map").bounding_box()
    page.locator("#finding-map").tap(position={"x": box["width"] / 2 + 40, "y": box["height"] / 2 + 20})
    page.wait_for_selector("#loc-status:has-text('已在地图上选点')")
    assert "可以保存" in page.inner_text("#form-missing")
    page.click("#finding-form button[type=submit]")
    page.wait_for_selector("#field-app[data-sent='1']", state="attached")
    case = Case.objects.get()
    assert case.location_source == "map_pick" and case.accuracy_m is None
    assert (case.location.y, case.location.x) != INSIDE_EAST_VILLAGE


def test_a_fix_worse_than_the_threshold_is_not_saved_and_a_good_one_is(new_page, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    Jurisdiction.objects.filter(code="TST").update(finding_accuracy_max_m=25)
    page = pixel5(new_page, geolocation={"latitude": 40.705, "longitude": 111.605, "accuracy": 80},
                  permissions=["geolocation"])
    open_field(page)
    page.click("#btn-new-finding")
    fresh_fix(page, 40.705, 111.605, 80)
    page.wait_for_selector("#loc-status:has-text('±80')")
    assert "≤ 25" in page.inner_text("#loc-status")  # the threshold, shown live
    add_photos(page, photo())
    page.select_option("#f-category", "extension")
    page.click("#finding-form button[type=submit]")
    page.wait_for_selector("#form-error:not([hidden])")
    assert outbox_count(page) == 0

    page.context.set_geolocation({"latitude": 40.7051, "longitude": 111.6052, "accuracy": 9})
    page.wait_for_selector("#loc-status:has-text('±9')")
    page.click("#finding-form button[type=submit]")
    page.wait_for_selector("#field-app[data-sent='1']", state="attached")
    case = Case.objects.get()
    assert case.location_source == "device_gps" and case.accuracy_m == 9
    assert case.location.x == pytest.approx(111.6052) and case.location.y == pytest.approx(40.7051)


def test_a_double_tap_on_save_makes_exactly_one_case(new_page, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    page = pixel5(new_page, geolocation={"latitude": 40.705, "longitude": 111.605, "accuracy": 6},
                  permissions=["geolocation"])
    open_field(page)
    page.click("#btn-new-finding")
    fresh_fix(page, 40.705, 111.605, 6)
    page.wait_for_selector("#loc-status:has-text('±6')")
    add_photos(page, photo(), photo((90, 90, 160)))
    page.select_option("#f-category", "extension")
    page.fill("#f-address", "双击")
    # A Pixel 5's CPU is several times slower than this machine's: the second tap lands while the first is saved.
    page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": 6})
    save = page.locator("#finding-form button[type=submit]")
    save.scroll_into_view_if_needed()
    box = save.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    page.wait_for_timeout(30)
    page.mouse.click(x, y)
    page.wait_for_selector("#field-app[data-sent='1']", state="attached")
    page.wait_for_selector("#queue-count[data-count='0']")
    page.wait_for_timeout(500)
    assert Case.objects.count() == 1
    assert Case.objects.get().photos.count() == 2
    assert page.locator(".queue-item.failed").count() == 0


def test_a_finding_needs_its_photo_and_a_wrong_photo_can_be_removed(new_page, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    Jurisdiction.objects.filter(code="TST").update(finding_min_photos=1)  # the default; the test factory sets 0
    page = pixel5(new_page, geolocation={"latitude": 40.705, "longitude": 111.605, "accuracy": 6},
                  permissions=["geolocation"])
    open_field(page)
    page.click("#btn-new-finding")
    fresh_fix(page, 40.705, 111.605, 6)
    page.wait_for_selector("#loc-status:has-text('±6')")
    page.select_option("#f-category", "extension")
    assert "还要 1 张现场照片" in page.inner_text("#form-missing")
    page.click("#finding-form button[type=submit]")
    page.wait_for_selector("#form-error:has-text('还要 1 张现场照片')")
    assert outbox_count(page) == 0

    add_photos(page, photo((200, 0, 0)))
    page.click("#photo-previews .remove-photo")  # the wrong photo
    assert page.locator("#photo-previews img").count() == 0
    assert "还要 1 张现场照片" in page.inner_text("#form-missing")
    add_photos(page, photo((0, 200, 0)))
    assert "可以保存" in page.inner_text("#form-missing")
    screenshot(page, "field-form-ready-pixel5")
    page.click("#finding-form button[type=submit]")
    page.wait_for_selector("#field-app[data-sent='1']", state="attached")
    assert Case.objects.get().photos.count() == 1


def test_after_saving_the_page_shows_the_record_at_the_top_pending_then_with_its_reference(
        new_page, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    page = pixel5(new_page, geolocation={"latitude": 40.705, "longitude": 111.605, "accuracy": 6},
                  permissions=["geolocation"])
    open_field(page)
    assert page.get_attribute("#today-count", "data-count") == "0"
    page.context.set_offline(True)
    page.click("#btn-new-finding")
    fresh_fix(page, 40.705, 111.605, 6)
    page.wait_for_selector("#loc-status:has-text('±6')")
    add_photos(page, photo())
    page.select_option("#f-category", "extension")
    page.fill("#f-address", "村西头")
    page.click("#finding-form button[type=submit]")
    page.wait_for_selector("#finding-form", state="hidden")
    page.wait_for_function("window.scrollY === 0")
    page.wait_for_selector("#today-list li.pending:has-text('村西头')")
    assert "待上传" in page.inner_text("#today-list li.pending")
    assert page.get_attribute("#today-count", "data-count") == "1"
    assert "今天 1 条" in page.inner_text("#today-count")
    screenshot(page, "field-saved-pending-pixel5")

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("#field-app[data-sent='1']", state="attached", timeout=30000)
    reference = Case.objects.get().reference
    page.wait_for_selector(f"#today-list li.delivered:has-text('{reference}')")
    assert page.locator("#today-list li").count() == 1
    assert page.get_attribute("#today-count", "data-count") == "1"


def test_a_refused_finding_says_why_in_plain_words_and_can_be_corrected_and_sent_again(
        new_page, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    page = pixel5(new_page, geolocation={"latitude": 40.705, "longitude": 111.605, "accuracy": 6},
                  permissions=["geolocation"])
    open_field(page)
    refused = {"error": {"code": "invalid", "message": "提交的内容有误", "fields": {"floors": ["层数过多"]}}}
    page.route("**/api/v1/cases/", lambda route: route.fulfill(status=400, content_type="application/json",
                                                              body=json.dumps(refused, ensure_ascii=False)),
               times=1)
    page.click("#btn-new-finding")
    fresh_fix(page, 40.705, 111.605, 6)
    page.wait_for_selector("#loc-status:has-text('±6')")
    add_photos(page, photo())
    page.select_option("#f-category", "extension")
    page.fill("#f-address", "写错了")
    page.click("#finding-form button[type=submit]")
    page.wait_for_selector(".queue-item.failed")
    text = page.inner_text(".queue-item.failed")
    assert "服务器没有接受" in text and "层数过多" in text and "client_uuid" not in text
    screenshot(page, "field-refused-item-pixel5")

    page.click(".queue-item.failed button:has-text('打开修改')")
    page.wait_for_selector("#finding-form:not([hidden])")
    assert page.input_value("#f-address") == "写错了"
    assert page.locator("#photo-previews img").count() == 1
    page.fill("#f-address", "改好了")
    page.click("#finding-form button[type=submit]")
    page.wait_for_selector("#field-app[data-sent='1']", state="attached")
    case = Case.objects.get()
    assert case.address == "改好了" and case.photos.count() == 1


def test_no_campaign_is_chosen_for_the_inspector(new_page, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    jurisdiction = users["inspector"].jurisdiction
    Campaign.objects.create(jurisdiction=jurisdiction, name="春季专项", status=CampaignStatus.ACTIVE,
                            starts_on="2026-01-01", ends_on="2099-12-31")
    page = pixel5(new_page, geolocation={"latitude": 40.705, "longitude": 111.605, "accuracy": 6},
                  permissions=["geolocation"])
    open_field(page)
    assert page.input_value("#f-campaign") == ""
    page.click("#btn-patrol")
    page.wait_for_selector("#start-dialog[open]")
    assert page.input_value("#p-campaign") == ""
    assert page.locator("#p-campaign option").first.inner_text().startswith("无")
    page.click("#start-form button[value=start]")
    page.wait_for_selector("#patrol-bar:not([hidden])")
    page.wait_for_selector("#queue-count[data-count='0']", timeout=30000)
    assert Patrol.objects.get().campaign is None
