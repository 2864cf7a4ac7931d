"""Recording a service (送达) from the case page (documents.views.record_service_page): the form under each issued
document not yet served, with the recipient's signature drawn in it; one service function behind it and the API."""
import base64
import hashlib
import io
import threading
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from documents.choices import DocumentKind
from documents.models import Document, ServiceRecord, Signature
from patrol import procedure, workflow
from patrol.models import CaseEvent, Photo
from tests.documents.test_signatures import drawn_png
from tests.factories import finding

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def order(users, media):
    """A rectification order issued on a filed case of 王五, not served yet."""
    case, _ = workflow.report_finding(actor=users["inspector"], **finding(party_name="王五", address="村东头12号"))
    workflow.file_case(case_id=case.pk, actor=users["supervisor"], legal_basis="planning_art65", note="立案")
    procedure.record_inspection(case_id=case.pk, actor=users["inspector"],
                                officers=[users["inspector"].pk, users["supervisor"].pk], facts="在建",
                                refused=True, witness_name="村委会主任")
    procedure.order(case_id=case.pk, actor=users["supervisor"], order_kind="rectification_order", period_days=5)
    return Document.objects.get(case=case, kind=DocumentKind.RECTIFICATION_ORDER)


def url(order):
    return reverse("case-document-service", args=[order.case_id, order.pk])


def in_person(png=None, **fields):
    png = drawn_png(5) if png is None else png
    return {"client_uuid": str(uuid.uuid4()), "method": "in_person", "served_on": timezone.localdate().isoformat(),
            "place": "村东头12号", "recipient_name": "王五", "recipient_relation": "party",
            "signature_png": "data:image/png;base64," + base64.b64encode(png).decode(),
            "signature_sha256": hashlib.sha256(png).hexdigest(), **fields}


def stored(case_id):
    """What a service would add: services, signatures, documents, photos and events of the case."""
    return (ServiceRecord.objects.count(), Signature.objects.count(), Document.objects.count(),
            Photo.objects.count(), CaseEvent.objects.filter(case_id=case_id).count())


def test_the_case_page_offers_the_service_form_under_an_unserved_document_to_a_supervisor_only(client, users, order):
    page = reverse("case", args=[order.case_id])
    client.force_login(users["supervisor"])
    body = client.get(page).content.decode()
    assert f'id="service-{order.pk}"' in body and url(order) in body
    # Every method the domain has, and the canvas of the recipient's signature.
    for method in ("in_person", "left_at_premises", "post", "public_notice", "electronic"):
        assert f'<option value="{method}"' in body
    assert 'class="signature-pad"' in body and "js/service.js" in body
    for role in ("inspector", "leader", "legal"):
        client.force_login(users[role])
        assert f'id="service-{order.pk}"' not in client.get(page).content.decode(), role


def test_in_person_service_with_the_signature_drawn_in_the_form_shows_the_document_served(client, users, order):
    client.force_login(users["supervisor"])
    png = drawn_png(7)
    response = client.post(url(order), in_person(png))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('case', args=[order.case_id])}#document-{order.pk}"
    service = ServiceRecord.objects.select_related("receipt").get()
    signature = Signature.objects.get()
    assert (service.document_id, service.method, service.recipient_name, service.recipient_relation) == (
        order.pk, "in_person", "王五", "party")
    assert service.effective_on == timezone.localdate() and not service.refused
    assert (signature.role, signature.signer_name, signature.sha256) == ("recipient", "王五",
                                                                          hashlib.sha256(png).hexdigest())
    assert signature.file.read() == png
    # The 送达回证 places the drawn signature, and the event names it.
    assert service.receipt.content["signatures"] == {"signature": str(signature.client_uuid)}
    assert service.receipt.content["images"]["signature"] == signature.sha256
    event = CaseEvent.objects.filter(case_id=order.case_id, action="record_service").get()
    assert event.payload["signatures"]["signature"]["sha256"] == signature.sha256

    body = client.get(response["Location"]).content.decode()
    assert "已登记送达" in body
    assert reverse("api-document-pdf", args=[service.receipt_id]) in body  # the 送达回证, one tap away
    assert f'id="service-{order.pk}"' not in body and "尚未送达" not in body


