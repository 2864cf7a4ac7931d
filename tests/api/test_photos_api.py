"""Photo upload: idempotent by client_uuid, hashed, and hostile files refused with a clear 4xx."""
import hashlib
import io
import struct
import uuid
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from patrol import workflow
from patrol.models import Photo
from patrol.photos import make_thumbnail
from tests.factories import finding

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


@pytest.fixture
def case(users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return workflow.report_finding(actor=users["inspector"], **finding())[0]


def jpeg_bytes(size=(800, 600), colour=(90, 120, 200)):
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", quality=85)
    return out.getvalue()


def png_header_only(width, height):
    """A PNG that claims to be width × height: enough to test the pixel check without 400 MB of memory."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b""))


def upload(user, case, data, *, name="photo.jpg", client_uuid=None, sha256=None, extra_files=()):
    client = APIClient()
    client.force_authenticate(user)
    body = {"file": SimpleUploadedFile(name, data, content_type="image/jpeg"),
            "client_uuid": str(client_uuid or uuid.uuid4()), "sha256": sha256 or hashlib.sha256(data).hexdigest(),
            "taken_at": "2026-11-20T10:15:00+08:00",
            "location": '{"type": "Point", "coordinates": [111.6051, 40.7051]}', "accuracy_m": "7", "stage": "before"}
    for i, extra in enumerate(extra_files):
        body[f"file{i}"] = SimpleUploadedFile(f"x{i}.jpg", extra)
    return client.post(f"/api/v1/cases/{case.pk}/photos/", body, format="multipart")


def test_a_photo_is_stored_with_its_hash_time_and_position(users, case):
    data = jpeg_bytes()
    response = upload(users["inspector"], case, data)
    assert response.status_code == 201, response.json()
    photo = Photo.objects.get()
    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    assert (photo.width, photo.height, photo.content_type) == (800, 600, "image/jpeg")
    assert photo.location.x == pytest.approx(111.6051)
    assert case.events.filter(action="add_photo").count() == 1


def test_the_same_photo_sent_again_is_200_and_stored_once(users, case):
    data, key = jpeg_bytes(), uuid.uuid4()
    assert upload(users["inspector"], case, data, client_uuid=key).status_code == 201
    again = upload(users["inspector"], case, data, client_uuid=key)
    assert again.status_code == 200
    assert Photo.objects.count() == 1 and case.events.filter(action="add_photo").count() == 1


def test_other_bytes_under_the_same_client_uuid_are_a_conflict(users, case):
    key = uuid.uuid4()
    upload(users["inspector"], case, jpeg_bytes(), client_uuid=key)
    assert upload(users["inspector"], case, jpeg_bytes(colour=(1, 2, 3)), client_uuid=key).status_code == 409


def test_a_sha256_that_does_not_match_the_bytes_is_refused(users, case):
    response = upload(users["inspector"], case, jpeg_bytes(), sha256="0" * 64)
    assert response.status_code == 400 and "sha256" in response.json()["error"]["fields"]
    assert Photo.objects.count() == 0


@pytest.mark.parametrize("data, why", [
    (b"<html><script>alert(1)</script></html>", "不是可识别的照片文件"),
    (png_header_only(20000, 20000), "不是可识别的照片文件"),
    (png_header_only(8000, 8000), "像素过多"),
    (jpeg_bytes()[:2000], "已损坏"),
    (b"", "空"),
])
def test_hostile_files_are_refused_cleanly(users, case, data, why):
    response = upload(users["inspector"], case, data, name="evil.jpg")
    assert response.status_code == 400, response.content
    assert why in response.json()["error"]["fields"]["file"][0]
    assert Photo.objects.count() == 0


def test_a_file_over_15_mb_is_refused(users, case):
    data = jpeg_bytes() + b"\0" * (15 * 1024 * 1024)
    response = upload(users["inspector"], case, data)
    assert response.status_code == 400 and "15 MB" in response.json()["error"]["fields"]["file"][0]


def test_more_than_one_file_in_a_request_is_refused(users, case):
    response = upload(users["inspector"], case, jpeg_bytes(), extra_files=[jpeg_bytes()])
    assert response.status_code == 400


def test_another_jurisdiction_can_neither_upload_nor_download(users, case):
    assert upload(users["other_supervisor"], case, jpeg_bytes()).status_code == 404
    upload(users["inspector"], case, jpeg_bytes())
    photo = Photo.objects.get()
    client = APIClient()
    client.force_authenticate(users["other_supervisor"])
    assert client.get(f"/api/v1/photos/{photo.pk}/file/").status_code == 404
    client.force_authenticate(users["leader"])
    response = client.get(f"/api/v1/photos/{photo.pk}/file/")
    assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "image/jpeg" and "inline" in response["Content-Disposition"]


def test_a_thumbnail_is_added_without_touching_the_evidence(users, case):
    upload(users["inspector"], case, jpeg_bytes(size=(1600, 1200)))
    photo = Photo.objects.get()
    assert make_thumbnail(photo) is True
    photo.refresh_from_db()
    with photo.thumbnail.open("rb") as f, Image.open(f) as thumb:
        assert max(thumb.size) == 480
    assert photo.sha256 == hashlib.sha256(photo.file.open("rb").read()).hexdigest()
