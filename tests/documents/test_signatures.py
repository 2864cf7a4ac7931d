"""Signatures drawn on the phone (documents.signatures): kept as evidence like photos, uploaded through the API
for the case's jurisdiction only, and placed in the PDF of an on-site record."""
import hashlib
import io
import subprocess
import uuid

import pytest
from django.db import DatabaseError, connection, transaction
from PIL import Image, ImageDraw
from rest_framework.test import APIClient

from documents.choices import DocumentKind
from documents.models import Signature
from tests.browser.conftest import ARTIFACTS
from tests.documents.conftest import at, issue, needs_poppler

pytestmark = [pytest.mark.django_db]


def drawn_png(seed=0, size=(600, 240)):
    """A finger's signature as the canvas exports it: dark strokes on a transparent background."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    points = [(40 + i * 25, 120 + ((i * 37 + seed * 11) % 90) - 45) for i in range(21)]
    pen.line(points, fill=(20, 20, 60, 255), width=7, joint="curve")
    pen.line([(80, 200), (520, 190)], fill=(20, 20, 60, 255), width=5)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def upload(client, case, png=None, **fields):
    body = {"client_uuid": str(uuid.uuid4()), "role": "party", "signer_name": "张三",
            "drawn_at": "2026-03-03T10:20:00+08:00", **fields}
    if png is not None:
        body.setdefault("sha256", hashlib.sha256(png).hexdigest())
        body["file"] = io.BytesIO(png)
        body["file"].name = "signature.png"
    return client.post(f"/api/v1/cases/{case.pk}/signatures/", body, format="multipart")


def test_a_signature_drawn_on_the_phone_is_kept_once_with_its_sha256_and_served_to_its_jurisdiction_only(
        filed_case, users, media):
    client = client_for(users["inspector"])
    png = drawn_png()
    first = upload(client, filed_case, png, client_uuid="5b0b8a52-31d2-4a62-9d0f-8f3c7f9b1a01")
    assert first.status_code == 201, first.content
    again = upload(client, filed_case, png, client_uuid="5b0b8a52-31d2-4a62-9d0f-8f3c7f9b1a01")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    signature = Signature.objects.get()
    assert signature.sha256 == hashlib.sha256(png).hexdigest() and signature.file.read() == png
    event = filed_case.events.order_by("-seq").first()
    assert event.action == "add_signature" and event.payload["sha256"] == signature.sha256

    served = client.get(first.json()["file_url"])
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == png
    other = client_for(users["other_supervisor"])
    assert other.get(first.json()["file_url"]).status_code == 404
    assert upload(other, filed_case, drawn_png(1)).status_code == 404
    assert upload(client_for(users["leader"]), filed_case, drawn_png(2)).status_code == 403


def test_a_signature_must_be_a_png_matching_its_sha256_and_a_refusal_names_its_witness(filed_case, users, media):
    client = client_for(users["inspector"])
    mismatch = upload(client, filed_case, drawn_png(), sha256="0" * 64)
    assert mismatch.status_code == 400 and "sha256" in mismatch.json()["error"]["fields"]
    jpeg = io.BytesIO()
    Image.new("RGB", (60, 20), "white").save(jpeg, "JPEG")
    assert "file" in upload(client, filed_case, jpeg.getvalue()).json()["error"]["fields"]
    assert "file" in upload(client, filed_case, drawn_png()[:200]).json()["error"]["fields"]  # truncated
    no_witness = upload(client, filed_case, refused="true")
    assert no_witness.status_code == 400 and "witness_name" in no_witness.json()["error"]["fields"]
    refusal = upload(client, filed_case, refused="true", witness_name="村委会 李四")
    assert refusal.status_code == 201 and refusal.json()["file_url"] is None
    assert Signature.objects.get().witness_name == "村委会 李四"


def test_a_signatures_fields_are_refused_in_the_users_language(filed_case, users, media):
    # Outside testing: the invalid SHA-256's message was translated once, when the module was imported (Chinese).
    client = client_for(users["inspector"])
    response = client.post(f"/api/v1/cases/{filed_case.pk}/signatures/", {
        "client_uuid": str(uuid.uuid4()), "role": "party", "signer_name": "张三", "sha256": "xyz"},
        format="multipart", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["error"]["fields"]["sha256"] == ["SHA-256 must be 64 hexadecimal characters"]


@pytest.mark.parametrize("drawn_at", ["0001-01-01T00:00:00", "1999-12-31T23:00:00+08:00", "2099-01-01T10:00:00+08:00"])
def test_a_signature_drawn_at_a_moment_no_phone_could_have_is_refused(filed_case, users, media, drawn_at):
    # Outside testing: a naive year 1 was a 500 (DRF's time-zone step overflowed), and a moment in the future was kept
    # as when the party signed.
    response = upload(client_for(users["inspector"]), filed_case, drawn_png(), drawn_at=drawn_at)
    assert response.status_code == 400 and "drawn_at" in response.json()["error"]["fields"], response.content
    assert not Signature.objects.exists()


@pytest.mark.smoke
def test_the_database_refuses_to_change_or_delete_a_signature(filed_case, users, media):
    upload(client_for(users["inspector"]), filed_case, drawn_png())
    signature = Signature.objects.get()
    for sql, params in (("UPDATE documents_signature SET sha256 = %s WHERE id = %s", ["0" * 64, signature.pk]),
                        ("UPDATE documents_signature SET signer_name = %s WHERE id = %s", ["李四", signature.pk]),
                        ("DELETE FROM documents_signature WHERE id = %s", [signature.pk])):
        with pytest.raises(DatabaseError):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, params)
    assert Signature.objects.get().signer_name == "张三"


def dark_share(path, box):
    """The share of dark pixels in ``box`` (fractions of the page: left, top, right, bottom) of a rendered page."""
    image = Image.open(path).convert("L")
    width, height = image.size
    region = image.crop((int(box[0] * width), int(box[1] * height), int(box[2] * width), int(box[3] * height)))
    pixels = region.tobytes()
    return sum(1 for value in pixels if value < 128) / len(pixels)


@needs_poppler
def test_the_party_and_officer_signatures_are_drawn_in_the_pdf_of_an_on_site_record(filed_case, users, media,
                                                                                     tmp_path):
    client = client_for(users["inspector"])
    party = Signature.objects.get(pk=upload(client, filed_case, drawn_png(3)).json()["id"])
    officer = Signature.objects.get(pk=upload(client, filed_case, drawn_png(4), role="officer",
                                              signer_name=str(users["supervisor"]),
                                              officer=users["supervisor"].pk).json()["id"])
    signed = issue(filed_case, DocumentKind.INSPECTION_RECORD, users["supervisor"], now=at(2026, 3, 3),
                   images={"party_signature": party, "officer_signature_1": officer})
    unsigned = issue(filed_case, DocumentKind.INSPECTION_RECORD, users["supervisor"], now=at(2026, 3, 3))
    assert signed.content["images"] == {"party_signature": party.sha256, "officer_signature_1": officer.sha256}

    ARTIFACTS.mkdir(exist_ok=True)
    shares = {}
    for name, document in (("signed", signed), ("unsigned", unsigned)):
        pdf = tmp_path / f"{name}.pdf"
        pdf.write_bytes(document.pdf.open("rb").read())
        images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert len(images.strip().splitlines()) - 2 == (2 if name == "signed" else 0), images
        stem = ARTIFACTS / f"signature-{name}-inspection-record"
        subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "60", "-png", "-singlefile", str(pdf), str(stem)],
                       check=True)
        # The signatures block: the lower half of the page, left of the margin.
        shares[name] = dark_share(f"{stem}.png", (0.1, 0.5, 0.9, 0.95))
    # Not blank: the strokes darken the signatures block beyond the text that is there anyway.
    assert shares["signed"] > shares["unsigned"] * 1.1, shares
    # And each image placed is the drawing, not an empty box: dark strokes on white.
    subprocess.run(["pdfimages", "-png", str(tmp_path / "signed.pdf"), str(tmp_path / "placed")], check=True)
    for placed in sorted(tmp_path.glob("placed-*.png")):
        assert dark_share(placed, (0, 0, 1, 1)) > 0.01, placed.name
