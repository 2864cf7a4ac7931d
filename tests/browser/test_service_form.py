"""In Chromium on a Pixel 5: a supervisor records the in-person service of an issued order from the case page, the
recipient signing with a finger on the form's canvas (static/js/service.js on signature-pad.js); the 送达回证 is one
tap away and prints the drawn signature (pdfimages, pdftoppm into test-artifacts)."""
import hashlib
import subprocess

import pytest

from documents.choices import DocumentKind
from documents.models import Document, ServiceRecord, Signature
from patrol import procedure, workflow
from tests.browser.conftest import ARTIFACTS, screenshot, sign_in
from tests.browser.test_signature import touch_path
from tests.browser.test_tuban_field import PIXEL_5
from tests.documents.test_signatures import dark_share
from tests.factories import finding

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# How many pixels of a canvas hold ink.
INKED = """(canvas) => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) inked += 1;
  return inked;
}"""


def issued_order(users):
    """A filed case of 王五 with its rectification order issued, not served yet."""
    case, _ = workflow.report_finding(actor=users["inspector"], **finding(party_name="王五", address="村东头12号"))
    workflow.file_case(case_id=case.pk, actor=users["supervisor"], legal_basis="planning_art65", note="立案")
    procedure.record_inspection(case_id=case.pk, actor=users["inspector"],
                                officers=[users["inspector"].pk, users["supervisor"].pk], facts="院外加盖彩钢房一间",
                                refused=True, witness_name="村委会主任李四")
    procedure.order(case_id=case.pk, actor=users["supervisor"], order_kind="rectification_order", period_days=5)
    return Document.objects.get(case=case, kind=DocumentKind.RECTIFICATION_ORDER)


def test_in_person_service_signed_with_a_finger_on_the_case_page_prints_the_signature_on_the_receipt(
        new_page, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    order = issued_order(users)
    page = new_page(**{**PIXEL_5, "viewport": {"width": 360, "height": 740}}, tiles="fail")
    sign_in(page, "t_supervisor", "correct-horse-battery", lands_on="/map/")
    page.goto(f"/cases/{order.case_id}/")
    form = f"#service-{order.pk}"
    assert page.locator(f"#document-{order.pk} .badge.overdue").inner_text() == "尚未送达"

    page.click(f"{form} summary")
    # In person: the signature box shows; the other methods' fields do not.
    assert page.locator(f"{form} canvas.signature-pad").is_visible()
    assert not page.locator(f"{form} input[name=tracking_number]").is_visible()
    # Submitted without a signature, the page says so beside the box and sends nothing.
    page.click(f"{form} button[type=submit]")
    assert "请受送达人在框内签名" in page.locator(f"{form} .service-signature .field-error").inner_text()
    assert not ServiceRecord.objects.exists()

    assert page.input_value(f"{form} input[name=recipient_name]") == "王五"
    page.select_option(f"{form} select[name=recipient_relation]", "")
    canvas = page.locator(f"{form} canvas.signature-pad")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    zigzag = [(0.08 + i * 0.042, 0.3 + (0.4 if i % 2 else 0.0)) for i in range(21)]
    touch_path(page, box, zigzag)
    touch_path(page, box, [(0.1, 0.85), (0.5, 0.8), (0.9, 0.83)])
    assert page.locator(f"{form} .service-signature .field-error").count() == 0  # signed: the message goes
    screenshot(page, "service-form-phone-360")

    # Sent without the recipient's relation: refused beside that field, nothing stored, the drawing still there.
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector(f"{form}[open] .field-error")
    page.wait_for_load_state("load")
    assert "此项为必填项" in page.locator(f"{form} select[name=recipient_relation] + .field-error").inner_text()
    assert not (ServiceRecord.objects.exists() or Signature.objects.exists())
    assert page.locator(f"{form} canvas.signature-pad").evaluate(INKED) > 200

    page.select_option(f"{form} select[name=recipient_relation]", "party")
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector(".messages .success")
    assert "已登记送达" in page.locator(".messages .success").inner_text()
    service = ServiceRecord.objects.select_related("receipt").get()
    signature = Signature.objects.get()
    png = signature.file.read()
    assert (service.method, service.recipient_name, service.recipient_relation) == ("in_person", "王五", "party")
    assert (signature.role, signature.refused) == ("recipient", False)
    assert hashlib.sha256(png).hexdigest() == signature.sha256  # computed in the page, checked by the server
    assert service.receipt.content["images"]["signature"] == signature.sha256

    # The step line: served, no form any more, the 送达回证 one tap away.
    line = page.locator(f"#document-{order.pk}")
    assert "直接送达" in line.inner_text() and line.locator(".badge.overdue").count() == 0
    assert page.locator(form).count() == 0
    receipt = line.locator("a.service-receipt")
    screenshot(page, "service-served-phone-360")
    answer = page.request.get(receipt.get_attribute("href"))
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.body() == service.receipt.pdf.open("rb").read()

    ARTIFACTS.mkdir(exist_ok=True)
    pdf = tmp_path / "receipt.pdf"
    pdf.write_bytes(answer.body())
    subprocess.run(["pdfimages", "-png", str(pdf), str(tmp_path / "placed")], check=True)
    placed = sorted(tmp_path.glob("placed-*.png"))
    assert placed, "no image in the 送达回证"
    # The strokes drawn in Chromium, not an empty box: dark lines on white, neither blank nor filled.
    share = max(dark_share(path, (0, 0, 1, 1)) for path in placed)
    assert 0.005 < share < 0.5, share
    stem = ARTIFACTS / "service-receipt-signed-in-chromium"
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "60", "-png", "-singlefile", str(pdf), str(stem)],
                   check=True)
    assert dark_share(f"{stem}.png", (0, 0, 1, 1)) > 0.01

    desktop = new_page(viewport={"width": 1366, "height": 900}, tiles="fail")
    sign_in(desktop, "t_supervisor", "correct-horse-battery", lands_on="/map/")
    desktop.goto(f"/cases/{order.case_id}/#document-{order.pk}")
    assert desktop.locator(f"#document-{order.pk} a.service-receipt").is_visible()
    screenshot(desktop, "service-served-desktop-1366")


def test_the_service_form_in_english_on_a_desktop(new_page, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    order = issued_order(users)
    page = new_page(locale="en-GB", viewport={"width": 1366, "height": 900}, tiles="fail")
    sign_in(page, "t_supervisor", "correct-horse-battery", lands_on="/map/")
    page.goto(f"/cases/{order.case_id}/")
    form = f"#service-{order.pk}"
    page.click(f"{form} summary")
    page.select_option(f"{form} select[name=method]", "post")
    assert page.locator(f"{form} input[name=tracking_number]").is_visible()
    assert not page.locator(f"{form} canvas.signature-pad").is_visible()
    page.click(f"{form} button[type=submit]")  # no tracking number: refused beside its field, in English
    page.wait_for_selector(f"{form}[open] .field-error")
    page.wait_for_load_state("load")
    # The form came back with the method chosen, and only its fields.
    assert page.input_value(f"{form} select[name=method]") == "post"
    assert not page.locator(f"{form} canvas.signature-pad").is_visible()
    assert page.locator(f"{form} .field-error").first.inner_text().strip() == "This field is required"
    text = page.locator(form).inner_text()
    assert "Record service" in text and "Tracking number" in text, text
    assert not ServiceRecord.objects.exists()
    screenshot(page, "service-form-error-desktop-1366-en")
