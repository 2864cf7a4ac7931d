"""In Chromium on a phone: findings with photos online and offline; nothing lost, nothing duplicated."""
import io

import pytest
from PIL import Image

from patrol.models import Case, Photo
from tests.browser.conftest import fresh_fix, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def camera_jpeg(colour):
    """A 12-megapixel JPEG, as a phone camera makes."""
    out = io.BytesIO()
    Image.new("RGB", (4000, 3000), colour).save(out, "JPEG", quality=92)
    return {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def log_finding(page, address, photos, fix=(40.705, 111.605, 6)):
    page.click("#btn-new-finding")
    fresh_fix(page, *fix)
    page.wait_for_selector("#loc-status:has-text('±')")
    page.set_input_files("#f-photos", files=photos)
    # A preview appears once a photo is resized and hashed on the phone.
    page.wait_for_selector(f"#photo-previews img >> nth={len(photos) - 1}")
    page.select_option("#f-category", "extension")
    page.fill("#f-address", address)
    page.click("#finding-form button[type=submit]")
    page.wait_for_selector("#finding-form", state="hidden")


def test_findings_logged_online_and_offline_arrive_exactly_once(new_page, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    context_options = dict(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                           geolocation={"latitude": 40.705, "longitude": 111.605, "accuracy": 6},
                           permissions=["geolocation"], tiles="fail")
    page = new_page(**context_options)
    sign_in(page, "t_inspector", "correct-horse-battery", lands_on="/field/")
    page.wait_for_selector("#field-app[data-ready=true]")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")

    # Online: a finding with two photos goes straight through.
    log_finding(page, "东村村口", [camera_jpeg((120, 160, 90)), camera_jpeg((90, 90, 160))])
    page.wait_for_selector("#field-app[data-sent='1']", state="attached")
    assert page.get_attribute("#queue-count", "data-count") == "0"
    assert Case.objects.count() == 1 and Photo.objects.count() == 2
    screenshot(page, "field-online-phone")

    # Offline: the finding waits in the outbox, survives a reload, and leaves it when the network returns.
    page.context.set_offline(True)
    log_finding(page, "东村北侧", [camera_jpeg((200, 120, 60))])
    page.wait_for_selector("#queue-count[data-count='1']")
    assert "1 条待上传" in page.inner_text("#queue-count")
    screenshot(page, "field-offline-queue-phone")
    page.reload()  # served by the service worker
    page.wait_for_selector("#field-app[data-ready=true]")
    page.wait_for_selector("#queue-count[data-count='1']")
    assert Case.objects.count() == 1

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("#field-app[data-sent='1']", state="attached", timeout=30000)  # counted since reload
    page.wait_for_selector("#queue-count[data-count='0']")
    assert Case.objects.filter(reported_by=users["inspector"]).count() == 2
    assert Photo.objects.count() == 3
    offline_case = Case.objects.get(address="东村北侧")
    photo = offline_case.photos.get()
    assert (photo.width, photo.height) == (1600, 1200)  # resized on the phone; bench/field.py measures bytes
