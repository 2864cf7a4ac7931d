"""A photo picked from the phone's gallery keeps when and where it was shot (its EXIF), not when it was added."""
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from patrol.models import Case
from tests.browser.conftest import sign_in
from tests.browser.test_field_offline import camera_jpeg, log_finding

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def gallery_jpeg(shot_at, lat, lng, offset="+08:00"):
    """A camera JPEG with DateTimeOriginal, OffsetTimeOriginal and a GPS position in its EXIF."""
    def dms(value):
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        seconds = round(((value - degrees) * 60 - minutes) * 60, 2)
        return (float(degrees), float(minutes), seconds)  # Pillow writes them as rationals

    exif = Image.Exif()
    exif[0x0110] = "Phone"  # Model
    details = exif.get_ifd(0x8769)
    details[0x9003] = shot_at  # DateTimeOriginal
    if offset:
        details[0x9011] = offset  # OffsetTimeOriginal
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: dms(lat), 3: "E", 4: dms(lng)})
    out = io.BytesIO()
    Image.new("RGB", (2000, 1500), (150, 120, 90)).save(out, "JPEG", quality=90, exif=exif)
    return {"name": "IMG_20261120_091500.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def test_a_gallery_photo_keeps_its_exif_time_and_place_and_a_fresh_one_gets_now(new_page, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    page = new_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                    geolocation={"latitude": 40.7102, "longitude": 111.6101, "accuracy": 5},
                    permissions=["geolocation"], timezone_id="Asia/Shanghai", tiles="fail")
    sign_in(page, "t_inspector", "correct-horse-battery", lands_on="/field/")
    page.wait_for_selector("#field-app[data-ready=true]")
    before = datetime.now(ZoneInfo("Asia/Shanghai"))

    log_finding(page, "东村村口", [gallery_jpeg("2026:11:20 09:15:00", 40.705, 111.605), camera_jpeg((90, 90, 160))],
                fix=(40.7102, 111.6101, 5))
    page.wait_for_selector("#field-app[data-sent='1']", state="attached")

    from_gallery, fresh = sorted(Case.objects.get().photos.all(), key=lambda photo: photo.taken_at)
    shanghai = ZoneInfo("Asia/Shanghai")
    assert from_gallery.taken_at.astimezone(shanghai) == datetime(2026, 11, 20, 9, 15, tzinfo=shanghai)
    assert from_gallery.location.x == pytest.approx(111.605, abs=1e-5)
    assert from_gallery.location.y == pytest.approx(40.705, abs=1e-5)
    assert from_gallery.accuracy_m is None  # the camera's fix, of unknown accuracy
    # A photo without EXIF (as a canvas-made one) gets the time it was added and the phone's position.
    assert fresh.taken_at >= before.replace(microsecond=0)
    assert fresh.location.y == pytest.approx(40.7102, abs=1e-6) and fresh.accuracy_m == 5
