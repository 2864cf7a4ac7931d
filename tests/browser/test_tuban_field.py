"""In Chromium on a Pixel 5: the 待核查 list with distance and direction, the check refused far from the 图斑 without
a reason, then made inside it while offline and delivered exactly once when the network returns."""
import io
from datetime import date

import pytest
from PIL import Image

from patrol.models import Case
from tests.browser.conftest import screenshot, sign_in
from tests.tuban.conftest import make_batch
from tuban.models import Tuban, TubanPhoto, Verification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Playwright's "Pixel 5" descriptor.
PIXEL_5 = dict(
    user_agent="Mozilla/5.0 (Linux; Android 11; Pixel 5) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/124.0.0.0 Mobile Safari/537.36",
    viewport={"width": 393, "height": 727}, screen={"width": 393, "height": 851}, device_scale_factor=2.75,
    is_mobile=True, has_touch=True)
# T001 is 111.605–111.606 × 40.705–40.706 (about 84 m × 111 m) in 东村.
OUTSIDE = {"latitude": 40.7055, "longitude": 111.6090, "accuracy": 8}  # about 250 m east
INSIDE = {"latitude": 40.7055, "longitude": 111.6055, "accuracy": 6}


def photo(colour):
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), colour).save(out, "JPEG", quality=90)
    return {"name": "IMG.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def take_evidence(page):
    for kind, colour in (("far", (120, 160, 90)), ("near", (90, 90, 160)), ("inside", (200, 120, 60))):
        page.set_input_files(f"#tuban-{kind}", files=[photo(colour)])
        page.wait_for_selector(f"#tuban-{kind}[data-ready='1']", state="attached")


def test_a_tuban_is_checked_offline_on_the_spot_and_arrives_once(new_page, users, jurisdiction, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    jurisdiction.tuban_near_m = 120  # the jurisdiction's distance, not the default 50 m
    jurisdiction.save(update_fields=["tuban_near_m"])
    make_batch(jurisdiction, due_date=date(2026, 12, 31),
               tuban=[("T001", 111.605, 40.705, "东村"), ("T003", 111.625, 40.705, "西村")])
    page = new_page(geolocation=OUTSIDE, permissions=["geolocation"], tiles="fail", **PIXEL_5)
    sign_in(page, "t_inspector", "correct-horse-battery", lands_on="/field/")
    page.wait_for_selector("#tuban-field[data-ready=true]")

    # Nearest first, with metres and the direction to walk; both drawn on the map.
    page.wait_for_selector(".tuban-item[data-number=T001] button:has-text('米')")
    first = page.inner_text(".tuban-item >> nth=0")
    assert "T001" in first and "西" in first  # the 图斑 lies west of the phone
    assert 200 <= int(first.split(" · ")[2].split(" ")[0]) <= 300
    assert page.locator("path.tuban-polygon").count() == 2

    # 250 m away (more than the jurisdiction's 120 m), no reason: the phone refuses before anything is queued.
    page.click(".tuban-item[data-number=T001] button")
    take_evidence(page)
    page.select_option("#tuban-verdict", "illegal")
    page.click("#tuban-form button[type=submit]")
    page.wait_for_selector("#tuban-form-error:not([hidden])")
    assert "120 米" in page.inner_text("#tuban-form-error")
    assert page.get_attribute("#tuban-queue", "data-count") == "0"

    # Walk into the 图斑, lose the network, and save the check: it waits on the phone.
    page.context.set_geolocation(INSIDE)
    page.wait_for_selector("#tuban-form-distance:has-text('在图斑内')")
    page.context.set_offline(True)
    page.click("#tuban-form button[type=submit]")
    page.wait_for_selector("#tuban-queue[data-count='1']")
    assert page.locator(".tuban-item[data-number=T001]").count() == 0
    screenshot(page, "tuban-field-offline-phone")
    assert not Verification.objects.exists() and not TubanPhoto.objects.exists()

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("#tuban-field[data-sent='1']", state="attached", timeout=30000)
    page.wait_for_selector("#tuban-queue[data-count='0']")
    verification = Verification.objects.get()
    assert verification.verdict == "illegal" and verification.distance_m == 0
    assert sorted(verification.photos.values_list("kind", flat=True)) == ["far", "inside", "near"]
    tuban = Tuban.objects.get(number="T001")
    case = Case.objects.get()
    assert tuban.status == "verified_illegal" and tuban.case == case and case.photos.count() == 3
    assert TubanPhoto.objects.count() == 3  # each photo once, however often the drain ran

    # The list on the phone no longer offers it; the other 图斑 is still there.
    page.reload()
    page.wait_for_selector("#tuban-field[data-ready=true]")
    assert page.locator(".tuban-item[data-number=T001]").count() == 0
    assert page.locator(".tuban-item[data-number=T003]").count() == 1


def test_the_tuban_list_and_the_check_work_after_a_reload_without_network(new_page, users, jurisdiction, settings,
                                                                          tmp_path):
    """The page opened once online, then reloaded in the field without network: the service worker serves the page
    and its modules (js/tuban/field.js among them), the list comes from the phone's store, the check is queued."""
    settings.MEDIA_ROOT = tmp_path
    make_batch(jurisdiction, due_date=date(2026, 12, 31),
               tuban=[("T001", 111.605, 40.705, "东村"), ("T003", 111.625, 40.705, "西村")])
    page = new_page(geolocation=INSIDE, permissions=["geolocation"], tiles="fail", **PIXEL_5)
    sign_in(page, "t_inspector", "correct-horse-battery", lands_on="/field/")
    page.wait_for_selector("#tuban-field[data-ready=true]")
    page.wait_for_selector(".tuban-item[data-number=T003]")
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")

    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector("#tuban-field[data-ready=true]")
    assert page.inner_text("#tuban-status") == "离线：显示手机上保存的图斑"
    page.wait_for_selector(".tuban-item[data-number=T001] button:has-text('在图斑内')")
    assert page.locator(".tuban-item[data-number=T003]").count() == 1

    page.click(".tuban-item[data-number=T001] button")
    take_evidence(page)
    page.select_option("#tuban-verdict", "not_construction")
    page.fill("#tuban-note", "大棚")
    page.click("#tuban-form button[type=submit]")
    page.wait_for_selector("#tuban-queue[data-count='1']")
    assert page.locator(".tuban-item[data-number=T001]").count() == 0
    assert not Verification.objects.exists()

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("#tuban-queue[data-count='0']", timeout=30000)
    verification = Verification.objects.get()
    assert verification.verdict == "not_construction" and verification.distance_m == 0
    assert Tuban.objects.get(number="T001").status == "not_construction"
