"""Hostile photo uploads (issue #8): each refused with a clear 4xx in the API's error shape, memory bounded.

tests/api/test_photos_api.py covers HTML named .jpg, a 20000×20000 PNG header, 8000×8000, a truncated JPEG, an
empty file, more than 15 MB and two files; these are the rest.
"""
import hashlib
import io
import os
import re
import struct
import uuid
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from patrol import workflow
from patrol.models import Photo
from tests.factories import finding
from tests.hardening.conftest import api, assert_error_shape

pytestmark = [pytest.mark.django_db]

MB = 1 << 20
POLYGLOT = "夹带了其他内容"


@pytest.fixture
def case(users, media):
    return workflow.report_finding(actor=users["inspector"], **finding())[0]


def post_photo(user, case, data, *, name="photo.jpg", content_type="image/jpeg", extra=None):
    body = {"file": SimpleUploadedFile(name, data, content_type=content_type), "client_uuid": str(uuid.uuid4()),
            "sha256": hashlib.sha256(data).hexdigest(), "taken_at": "2026-11-20T10:15:00+08:00", "stage": "before"}
    body.update(extra or {})
    return api(user).post(f"/api/v1/cases/{case.pk}/photos/", body, format="multipart")


def refused(response, why, status=400):
    error = assert_error_shape(response, status)
    messages = error["fields"].get("file") or [error["message"]]
    assert why in messages[0], error
    assert Photo.objects.count() == 0
    return error


def png_bytes(size=(64, 48)):
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 60)).save(out, "PNG")
    return out.getvalue()


def jpeg_bytes(size=(800, 600)):
    out = io.BytesIO()
    Image.new("RGB", size, (90, 120, 200)).save(out, "JPEG", quality=85)
    return out.getvalue()


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width, height, rgba=False):
    """A real, decodable PNG of width × height zero pixels, greyscale (or RGBA: four bytes a pixel once decoded):
    about 200 kB on disk for 200 megapixels (for 50 RGBA ones)."""
    packer = zlib.compressobj(9)
    row = b"\x00" * (width * (4 if rgba else 1) + 1)  # filter byte + pixels
    parts = [packer.compress(row) for _ in range(height)]
    data = b"".join(parts) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 6 if rgba else 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", data)
            + png_chunk(b"IEND", b""))


SCRIPT = b"<html><body><script>alert(document.cookie)</script></body></html>"
SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(1)</script></svg>')


@pytest.mark.parametrize("name, content_type", [("evil.svg", "image/svg+xml"), ("evil.jpg", "image/jpeg")])
def test_an_svg_with_a_script_is_refused_whatever_it_is_called(users, case, name, content_type):
    refused(post_photo(users["inspector"], case, SVG, name=name, content_type=content_type), "不是可识别的照片文件")


def test_a_valid_png_with_html_appended_is_refused(users, case):
    refused(post_photo(users["inspector"], case, png_bytes() + SCRIPT, name="x.png"), POLYGLOT)


def test_a_valid_png_with_harmless_bytes_after_its_end_is_refused_too(users, case):
    # Room after IEND is room for a second file: no camera writes it.
    refused(post_photo(users["inspector"], case, png_bytes() + b"\0" * 100, name="x.png"), POLYGLOT)


def test_a_png_hiding_html_in_a_text_chunk_is_refused(users, case):
    data = png_bytes()
    iend = data.rindex(b"IEND") - 4
    data = data[:iend] + png_chunk(b"tEXt", b"Comment\x00" + SCRIPT) + data[iend:]
    assert Image.open(io.BytesIO(data)).size == (64, 48)  # still a valid PNG
    refused(post_photo(users["inspector"], case, data, name="x.png"), POLYGLOT)


def test_html_behind_png_magic_bytes_is_refused(users, case):
    refused(post_photo(users["inspector"], case, b"\x89PNG\r\n\x1a\n" + SCRIPT, name="x.png"), "不是可识别的照片文件")


def test_a_jpeg_with_html_after_its_end_is_refused(users, case):
    refused(post_photo(users["inspector"], case, jpeg_bytes() + SCRIPT), POLYGLOT)


@pytest.mark.parametrize("trailer", [b"<img src=x onerror=alert(document.cookie)>", b"<svg onload=alert(1)>",
                                     bytes(range(256)) * 400 + b"SEFT", b"\0"])
def test_a_jpeg_with_anything_after_its_end_of_image_marker_is_refused(users, case, trailer):
    # Evidence is stored byte for byte: nothing may ride along after the image, not even a phone's trailer (the
    # field page re-encodes every photo, so a motion photo's video never reaches us from it).
    refused(post_photo(users["inspector"], case, jpeg_bytes() + trailer), POLYGLOT)


def test_a_progressive_jpeg_with_exif_ending_at_its_marker_is_accepted(users, case):
    out = io.BytesIO()
    image = Image.linear_gradient("L").convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "Xuncha test"  # Make
    image.save(out, "JPEG", quality=90, progressive=True, exif=exif.tobytes())
    response = post_photo(users["inspector"], case, out.getvalue())
    assert response.status_code == 201, response.content


def test_an_event_handler_hidden_in_a_png_text_chunk_is_refused(users, case):
    data = png_bytes()
    iend = data.rindex(b"IEND") - 4
    data = data[:iend] + png_chunk(b"tEXt", b"Comment\x00<img src=x onerror=alert(1)>") + data[iend:]
    refused(post_photo(users["inspector"], case, data, name="x.png"), POLYGLOT)


