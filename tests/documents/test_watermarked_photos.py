"""The photos placed in documents and in the dossier carry the band of their display copy (patrol.watermark) — under
a photographed signature, over the dossier's photos; the documents still name each photo by the SHA-256 of its
original, which stays as it was."""
import hashlib
import io
import subprocess
from datetime import date
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from PIL import Image, ImageStat

from documents import dossier
from documents.choices import DocumentKind
from documents.services import record_service
from patrol import workflow
from patrol.choices import ServiceMethod
from tests.documents.conftest import at, issue, needs_poppler

pytestmark = [pytest.mark.django_db, needs_poppler]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pale_photo(case, user, suffix):
    out = io.BytesIO()
    Image.new("RGB", (1600, 1200), (245, 245, 245)).save(out, "JPEG")
    data = out.getvalue()
    photo = workflow.attach_photo(case_id=case.pk, actor=user, client_uuid=f"4f9d7e1a-0000-4000-8000-0000000000{suffix}",
                                  file=ContentFile(data), sha256=hashlib.sha256(data).hexdigest(),
                                  content_type="image/jpeg", size_bytes=len(data), taken_at=at(2026, 3, 3),
                                  stage="notice", now=at(2026, 3, 3))
    return photo, data


def placed_images(pdf, tmp_path):
    path = tmp_path / "placed.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdfimages", "-png", str(path), str(tmp_path / "img")], check=True)
    return [Image.open(p).convert("L") for p in sorted(tmp_path.glob("img-*.png"))]


def has_band(image):
    width, height = image.size
    picture = ImageStat.Stat(image.crop((0, 0, width, int(height * 0.8)))).mean[0]
    band = ImageStat.Stat(image.crop((0, int(height * 0.95), width, height)))
    # The pale picture above; a dark band with white text along the bottom.
    return picture > 235 and band.mean[0] < 150 and band.extrema[0][1] > 220


def test_a_served_documents_photo_is_the_watermarked_copy_named_by_the_originals_sha256(filed_case, users,
                                                                                      tmp_path):
    order = issue(filed_case, DocumentKind.RECTIFICATION_ORDER, users["supervisor"], now=at(2026, 3, 3),
                  period_days=5)
    photo, data = pale_photo(filed_case, users["inspector"], "b1")
    receipt = record_service(document_id=order.pk, actor=users["supervisor"], method=ServiceMethod.IN_PERSON,
                             served_on=date(2026, 3, 3), now=at(2026, 3, 4, 9), recipient_name="张三",
                             recipient_relation="party", signature_photo=photo.pk).receipt
    assert receipt.content["images"] == {"signature": hashlib.sha256(data).hexdigest()}
    [image] = placed_images(receipt.pdf.open("rb").read(), tmp_path)
    # Placed as a signature: the band is under the 600 × 450 picture, which it leaves whole to its last row (a
    # signature photographed near its lower edge keeps every stroke), not drawn over its bottom.
    width, height = image.size
    assert width == 600 and 470 < height < 560 and has_band(image)
    picture = ImageStat.Stat(image.crop((0, 0, 600, 450)))
    assert picture.extrema[0][0] > 225, picture.extrema  # not one dark row of the band inside the picture
    assert ImageStat.Stat(image.crop((0, 452, 600, height))).mean[0] < 110  # the band itself, below it
    ARTIFACTS.mkdir(exist_ok=True)
    (tmp_path / "receipt.pdf").write_bytes(receipt.pdf.open("rb").read())
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-singlefile", str(tmp_path / "receipt.pdf"),
                    str(ARTIFACTS / "receipt-signature-photo")], check=True)
    with photo.file.open("rb") as handle:
        assert handle.read() == data


def test_the_dossiers_photo_pages_show_the_watermarked_copy(filed_case, users, tmp_path):
    photo, data = pale_photo(filed_case, users["inspector"], "b2")
    photos = dossier.build_dossier(filed_case).parts[-2]
    assert photos.title == "照片证据"
    [image] = placed_images(photos.pdf, tmp_path)
    assert has_band(image)
    assert hashlib.sha256(photo.file.open("rb").read()).hexdigest() == photo.sha256
    ARTIFACTS.mkdir(exist_ok=True)
    (tmp_path / "photos.pdf").write_bytes(photos.pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-singlefile", str(tmp_path / "photos.pdf"),
                    str(ARTIFACTS / "dossier-photo-page-watermarked")], check=True)
