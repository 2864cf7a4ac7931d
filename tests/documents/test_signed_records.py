"""Signatures taken on the phone beforehand (documents.signatures) placed by the actions that need them: the
现场检查（勘验）笔录 and the 询问笔录 (the party's and the officers'), the 送达回证 of an in-person service (the
recipient's and the serving officers'). Through the API, as the phone sends them: the drawn strokes are in the
issued PDF, a refusal prints its witness, another case's or another role's signature is refused, and one
signature goes into one document only."""
import subprocess

import pytest
from django.utils import timezone

from documents.choices import DocumentKind
from documents.models import Document, Signature
from documents.signatures import signature_choices
from patrol import workflow
from patrol.models import Case
from tests.browser.conftest import ARTIFACTS
from tests.documents.conftest import at, flat, issue, needs_poppler, pdf_text
from tests.documents.test_signatures import client_for, dark_share, drawn_png, upload
from tests.factories import finding

pytestmark = [pytest.mark.django_db, needs_poppler]

K = DocumentKind


def signed(client, case, seed, **fields):
    """A signature drawn on the phone and uploaded; returns its client_uuid."""
    response = upload(client, case, drawn_png(seed), **fields)
    assert response.status_code == 201, response.content
    return response.json()["client_uuid"]


def refusal(client, case, witness, **fields):
    response = upload(client, case, refused="true", witness_name=witness, **fields)
    assert response.status_code == 201, response.content
    return response.json()["client_uuid"]


def officer(client, case, seed, user):
    return signed(client, case, seed, role="officer", signer_name=user.display_name, officer=user.pk)


def act(user, case, action, body):
    client = client_for(user)
    etag = client.get(f"/api/v1/cases/{case.pk}/")["ETag"]
    return client.post(f"/api/v1/cases/{case.pk}/actions/{action}/", body, format="json", HTTP_IF_MATCH=etag)


def pdf_of(document, tmp_path, name):
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(document.pdf.open("rb").read())
    return path


def placed_images(path):
    """The images placed in the PDF (``pdfimages -list``, without its two header lines)."""
    listing = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    return listing.strip().splitlines()[2:]


