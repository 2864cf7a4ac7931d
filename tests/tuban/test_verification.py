"""Verifying a 图斑 on the spot: the 举证 set, the position, each result, idempotency, and the linked case."""
import hashlib
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from patrol import workflow
from patrol.choices import Resolution, Status
from patrol.models import Case, CaseEvent, Photo
from tests.factories import finding
from tests.tuban.conftest import client_for, evidence_set, jpeg_bytes, upload_evidence
from tuban.models import Tuban, TubanPhoto, Verification

pytestmark = pytest.mark.django_db

INSIDE = {"type": "Point", "coordinates": [111.6055, 40.7055]}  # T001 is 111.605–111.606 × 40.705–40.706
NEAR = {"type": "Point", "coordinates": [111.6065, 40.7055]}  # about 42 m east of its edge
FAR = {"type": "Point", "coordinates": [111.6090, 40.7055]}  # about 250 m east


@pytest.fixture
def t001(batch):
    return Tuban.objects.get(number="T001")


def verify(client, tuban, **body):
    body.setdefault("client_uuid", str(uuid.uuid4()))
    return client.post(f"/api/v1/tuban/{tuban.pk}/verify/", body, format="json")


def test_an_evidence_photo_is_stored_with_its_kind_and_heading_and_is_safe_to_resend(users, t001):
    client = client_for(users["inspector"])
    key = uuid.uuid4()
    first = upload_evidence(client, t001, "far", client_uuid=key, heading=275.5)
    assert first.status_code == 201
    again = upload_evidence(client, t001, "far", client_uuid=key, heading=275.5)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    other_bytes = upload_evidence(client, t001, "far", client_uuid=key, colour=(1, 2, 3))
    assert other_bytes.status_code == 409
    photo = TubanPhoto.objects.get()
    assert (photo.kind, photo.heading, photo.location.x) == ("far", 275.5, 111.6055)
    assert client.get(first.json()["url"]).status_code == 200
    assert client_for(users["other_supervisor"]).get(first.json()["url"]).status_code == 404


def test_an_evidence_upload_of_two_files_or_of_bytes_not_matching_its_sha256_stores_nothing(users, t001):
    client = client_for(users["inspector"])
    data = jpeg_bytes()
    body = {"client_uuid": str(uuid.uuid4()), "sha256": hashlib.sha256(data).hexdigest(), "kind": "far",
            "taken_at": "2026-11-20T10:15:00+08:00"}
    two = client.post(f"/api/v1/tuban/{t001.pk}/photos/", {
        **body, "file": [SimpleUploadedFile("a.jpg", data, content_type="image/jpeg"),
                         SimpleUploadedFile("b.jpg", data, content_type="image/jpeg")]}, format="multipart")
    assert two.status_code == 400 and "file" in two.json()["error"]["fields"]
    other = client.post(f"/api/v1/tuban/{t001.pk}/photos/", {
        **body, "file": SimpleUploadedFile("a.jpg", jpeg_bytes((1, 2, 3)), content_type="image/jpeg")},
        format="multipart")
    assert other.status_code == 400 and "sha256" in other.json()["error"]["fields"]
    assert not TubanPhoto.objects.exists()


def test_verification_needs_far_near_and_inside_photos(users, t001):
    client = client_for(users["inspector"])
    photos = evidence_set(client, t001)[:2]
    photos.append(upload_evidence(client, t001, "near").json()["client_uuid"])
    response = verify(client, t001, verdict="not_construction", photos=photos, location=INSIDE)
    assert response.status_code == 400
    assert "内部" in str(response.json()["error"]["fields"]["photos"])
    assert Tuban.objects.get(pk=t001.pk).status == "pending"


def test_a_position_far_from_the_polygon_needs_a_reason(users, t001):
    client = client_for(users["inspector"])
    photos = evidence_set(client, t001)
    response = verify(client, t001, verdict="not_construction", photos=photos, location=FAR)
    assert response.status_code == 400 and "position_reason" in response.json()["error"]["fields"]
    response = verify(client, t001, verdict="not_construction", photos=photos, location=NEAR, note="大棚")
    assert response.status_code == 201, response.content
    assert 30 < response.json()["distance_m"] < 50
    verification = Verification.objects.get()
    assert verification.position_reason == "" and verification.photos.count() == 3
    assert Tuban.objects.get(pk=t001.pk).status == "not_construction"


def test_far_away_with_a_reason_is_accepted(users, t001):
    client = client_for(users["inspector"])
    response = verify(client, t001, verdict="not_construction", photos=evidence_set(client, t001), location=FAR,
                      position_reason="院墙围挡，在路边核查")
    assert response.status_code == 201 and response.json()["distance_m"] > 200


def test_the_distance_allowed_from_the_polygon_is_the_jurisdictions_and_named_when_refused(users, t001,
                                                                                            jurisdiction):
    client = client_for(users["inspector"])
    photos = evidence_set(client, t001)
    jurisdiction.tuban_near_m = 20
    jurisdiction.save(update_fields=["tuban_near_m"])
    response = verify(client, t001, verdict="not_construction", photos=photos, location=NEAR)  # about 42 m
    assert response.status_code == 400
    assert "超过 20 米" in str(response.json()["error"]["fields"]["position_reason"])

    jurisdiction.tuban_near_m = 300
    jurisdiction.save(update_fields=["tuban_near_m"])
    response = verify(client, t001, verdict="not_construction", photos=photos, location=FAR)  # about 250 m
    assert response.status_code == 201, response.content
    assert Verification.objects.get().position_reason == ""