def heic_bytes(size=(64, 48)):
    out = io.BytesIO()
    Image.new("RGB", size, (90, 120, 200)).save(out, "HEIF")
    return out.getvalue()


def test_a_real_heic_photo_is_decoded_and_stored_with_its_size(users, case):
    response = post_photo(users["inspector"], case, heic_bytes(), name="IMG_0001.HEIC", content_type="image/heic")
    assert response.status_code == 201, response.content
    photo = response.json()
    assert (photo["content_type"], photo["width"], photo["height"]) == ("image/heic", 64, 48)


FTYP_HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"


@pytest.mark.parametrize("body", [lambda: os.urandom(14 * MB), lambda: SCRIPT * 100, lambda: b"\0" * 1000])
def test_an_ftyp_heic_header_followed_by_anything_but_an_image_is_refused(users, case, body):
    response = post_photo(users["inspector"], case, FTYP_HEIC + body(), name="x.heic", content_type="image/heic")
    error = assert_error_shape(response, 400)
    assert "file" in error["fields"], error
    assert Photo.objects.count() == 0


def test_a_real_heic_with_html_after_its_last_box_is_refused(users, case):
    refused(post_photo(users["inspector"], case, heic_bytes() + SCRIPT, name="x.heic", content_type="image/heic"),
            POLYGLOT)


def peak_rss_growth(action):
    """Bytes the process's peak RSS grew by while ``action`` ran (Linux: VmHWM after resetting it)."""
    clear_refs = Path("/proc/self/clear_refs")

    def peak():
        return int(re.search(r"VmHWM:\s+(\d+) kB", Path("/proc/self/status").read_text()).group(1)) * 1024

    def current():
        return int(re.search(r"VmRSS:\s+(\d+) kB", Path("/proc/self/status").read_text()).group(1)) * 1024

    clear_refs.write_text("5")  # reset VmHWM to the current RSS
    before = current()
    result = action()
    return peak() - before, result


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
def test_a_200_megapixel_decompression_bomb_is_refused_without_decoding_it(users, case):
    data = png_bomb(20000, 10000)
    assert len(data) < 1 * MB  # small on disk, 200 MB once decoded
    growth, response = peak_rss_growth(lambda: post_photo(users["inspector"], case, data, name="bomb.png"))
    refused(response, "不是可识别的照片文件")
    assert growth < 100 * MB, f"peak RSS grew by {growth / MB:.0f} MB"


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
def test_a_bomb_just_under_the_pixel_limit_is_refused_as_too_many_pixels(users, case):
    data = png_bomb(9000, 7000)  # 63 MP: Pillow opens it; our own limit (50 MP) refuses it before decoding
    growth, response = peak_rss_growth(lambda: post_photo(users["inspector"], case, data, name="bomb.png"))
    refused(response, "像素过多")
    assert growth < 100 * MB, f"peak RSS grew by {growth / MB:.0f} MB"


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
def test_a_signature_of_a_few_hundred_kilobytes_holding_200_mb_of_pixels_is_refused_without_decoding_it(users, case):
    # Outside testing: under the signature's byte limit and the photos' pixel limit, so the photos' check decoded all
    # 196 MB before the signature's side limit (documents.signatures.MAX_SIDE) refused it — per request.
    from documents.models import Signature
    from documents.signatures import MAX_BYTES, MAX_SIDE

    data = png_bomb(7000, 7000, rgba=True)
    assert len(data) < MAX_BYTES and 7000 > MAX_SIDE
    body = {"file": SimpleUploadedFile("signature.png", data, content_type="image/png"),
            "client_uuid": str(uuid.uuid4()), "role": "party", "signer_name": "张三",
            "sha256": hashlib.sha256(data).hexdigest()}
    growth, response = peak_rss_growth(
        lambda: api(users["inspector"]).post(f"/api/v1/cases/{case.pk}/signatures/", body, format="multipart"))
    assert "签名图像须为 PNG" in assert_error_shape(response, 400)["fields"]["file"][0]
    assert growth < 100 * MB, f"peak RSS grew by {growth / MB:.0f} MB"
    assert not Signature.objects.exists()


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
def test_a_40_megapixel_jpeg_is_checked_without_decoding_it_at_full_size(users, case):
    data = jpeg_bytes((8000, 5000))  # 120 MB as pixels; a real phone can take it
    growth, response = peak_rss_growth(lambda: post_photo(users["inspector"], case, data))
    assert response.status_code == 201, response.content
    assert growth < 100 * MB, f"peak RSS grew by {growth / MB:.0f} MB"


def test_101_files_in_one_request_are_refused(users, case):
    small = jpeg_bytes((32, 32))
    extra = {f"file{i}": SimpleUploadedFile(f"x{i}.jpg", small, content_type="image/jpeg") for i in range(100)}
    response = post_photo(users["inspector"], case, small, extra=extra)
    error = assert_error_shape(response, 400)
    assert error["code"] in {"too_many", "invalid"}
    assert Photo.objects.count() == 0


@pytest.mark.parametrize("data", [lambda: jpeg_bytes()[:2000], lambda: png_bytes()[:-20]])
def test_a_truncated_photo_is_refused_even_when_pillow_was_told_to_load_truncated_images(users, case, monkeypatch,
                                                                                          data):
    # WeasyPrint sets this for the whole process when the documents' PDFs import it.
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    refused(post_photo(users["inspector"], case, data(), name="x.jpg"), "已损坏")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # left as it was found