def page_png(path, name):
    """The first page rendered at 60 dpi into test-artifacts (to look at), its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    stem = ARTIFACTS / name
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "60", "-png", "-singlefile", str(path), str(stem)],
                   check=True)
    return f"{stem}.png"


def assert_images_are_strokes(path, tmp_path):
    """Each placed image is a drawing (dark strokes on white), not an empty box."""
    subprocess.run(["pdfimages", "-png", str(path), str(tmp_path / path.stem)], check=True)
    placed = sorted(tmp_path.glob(f"{path.stem}-*.png"))
    assert placed
    for image in placed:
        assert dark_share(image, (0, 0, 1, 1)) > 0.01, image.name


@pytest.fixture
def officers(users):
    return [users["supervisor"], users["inspector"]]


@pytest.fixture
def another_case(users, media):
    case, _ = workflow.report_finding(actor=users["inspector"], now=at(2026, 3, 2, 9), **finding(party_name="李四"))
    workflow.file_case(case_id=case.pk, actor=users["supervisor"], legal_basis="planning_art65", note="立案",
                       now=at(2026, 3, 2, 14))
    return Case.objects.get(pk=case.pk)


def test_an_inspection_record_prints_the_party_and_officer_signatures_drawn_on_the_phone(
        filed_case, users, officers, tmp_path):
    phone = client_for(users["inspector"])
    party = signed(phone, filed_case, 11)
    by_officer = {user.pk: officer(phone, filed_case, 12 + n, user) for n, user in enumerate(officers)}
    response = act(users["supervisor"], filed_case, "record_inspection", {
        "officers": [u.pk for u in officers], "facts": "在建砖混结构房屋一处", "party_signature": party,
        "officer_signatures": list(by_officer.values())})
    assert response.status_code == 200, response.content
    unsigned = act(users["supervisor"], filed_case, "record_inspection", {
        "officers": [u.pk for u in officers], "facts": "在建砖混结构房屋一处", "party_present": False})
    assert unsigned.status_code == 200, unsigned.content

    record, blank = Document.objects.filter(case=filed_case, kind=K.INSPECTION_RECORD).order_by("issued_at", "pk")
    drawn = {str(s.client_uuid): s for s in Signature.objects.filter(case=filed_case)}
    # The content names each signature by its client_uuid and its image by its SHA-256; officer N is the Nth listed.
    numbers = {o["certificate"]: n for n, o in enumerate(record.content["officers"], start=1)}
    assert record.content["signatures"] == {
        "party_signature": party,
        **{f"officer_signature_{numbers[u.certificate_number]}": by_officer[u.pk] for u in officers}}
    assert record.content["images"] == {place: drawn[uuid].sha256 for place, uuid in record.content["signatures"].items()}
    event = filed_case.events.filter(action="record_inspection").order_by("seq").first()
    assert event.payload["document_sha256"] == record.sha256
    assert event.payload["signature_sha256"] == drawn[party].sha256
    assert {s["client_uuid"] for s in event.payload["signatures"].values()} == {party, *by_officer.values()}

    signed_pdf, blank_pdf = pdf_of(record, tmp_path, "signed"), pdf_of(blank, tmp_path, "blank")
    assert len(placed_images(signed_pdf)) == 3 and placed_images(blank_pdf) == []
    assert_images_are_strokes(signed_pdf, tmp_path)
    # The signatures block (lower half of the page) is darker with the strokes than with the blank lines.
    area = (0.1, 0.5, 0.9, 0.95)
    assert (dark_share(page_png(signed_pdf, "signed-inspection-record"), area)
            > dark_share(page_png(blank_pdf, "unsigned-inspection-record"), area) * 1.1)


def test_an_interview_prints_the_partys_refusal_with_its_witness(filed_case, users, officers, tmp_path):
    phone = client_for(users["inspector"])
    refused = refusal(phone, filed_case, "村委会 王五")
    mine = officer(phone, filed_case, 21, users["inspector"])
    response = act(users["inspector"], filed_case, "record_interview", {
        "officers": [u.pk for u in officers], "interviewee": "张三",
        "questions": [{"q": "是否取得乡村建设规划许可证？", "a": "没有"}],
        "party_signature": refused, "officer_signatures": [mine]})
    assert response.status_code == 200, response.content

    record = Document.objects.get(case=filed_case, kind=K.INTERVIEW_RECORD)
    assert (record.content["party_signature"], record.content["witness"]) == ("refused", "村委会 王五")
    assert set(record.content["signatures"].values()) == {refused, mine}
    event = filed_case.events.filter(action="record_interview").get()
    assert (event.payload["refused"], event.payload["witness"]) == (True, "村委会 王五")
    text = flat(pdf_text(record.pdf.open("rb").read(), tmp_path))
    assert "当事人签名：当事人拒绝签名，见证人：村委会王五" in text
    path = pdf_of(record, tmp_path, "interview")
    assert len(placed_images(path)) == 1  # the officer's drawn signature; a refusal has no image
    page_png(path, "refused-interview-record")


@pytest.fixture
def order(filed_case, users):
    return issue(filed_case, K.RECTIFICATION_ORDER, users["supervisor"], now=at(2026, 3, 3), period_days=5)


def serve(order, user, **body):
    return client_for(user).post(f"/api/v1/documents/{order.pk}/services/", {
        "served_on": timezone.localdate().isoformat(), "place": "村东头12号", **body}, format="json")


def test_an_in_person_service_receipt_prints_the_recipients_and_the_officers_signatures(
        filed_case, users, order, tmp_path):
    phone = client_for(users["inspector"])
    recipient = signed(phone, filed_case, 31, role="recipient", signer_name="张三")
    mine = officer(phone, filed_case, 32, users["inspector"])
    response = serve(order, users["supervisor"], method="in_person", recipient_relation="party",
                     recipient_signature=recipient, officer_signatures=[mine])
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["recipient_name"] == "张三"  # from the signature when not typed
    receipt = Document.objects.get(pk=data["receipt"]["id"])
    drawn = Signature.objects.get(client_uuid=recipient)
    assert receipt.content["service"]["signature_sha256"] == drawn.sha256
    assert receipt.content["signatures"] == {"signature": recipient, "officer_signature_2": mine}
    assert [o["name"] for o in receipt.content["officers"]] == [users["supervisor"].display_name,
                                                                 users["inspector"].display_name]
    event = filed_case.events.filter(action="record_service").get()
    assert event.payload["receipt_sha256"] == receipt.sha256
    assert event.payload["signatures"]["signature"] == {"client_uuid": recipient, "sha256": drawn.sha256}

    path = pdf_of(receipt, tmp_path, "receipt")
    assert len(placed_images(path)) == 2
    assert_images_are_strokes(path, tmp_path)
    text = flat(pdf_text(receipt.pdf.open("rb").read(), tmp_path))
    assert f"签名影像SHA-256：{drawn.sha256[:16]}" in text and users["inspector"].display_name in text
    # The 签收人签名 cell (upper half of the page, right of its label) holds the strokes.
    assert dark_share(page_png(path, "signed-service-receipt"), (0.3, 0.3, 0.9, 0.6)) > 0.01


def test_a_recipients_refusal_taken_on_the_phone_is_served_at_the_premises_before_its_witness(
        filed_case, users, order, tmp_path):
    refused = refusal(client_for(users["inspector"]), filed_case, "村委会 赵六", role="recipient")
    in_person = serve(order, users["supervisor"], method="in_person", recipient_relation="party",
                      recipient_signature=refused)
    assert in_person.status_code == 400
    assert "留置送达" in in_person.json()["error"]["fields"]["recipient_signature"][0]
    left = serve(order, users["supervisor"], method="left_at_premises", recipient_signature=refused)
    assert left.status_code == 201, left.content
    assert (left.json()["refused"], left.json()["witness_name"]) == (True, "村委会 赵六")
    receipt = Document.objects.get(pk=left.json()["receipt"]["id"])
    text = flat(pdf_text(receipt.pdf.open("rb").read(), tmp_path))
    assert "拒绝签收" in text and "见证人村委会赵六" in text


def test_a_signature_of_another_case_of_another_role_or_already_used_is_refused_with_the_reason(
        filed_case, another_case, users, officers, order):
    phone = client_for(users["inspector"])
    body = {"officers": [u.pk for u in officers], "facts": "在建"}
    elsewhere = signed(phone, another_case, 41)
    response = act(users["supervisor"], filed_case, "record_inspection", {**body, "party_signature": elsewhere})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["party_signature"] == ["这个签名不是本案件采集的"]
    theirs = officer(phone, another_case, 42, users["inspector"])
    response = act(users["supervisor"], filed_case, "record_inspection", {
        **body, "party_present": False, "officer_signatures": [theirs]})
    assert response.status_code == 400 and "officer_signatures" in response.json()["error"]["fields"]

    an_officers = officer(phone, filed_case, 43, users["inspector"])
    response = act(users["supervisor"], filed_case, "record_inspection", {**body, "party_signature": an_officers})
    assert response.status_code == 400
    assert "当事人" in response.json()["error"]["fields"]["party_signature"][0]
    not_present = officer(phone, filed_case, 44, users["inspector2"])
    response = act(users["supervisor"], filed_case, "record_inspection", {
        **body, "party_present": False, "officer_signatures": [not_present]})
    assert response.status_code == 400 and "officer_signatures" in response.json()["error"]["fields"]
    assert not filed_case.documents.filter(kind=K.INSPECTION_RECORD).exists()
    assert serve(order, users["supervisor"], method="in_person", recipient_relation="party",
                 recipient_signature=elsewhere).status_code == 400

    party = signed(phone, filed_case, 45)
    first = act(users["supervisor"], filed_case, "record_inspection", {**body, "party_signature": party})
    assert first.status_code == 200, first.content
    number = Document.objects.get(case=filed_case, kind=K.INSPECTION_RECORD).number
    again = act(users["supervisor"], filed_case, "record_interview", {
        "officers": [u.pk for u in officers], "interviewee": "张三", "questions": [{"q": "问", "a": "答"}],
        "party_signature": party})
    assert again.status_code == 409
    assert number in again.json()["error"]["message"]
    assert not filed_case.documents.filter(kind=K.INTERVIEW_RECORD).exists()


def test_the_record_forms_offer_the_cases_signatures_not_yet_in_a_document(filed_case, users, officers, client):
    phone = client_for(users["inspector"])
    used, spare = signed(phone, filed_case, 51), signed(phone, filed_case, 52)
    mine = officer(phone, filed_case, 53, users["inspector"])
    assert act(users["supervisor"], filed_case, "record_inspection", {
        "officers": [u.pk for u in officers], "facts": "在建", "party_signature": used}).status_code == 200
    offered = signature_choices(Case.objects.get(pk=filed_case.pk))
    assert [str(s.client_uuid) for s in offered["party_signatures"]] == [spare]
    assert [str(s.client_uuid) for s in offered["officer_signatures"]] == [mine]
    client.force_login(users["supervisor"])
    page = client.get(f"/cases/{filed_case.pk}/").content.decode()
    assert f'value="{spare}"' in page and f'value="{mine}"' in page and used not in page
    assert f'href="/cases/{filed_case.pk}/sign/"' in page
    number = Document.objects.get(case=filed_case, kind=K.INSPECTION_RECORD).number
    sign_page = client.get(f"/cases/{filed_case.pk}/sign/").content.decode()
    assert sign_page.count(f"已用于 {number}") == 1 and sign_page.count("尚未用于文书") == 2
