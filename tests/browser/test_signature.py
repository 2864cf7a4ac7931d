"""A signature drawn with a finger on the phone (documents/sign.html, static/js/signature.js): a real touch path
in Chromium, offline first, so it waits in the field outbox; stored when the network is back, and visible in the
PDF of the on-site record (rendered with pdftoppm into test-artifacts)."""
import hashlib
import subprocess
import time

import pytest

from documents.choices import DocumentKind
from documents.models import Signature
from patrol import procedure, workflow
from tests.browser.conftest import ARTIFACTS, screenshot, sign_in
from tests.documents.test_signatures import dark_share
from tests.factories import finding

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def touch_path(page, box, points):
    """A finger on the screen: touchStart, touchMoves, touchEnd through Chromium's input pipeline (pointer events
    with pointerType "touch" for the page), at fractions of ``box``."""
    cdp = page.context.new_cdp_session(page)

    def at(fx, fy):
        return [{"x": box["x"] + fx * box["width"], "y": box["y"] + fy * box["height"], "id": 1}]

    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": at(*points[0])})
    for point in points[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": at(*point)})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def wait_for(condition, timeout=20):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_signature_drawn_with_a_finger_offline_is_stored_when_online_and_printed_in_the_record(
        new_page, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case, _ = workflow.report_finding(actor=users["inspector"], **finding(party_name="张三"))
    workflow.file_case(case_id=case.pk, actor=users["supervisor"], legal_basis="planning_art65", note="立案")
    page = new_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, tiles="fail")
    sign_in(page, "t_inspector", "correct-horse-battery", lands_on="/field/")
    page.goto(f"/cases/{case.pk}/sign/")
    canvas = page.wait_for_selector("canvas.signature-pad")
    box = canvas.bounding_box()
    zigzag = [(0.08 + i * 0.042, 0.3 + (0.4 if i % 2 else 0.0)) for i in range(21)]
    touch_path(page, box, zigzag)
    touch_path(page, box, [(0.1, 0.85), (0.5, 0.8), (0.9, 0.83)])

    page.context.set_offline(True)
    page.click("#signature-form button[type=submit]")
    page.locator(".sign-status", has_text="有网络时自动上传").wait_for()
    assert not Signature.objects.exists()  # waiting in the outbox
    page.context.set_offline(False)  # Chromium fires "online": the page drains its outbox
    assert wait_for(lambda: Signature.objects.exists()), page.text_content(".sign-status")
    page.locator(".sign-status", has_text="签名已上传").wait_for()

    signature = Signature.objects.get()
    png = signature.file.read()
    assert (signature.role, signature.signer_name, signature.refused) == ("party", "张三", False)
    assert hashlib.sha256(png).hexdigest() == signature.sha256  # the hash made on the phone, checked on the server
    page.reload()
    page.wait_for_selector("#signatures img.signature-thumb")
    screenshot(page, "signature-page")

    # The record names the signature taken on the phone, as the case page's form sends it.
    procedure.record_inspection(case_id=case.pk, actor=users["supervisor"], facts="在建",
                                officers=[users["inspector"].pk, users["supervisor"].pk],
                                party_signature=signature.client_uuid)
    record = case.documents.get(kind=DocumentKind.INSPECTION_RECORD)
    assert record.content["images"] == {"party_signature": signature.sha256}
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = tmp_path / "record.pdf"
    pdf.write_bytes(record.pdf.open("rb").read())
    stem = ARTIFACTS / "signature-drawn-in-chromium-record"
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "60", "-png", "-singlefile", str(pdf), str(stem)],
                   check=True)
    subprocess.run(["pdfimages", "-png", str(pdf), str(tmp_path / "placed")], check=True)
    placed = sorted(tmp_path.glob("placed-*.png"))
    assert len(placed) == 1 and dark_share(placed[0], (0, 0, 1, 1)) > 0.01  # the strokes, not an empty box
    # The same record without the party has no image at all: the strokes above are the party's signature. (A
    # comparison of how dark the lower half of the page is failed once the rights paragraph grew by a line.)
    procedure.record_inspection(case_id=case.pk, actor=users["supervisor"], facts="在建",
                                officers=[users["inspector"].pk, users["supervisor"].pk], party_present=False)
    unsigned = case.documents.filter(kind=DocumentKind.INSPECTION_RECORD).latest("issued_at", "pk")
    (tmp_path / "unsigned.pdf").write_bytes(unsigned.pdf.open("rb").read())
    subprocess.run(["pdfimages", "-png", str(tmp_path / "unsigned.pdf"), str(tmp_path / "bare")], check=True)
    assert not list(tmp_path.glob("bare-*.png"))