def test_a_missing_field_is_shown_beside_it_and_nothing_is_stored(client, users, order):
    client.force_login(users["supervisor"])
    before = stored(order.case_id)
    response = client.post(url(order), in_person(recipient_relation="", served_on=""))
    assert response.status_code == 400
    body = response.content.decode()
    assert "该字段是必填项" in body  # served_on, next to its field
    assert f'id="service-{order.pk}" open' in body  # the form opens again with what was sent
    assert 'value="村东头12号"' in body
    assert stored(order.case_id) == before

    # The service's own rules: the relation of the recipient is named beside its field; the signature drawn in the
    # form (already kept when the service refused) is rolled back with it.
    response = client.post(url(order), in_person(recipient_relation=""))
    assert response.status_code == 400
    assert 'class="field-error" role="alert">此项为必填项' in response.content.decode()
    assert stored(order.case_id) == before


def test_errors_are_in_the_users_language(client, users, order):
    client.force_login(users["supervisor"])
    response = client.post(url(order), in_person(signature_png="", signature_sha256=""),
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.content.decode()
    assert "须有受送达人" not in body
    assert ('class="field-error" role="alert">The recipient&#x27;s signature on the phone, or a photo of the signed '
            'receipt, is needed') in body
    assert "Record service" in body and "Recipient's name" in body  # the form itself, in English
    assert not ServiceRecord.objects.exists()


def test_a_signature_whose_hash_does_not_match_is_refused_beside_the_signature(client, users, order):
    client.force_login(users["supervisor"])
    before = stored(order.case_id)
    response = client.post(url(order), in_person(signature_sha256="0" * 64))
    assert response.status_code == 400
    assert "签名图像的 SHA-256 与声明的不符" in response.content.decode()
    assert stored(order.case_id) == before


def test_a_refusal_to_sign_must_be_recorded_as_left_at_the_premises(client, users, order):
    client.force_login(users["supervisor"])
    before = stored(order.case_id)
    refusal = in_person(signature_png="", signature_sha256="", refused="true", witness_name="村委会主任")
    response = client.post(url(order), refusal)
    assert response.status_code == 400
    assert "受送达人拒绝签收的，应按留置送达登记" in response.content.decode()
    assert stored(order.case_id) == before

    response = client.post(url(order), {**refusal, "method": "left_at_premises"})
    assert response.status_code == 302
    service = ServiceRecord.objects.get()
    assert (service.method, service.refused, service.witness_name) == ("left_at_premises", True, "村委会主任")
    assert Signature.objects.get().refused


def test_posted_then_its_receipt_date_from_the_page(client, users, order):
    client.force_login(users["supervisor"])
    today = timezone.localdate().isoformat()
    response = client.post(url(order), {"client_uuid": str(uuid.uuid4()), "method": "post", "served_on": today,
                                        "tracking_number": ""})
    assert response.status_code == 400 and "此项为必填项" in response.content.decode()
    assert client.post(url(order), {"client_uuid": str(uuid.uuid4()), "method": "post", "served_on": today,
                                    "tracking_number": "1180123456789"}).status_code == 302
    service = ServiceRecord.objects.get()
    assert service.pending
    body = client.get(reverse("case", args=[order.case_id])).content.decode()
    receipt_url = reverse("case-service-receipt-date", args=[order.case_id, service.pk])
    assert receipt_url in body and "等待回执" in body
    assert client.post(receipt_url, {"receipt_date": today}).status_code == 302
    service.refresh_from_db()
    assert service.effective_on == timezone.localdate()


def test_the_left_at_premises_photo_is_stored_with_the_service(client, users, order):
    client.force_login(users["supervisor"])
    jpeg = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 90, 30)).save(jpeg, "JPEG")
    jpeg.seek(0)
    jpeg.name = "door.jpg"
    response = client.post(url(order), {"client_uuid": str(uuid.uuid4()), "method": "left_at_premises",
                                        "served_on": timezone.localdate().isoformat(), "evidence_file": jpeg})
    assert response.status_code == 302, response.content.decode()[:2000]
    service = ServiceRecord.objects.get()
    assert service.evidence_photo.stage == "notice" and service.evidence_photo.case_id == order.case_id


@pytest.mark.parametrize("method, name, block", [("electronic", "consent_file", "electronic"),
                                                 ("left_at_premises", "evidence_file", "left_at_premises public_notice")])
