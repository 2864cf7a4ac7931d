"""Watermarked display copies (patrol.watermark): a band of time, position, case and taker on a derived copy, for
the case page, the API, documents and the dossier; the original photo stays the evidence, byte for byte."""
import base64
import hashlib
import io
import logging
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageChops, ImageStat
from rest_framework.test import APIClient

from documents.images import images_for, print_copy
from patrol import watermark, workflow
from patrol.models import Photo
from tests.factories import finding

pytestmark = pytest.mark.django_db

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# 2026-11-20 10:15 in Beijing.
TAKEN_AT = "2026-11-20T10:15:00+08:00"


@pytest.fixture
def case(users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return workflow.report_finding(actor=users["inspector"], **finding())[0]


def scene(size=(1600, 1200)):
    """A photo-like picture: a gradient sky and a house, so a band drawn over it shows in the pixels."""
    width, height = size
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    image = Image.merge("RGB", (image.getchannel(0), Image.new("L", size, 150), Image.new("L", size, 110)))
    house = Image.new("RGB", (width // 3, height // 2), (200, 190, 170))
    image.paste(house, (width // 3, height // 4))
    return image


def jpeg(image=None, fmt="JPEG"):
    out = io.BytesIO()
    (image or scene()).save(out, fmt, quality=90)
    return out.getvalue()


def store(user, case, data, *, location=(111.605123, 40.705087), accuracy_m=7.4, content_type="image/jpeg"):
    return workflow.attach_photo(
        case_id=case.pk, actor=user, client_uuid=uuid.uuid4(), file=ContentFile(data),
        sha256=hashlib.sha256(data).hexdigest(), content_type=content_type, size_bytes=len(data),
        taken_at=datetime.fromisoformat(TAKEN_AT), stage="before",
        location=Point(*location, srid=4326) if location else None, accuracy_m=accuracy_m if location else None)


def mean_difference(a, b, box):
    return sum(ImageStat.Stat(ImageChops.difference(a.crop(box), b.crop(box))).mean) / 3


def opened(field):
    with field.open("rb") as handle:
        return Image.open(io.BytesIO(handle.read())).convert("RGB")


def test_the_display_copy_has_the_band_along_the_bottom_and_the_original_stays_as_it_was(users, case):
    data = jpeg()
    photo = store(users["inspector"], case, data)
    assert watermark.make_display_copy(Photo.objects.select_related("case", "uploaded_by").get(pk=photo.pk))
    photo = Photo.objects.get(pk=photo.pk)

    copy, original = opened(photo.display), opened(photo.file)
    assert copy.size == original.size == (1600, 1200)
    width, height = copy.size
    # Above the band the picture is the photo (JPEG noise only); the bottom rows are the dark band with white text.
    assert mean_difference(copy, original, (0, 0, width, int(height * 0.85))) < 2
    band = (0, int(height * 0.94), width, height)
    assert mean_difference(copy, original, band) > 30
    assert max(ImageStat.Stat(copy.crop(band).convert("L")).extrema[0]) > 230  # the text
    # The evidence: the same file, the same bytes, the same SHA-256; the copy is a file of its own.
    with photo.file.open("rb") as handle:
        assert handle.read() == data
    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    assert photo.display.name != photo.file.name and photo.display.name.startswith("display/")
    call_command("verify_events", verbosity=0)
    ARTIFACTS.mkdir(exist_ok=True)
    with photo.display.open("rb") as handle:
        (ARTIFACTS / "photo-display-copy.jpg").write_bytes(handle.read())
    copy.save(ARTIFACTS / "photo-display-copy.png")


def test_the_band_says_when_where_which_case_and_who_in_beijing_time(users, case):
    photo = store(users["inspector"], case, jpeg())
    photo = Photo.objects.select_related("case", "uploaded_by").get(pk=photo.pk)
    lines = watermark.band_lines(photo)
    assert lines == ["拍摄时间 2026-11-20 10:15　位置 北纬40.70509° 东经111.60512° ±7米",
                     f"案件 {case.reference}　拍摄人 {users['inspector'].display_name}"]


def test_a_photo_without_position_says_so_and_still_gets_its_copy(users, case):
    photo = store(users["inspector"], case, jpeg(), location=None)
    photo = Photo.objects.select_related("case", "uploaded_by").get(pk=photo.pk)
    assert "位置 无定位" in watermark.band_lines(photo)[0]
    assert watermark.make_display_copy(photo)
    assert watermark.make_display_copy(Photo.objects.get(pk=photo.pk)) is False  # made once


def test_a_narrow_portrait_photo_keeps_the_whole_band_inside_the_picture(users, case):
    photo = store(users["inspector"], case, jpeg(scene((450, 800))))
    assert watermark.make_display_copy(Photo.objects.select_related("case", "uploaded_by").get(pk=photo.pk))
    copy = opened(Photo.objects.get(pk=photo.pk).display)
    # The band's right-hand margin is dark: no line runs off the picture.
    assert copy.size == (450, 800)
    assert max(ImageStat.Stat(copy.crop((446, 780, 450, 800)).convert("L")).extrema[0]) < 120
    copy.save(ARTIFACTS / "photo-display-copy-portrait.png")


def test_a_heic_photo_gets_no_copy_as_it_gets_no_thumbnail(users, case):
    photo = store(users["inspector"], case, jpeg(scene((64, 48)), "HEIF"), content_type="image/heic")
    assert watermark.make_display_copy(photo) is False
    assert Photo.objects.get(pk=photo.pk).display == ""
    Photo.objects.filter(pk=photo.pk).update(uploaded_at=timezone.now() - timedelta(hours=1))
    assert photo.pk not in list(watermark.photos_without_display_copy(timezone.now()))
    client = APIClient()
    client.force_authenticate(users["inspector"])
    assert client.get(f"/api/v1/photos/{photo.pk}/display/").status_code == 404
    assert client.get(f"/api/v1/photos/{photo.pk}/file/").status_code == 200


def test_the_sweep_finds_photos_without_a_copy_once_they_are_two_minutes_old(users, case):
    photo = store(users["inspector"], case, jpeg())
    assert photo.pk not in list(watermark.photos_without_display_copy(timezone.now() - timedelta(minutes=2)))
    assert photo.pk in list(watermark.photos_without_display_copy(timezone.now() + timedelta(minutes=3)))
    watermark.make_display_copy(Photo.objects.select_related("case", "uploaded_by").get(pk=photo.pk))
    assert photo.pk not in list(watermark.photos_without_display_copy(timezone.now() + timedelta(minutes=3)))


def test_the_display_copy_is_served_like_the_file_and_only_to_the_jurisdiction(users, case):
    photo = store(users["inspector"], case, jpeg())
    client = APIClient()
    client.force_authenticate(users["leader"])
    assert client.get(f"/api/v1/photos/{photo.pk}/display/").status_code == 404  # not made yet
    assert client.get(f"/api/v1/cases/{case.pk}/").json()["photos"][0]["display_url"] is None
    watermark.make_display_copy(Photo.objects.select_related("case", "uploaded_by").get(pk=photo.pk))
    response = client.get(f"/api/v1/photos/{photo.pk}/display/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff" and "inline" in response["Content-Disposition"]
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    assert client.get(f"/api/v1/cases/{case.pk}/").json()["photos"][0]["display_url"] == \
        f"/api/v1/photos/{photo.pk}/display/"
    # The original stays downloadable as it was sent.
    original = client.get(f"/api/v1/photos/{photo.pk}/file/")
    assert hashlib.sha256(b"".join(original.streaming_content)).hexdigest() == photo.sha256
    client.force_authenticate(users["other_supervisor"])
    assert client.get(f"/api/v1/photos/{photo.pk}/display/").status_code == 404


def test_the_case_page_opens_the_watermarked_copy_and_links_the_original(users, case, client):
    photo = store(users["inspector"], case, jpeg())
    client.force_login(users["supervisor"])
    page = client.get(reverse("case", args=[case.pk])).content.decode()
    assert f"/api/v1/photos/{photo.pk}/display/" not in page  # none yet: the photo opens as it is
    watermark.make_display_copy(Photo.objects.select_related("case", "uploaded_by").get(pk=photo.pk))
    page = client.get(reverse("case", args=[case.pk])).content.decode()
    assert f'href="/api/v1/photos/{photo.pk}/display/"' in page
    assert f'href="/api/v1/photos/{photo.pk}/file/"' in page and "原件" in page


def test_a_documents_photo_is_placed_with_the_band_and_named_by_the_originals_sha256(users, case):
    photo = store(users["inspector"], case, jpeg())
    placed = images_for(case, {"images": {"signature": photo.sha256}})
    assert set(placed) == {"signature"}
    image = Image.open(io.BytesIO(base64.b64decode(placed["signature"].split(",", 1)[1]))).convert("RGB")
    width, height = image.size
    # The picture whole at print size, the band added under it (placed as a signature: it covers no stroke).
    picture_height = round(width * 3 / 4)
    plain = scene().resize((width, picture_height))
    assert width == 600 and height > picture_height + 20
    assert mean_difference(image, plain, (0, 0, width, picture_height)) < 4
    assert ImageStat.Stat(image.crop((0, picture_height + 2, width, height)).convert("L")).extrema[0][1] > 230
    # Same bytes in, same JPEG out: a document re-rendered from its row gets the image it was issued with.
    assert print_copy(Photo.objects.select_related("case", "uploaded_by").get(pk=photo.pk),
                      band_below=True) == placed["signature"]


def test_without_the_cjk_font_the_copy_is_still_made_and_the_log_says_why(users, case, settings):
    settings.SUMMARY_CHART_FONT = "/nonexistent/font.ttc"
    photo = store(users["inspector"], case, jpeg())
    records = []
    handler = logging.Handler(level=logging.WARNING)
    handler.emit = records.append
    logging.getLogger("patrol.watermark").addHandler(handler)
    try:
        assert watermark.make_display_copy(Photo.objects.select_related("case", "uploaded_by").get(pk=photo.pk))
    finally:
        logging.getLogger("patrol.watermark").removeHandler(handler)
    assert any("Watermark font /nonexistent/font.ttc not found" in r.getMessage() for r in records)