def test_the_field_page_and_the_api_carry_the_jurisdictions_distance(client, users, jurisdiction):
    jurisdiction.tuban_near_m = 120
    jurisdiction.save(update_fields=["tuban_near_m"])
    client.force_login(users["inspector"])
    assert 'data-near-m="120"' in client.get("/field/").content.decode()
    response = client_for(users["inspector"]).get(f"/api/v1/jurisdictions/{jurisdiction.pk}/")
    assert response.json()["properties"]["tuban_near_m"] == 120


def test_legal_needs_the_permit_number(users, t001):
    client = client_for(users["inspector"])
    photos = evidence_set(client, t001)
    assert verify(client, t001, verdict="legal", photos=photos, location=INSIDE).status_code == 400
    response = verify(client, t001, verdict="legal", photos=photos, location=INSIDE, permit_number="建字第150121202600012号")
    assert response.status_code == 201 and response.json()["status"] == "legal" and response.json()["case"] is None
    assert Verification.objects.get().permit_number == "建字第150121202600012号"
    assert not Case.objects.exists()


def test_illegal_opens_a_linked_case_through_the_workflow_with_the_photos(users, t001, batch):
    client = client_for(users["inspector"])
    key = str(uuid.uuid4())
    response = verify(client, t001, client_uuid=key, verdict="illegal", photos=evidence_set(client, t001),
                      location=INSIDE, category="new_construction", stage="completed", note="新建砖房两间")
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert response.json()["case"] == case.pk and response.json()["case_reference"] == case.reference
    tuban = Tuban.objects.get(pk=t001.pk)
    assert tuban.case == case and tuban.status == "verified_illegal" and tuban.assignee == users["inspector"]
    # The case is a finding like any other, where the 图斑 is, in its village, with its own record.
    assert case.status == Status.REPORTED and case.village.name == "东村" and tuban.polygon.contains(case.location)
    assert "T001" in case.description and batch.name in case.description and case.stage == "completed"
    assert float(case.estimated_area_m2) == 9400.0
    assert sorted(Photo.objects.filter(case=case).values_list("sha256", flat=True)) == sorted(
        TubanPhoto.objects.values_list("sha256", flat=True))
    assert list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("action", flat=True)) == [
        "report", "add_photo", "add_photo", "add_photo"]
    # The phone sends it again (the answer was lost): the same case, nothing new.
    again = verify(client, t001, client_uuid=key, verdict="illegal",
                   photos=[str(u) for u in Verification.objects.get().photos.values_list("client_uuid", flat=True)],
                   location=INSIDE, category="new_construction", stage="completed", note="新建砖房两间")
    assert again.status_code == 200 and again.json()["case"] == case.pk
    assert Case.objects.count() == 1 and Photo.objects.count() == 3
    # Another verification of the same 图斑 is refused: it has its result.
    assert verify(client, t001, verdict="legal", photos=[], location=INSIDE).status_code == 400
    response = verify(client, t001, verdict="legal", photos=[str(u) for u in Verification.objects.get().photos
                                                             .values_list("client_uuid", flat=True)],
                      location=INSIDE, permit_number="x")
    assert response.status_code == 409


def test_the_same_client_uuid_with_other_content_is_a_conflict(users, t001):
    client = client_for(users["inspector"])
    photos = evidence_set(client, t001)
    key = str(uuid.uuid4())
    assert verify(client, t001, client_uuid=key, verdict="not_construction", photos=photos,
                  location=INSIDE).status_code == 201
    assert verify(client, t001, client_uuid=key, verdict="not_construction", photos=photos, location=INSIDE,
                  note="另一个说明").status_code == 409


def test_already_handled_links_an_existing_case_of_the_jurisdiction(users, t001, other_jurisdiction):
    client = client_for(users["inspector"])
    photos = evidence_set(client, t001)
    case, _ = workflow.report_finding(actor=users["inspector"], **finding())
    assert verify(client, t001, verdict="already_handled", photos=photos, location=INSIDE).status_code == 400
    response = verify(client, t001, verdict="already_handled", photos=photos, location=INSIDE, case=case.pk)
    assert response.status_code == 201 and response.json()["case"] == case.pk
    assert Tuban.objects.get(pk=t001.pk).case == case


def test_a_tuban_whose_linked_case_closes_shows_as_rectified(users, t001):
    client = client_for(users["inspector"])
    verify(client, t001, verdict="illegal", photos=evidence_set(client, t001), location=INSIDE)
    case = Case.objects.get()
    # Closing a case is the procedure's business (patrol.workflow); here only its outcome matters.
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED, resolution=Resolution.DEMOLISHED_BY_PARTY,
                                           closed_at=timezone.now())
    supervisor = client_for(users["supervisor"])
    assert supervisor.get(f"/api/v1/tuban/{t001.pk}/").json()["properties"]["status"] == "rectified"
    rectified = supervisor.get("/api/v1/tuban/", {"status": "rectified"}).json()["features"]
    assert [f["properties"]["number"] for f in rectified] == ["T001"]
    assert supervisor.get("/api/v1/tuban/", {"status": "verified_illegal"}).json()["features"] == []
    progress = supervisor.get("/api/v1/tuban/batches/").json()["results"][0]["progress"]
    assert (progress["illegal"], progress["rectified"], progress["verified"]) == (1, 1, 1)


def test_a_leader_may_not_verify(users, t001):
    client = client_for(users["leader"])
    assert upload_evidence(client, t001, "far").status_code == 403
    assert verify(client, t001, verdict="legal", photos=[str(uuid.uuid4())] * 3, location=INSIDE,
                  permit_number="x").status_code == 403