def test_a_photo_that_is_no_image_is_refused_beside_that_photo(client, users, order, method, name, block):
    # Outside testing: the photo's error was named "file" and shown in the left-at-premises block only, hidden when
    # the method is electronic: the user read "提交的内容有误" and nothing more.
    client.force_login(users["supervisor"])
    before = stored(order.case_id)
    garbage = io.BytesIO(b"<html>not a photo</html>")
    garbage.name = "consent.jpg"
    response = client.post(url(order), {"client_uuid": str(uuid.uuid4()), "method": method, "channel": "sms",
                                        "address": "13800000000", "served_on": timezone.localdate().isoformat(),
                                        "witness_name": "村委会主任", name: garbage})
    assert response.status_code == 400
    body = response.content.decode()
    block = body[body.index(f'<fieldset data-methods="{block}"'):]
    block = block[:block.index("</fieldset>")]
    assert 'class="field-error" role="alert">不是可识别的照片文件' in block, block
    assert stored(order.case_id) == before


def test_another_jurisdiction_gets_404_and_nothing_is_stored(client, users, order):
    client.force_login(users["other_supervisor"])
    before = stored(order.case_id)
    assert client.post(url(order), in_person()).status_code == 404
    assert stored(order.case_id) == before


def test_a_role_that_may_not_record_service_gets_403(client, users, order):
    before = stored(order.case_id)
    for role in ("inspector", "leader", "legal"):
        client.force_login(users[role])
        assert client.post(url(order), in_person()).status_code == 403, role
    assert stored(order.case_id) == before


@pytest.mark.smoke  # the resend is found by a JSON lookup in the event's payload: on SpatiaLite too
def test_a_double_submit_records_one_service(client, users, order):
    client.force_login(users["supervisor"])
    form = in_person()
    first = client.post(url(order), form)
    second = client.post(url(order), form)
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert ServiceRecord.objects.count() == 1 and Signature.objects.count() == 1
    assert CaseEvent.objects.filter(case_id=order.case_id, action="record_service").count() == 1
    assert Document.objects.filter(kind=DocumentKind.SERVICE_RECEIPT).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_sends_at_once_record_one_service(users, order):
    """A double tap whose two posts arrive together: the second waits for the first's case lock and finds it."""
    form, answers, start = in_person(), [], threading.Barrier(2)

    def send():
        client = Client()
        client.force_login(users["supervisor"])
        start.wait()
        try:
            answers.append(client.post(url(order), form).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert answers == [302, 302]
    assert ServiceRecord.objects.count() == 1 and Signature.objects.count() == 1
    assert CaseEvent.objects.filter(case_id=order.case_id, action="record_service").count() == 1


def test_the_api_takes_the_same_client_uuid_once(users, order):
    client = APIClient()
    client.force_authenticate(users["supervisor"])
    body = {"client_uuid": str(uuid.uuid4()), "method": "left_at_premises",
            "served_on": timezone.localdate().isoformat(), "witness_name": "村委会主任"}
    first = client.post(f"/api/v1/documents/{order.pk}/services/", body, format="json")
    again = client.post(f"/api/v1/documents/{order.pk}/services/", body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and ServiceRecord.objects.count() == 1


def test_the_case_and_sign_pages_in_english_punctuate_names_and_refusals_in_english(client, users, order):
    # Outside testing (every CJK character of the English pages listed): the officers' 执法证号, a refusal to sign
    # with its witness and the record's labels were joined with Chinese brackets, commas and colons in English.
    from documents.signatures import record_signature

    record_signature(case_id=order.case_id, actor=users["inspector"], client_uuid=uuid.uuid4(), role="party",
                     signer_name="王五", drawn_at=None, refused=True, witness_name="村委会主任")
    client.force_login(users["supervisor"])
    supervisor = users["supervisor"]
    case_page = client.get(reverse("case", args=[order.case_id]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    sign_page = client.get(reverse("case-sign", args=[order.case_id]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for body in (case_page, sign_page):
        assert " (refused to sign, witness: 村委会主任)" in body
        assert "（Refused" not in body and "，Witness" not in body
    assert f"{supervisor} ({supervisor.certificate_number})" in case_page
    assert f"（{supervisor.certificate_number}）" not in case_page
    assert "：" not in case_page.split('id="timeline"')[1].replace("村委会主任", "")
