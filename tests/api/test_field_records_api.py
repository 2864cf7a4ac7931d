"""On-site records offline (#14, #15 item 6): a 现场检查（勘验）笔录 or 询问笔录 recorded on the phone goes through the
outbox — the signatures drawn with it first (POST /cases/{id}/signatures/), then the action naming them by client_uuid
on the version of the case the phone read — and is recorded once, whatever the retries."""
import hashlib
import io
import uuid
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from documents.choices import DocumentKind
from documents.models import Signature
from patrol import workflow
from patrol.choices import Role, Status
from patrol.models import CaseEvent
from tests.api.dataset import World
from tests.api.test_field_store_api import api
from tests.documents.test_signatures import drawn_png
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(jurisdiction, other_jurisdiction, settings, tmp_path, reused_renderings):
    settings.MEDIA_ROOT = tmp_path
    return World({"TST": jurisdiction, "OTH": other_jurisdiction})


def sign(user, case, role="party", seed=0, **fields):
    """A signature as the outbox sends it: the PNG drawn on the phone with its SHA-256; returns its client_uuid."""
    png = drawn_png(seed)
    file = io.BytesIO(png)
    file.name = "signature.png"
    client_uuid = str(uuid.uuid4())
    response = api(user).post(f"/api/v1/cases/{case.pk}/signatures/", {
        "client_uuid": client_uuid, "role": role, "signer_name": fields.pop("signer_name", "张三"),
        "drawn_at": "2026-11-20T10:15:00+08:00", "sha256": hashlib.sha256(png).hexdigest(), "file": file, **fields,
    }, format="multipart")
    assert response.status_code == 201, response.json()
    return client_uuid


def act(user, case, action, etag, **body):
    return api(user).post(f"/api/v1/cases/{case.pk}/actions/{action}/", body, format="json", HTTP_IF_MATCH=etag)


def records(case, action):
    return CaseEvent.objects.filter(case=case, action=action)


def inspection(world, **extra):
    inspector, supervisor = world.user("TST", Role.INSPECTOR), world.user("TST", Role.SUPERVISOR)
    return {"officers": [inspector.pk, supervisor.pk], "facts": "东侧新建砖混结构房屋一间，正在砌墙",
            "measurements": "长 6.2 米，宽 4.0 米", "client_uuid": str(uuid.uuid4()), **extra}


def test_an_inspection_record_sent_again_with_its_client_uuid_is_recorded_once_with_one_document(world):
    inspector, case = world.user("TST", Role.INSPECTOR), world.case("TST", Status.FILED)
    read = case.etag
    party = sign(inspector, case)
    body = inspection(world, party_signature=party)
    first = act(inspector, case, "record_inspection", read, **body)
    assert first.status_code == 200, first.json()
    # The answer was lost on the way back; the outbox sends exactly the same again, on the version it read.
    again = act(inspector, case, "record_inspection", read, **body)
    assert again.status_code == 200 and again.json()["replayed"] is True and again["ETag"] == first["ETag"]
    event = records(case, "record_inspection").get()
    assert event.payload["client_uuid"] == body["client_uuid"]
    assert case.documents.filter(kind=DocumentKind.INSPECTION_RECORD).count() == 1


def test_an_interview_sent_again_with_its_client_uuid_is_recorded_once(world):
    inspector, case = world.user("TST", Role.INSPECTOR), world.case("TST", Status.FILED)
    supervisor = world.user("TST", Role.SUPERVISOR)
    body = {"officers": [inspector.pk, supervisor.pk], "interviewee": "张三", "relation": "当事人",
            "questions": [{"q": "房屋是谁建的？", "a": "我自己建的"}, {"q": "有没有规划许可？", "a": "没有"}],
            "refused": True, "witness_name": "李四（村委会主任）", "client_uuid": str(uuid.uuid4())}
    first = act(inspector, case, "record_interview", case.etag, **body)
    again = act(inspector, case, "record_interview", case.etag, **body)
    assert (first.status_code, again.status_code) == (200, 200), again.json()
    assert again.json()["replayed"] is True
    assert records(case, "record_interview").count() == 1
    assert case.documents.filter(kind=DocumentKind.INTERVIEW_RECORD).count() == 1


def test_a_record_names_the_signatures_drawn_with_it_by_client_uuid_on_the_version_read_before_them(world):
    inspector, case = world.user("TST", Role.INSPECTOR), world.case("TST", Status.FILED)
    supervisor = world.user("TST", Role.SUPERVISOR)
    read = case.etag  # the phone read the case, then uploaded three signatures: three new versions
    party = sign(inspector, case, seed=1)
    officers = [sign(inspector, case, role="officer", seed=2, signer_name=str(inspector), officer=inspector.pk),
                sign(inspector, case, role="officer", seed=3, signer_name=str(supervisor), officer=supervisor.pk)]
    response = act(inspector, case, "record_inspection", read,
                   **inspection(world, party_signature=party.upper(), officer_signatures=officers))
    assert response.status_code == 200, response.json()
    document = case.documents.get(kind=DocumentKind.INSPECTION_RECORD)
    placed = document.content["signatures"]
    assert placed["party_signature"] == party
    assert sorted(placed) == ["officer_signature_1", "officer_signature_2", "party_signature"]
    assert set(placed.values()) == {party, *officers}
    assert records(case, "record_inspection").get().payload["signature_sha256"] == \
        Signature.objects.get(client_uuid=party).sha256


def test_a_signature_the_record_does_not_name_makes_the_version_stale(world):
    inspector, case = world.user("TST", Role.INSPECTOR), world.case("TST", Status.FILED)
    read = case.etag
    named, _other = sign(inspector, case, seed=1), sign(inspector, case, seed=2)
    response = act(inspector, case, "record_inspection", read, **inspection(world, party_signature=named))
    assert response.status_code == 412 and not records(case, "record_inspection").exists()


def test_a_colleagues_signature_named_by_the_record_still_makes_the_version_stale(world, jurisdiction):
    inspector, case = world.user("TST", Role.INSPECTOR), world.case("TST", Status.FILED)
    colleague = UserFactory(role=Role.INSPECTOR, jurisdiction=jurisdiction)
    read = case.etag
    theirs = sign(colleague, case)  # a change the inspector did not see, even if they name the signature
    response = act(inspector, case, "record_inspection", read, **inspection(world, party_signature=theirs))
    assert response.status_code == 412


def test_a_change_by_another_user_is_412_and_the_record_goes_through_on_the_new_etag(world):
    inspector, case = world.user("TST", Role.INSPECTOR), world.case("TST", Status.FILED)
    read = case.etag
    body = inspection(world, party_signature=sign(inspector, case))
    workflow.comment(case_id=case.pk, actor=world.user("TST", Role.SUPERVISOR), note="当事人称明天在家")
    stale = act(inspector, case, "record_inspection", read, **body)
    assert stale.status_code == 412 and not records(case, "record_inspection").exists()
    fresh = api(inspector).get(f"/api/v1/cases/{case.pk}/")
    again = act(inspector, case, "record_inspection", fresh["ETag"], **body)
    assert again.status_code == 200 and records(case, "record_inspection").count() == 1


def test_a_signature_not_uploaded_yet_is_400_naming_the_field(world):
    inspector, case = world.user("TST", Role.INSPECTOR), world.case("TST", Status.FILED)
    response = act(inspector, case, "record_inspection", case.etag,
                   **inspection(world, party_signature=str(uuid.uuid4())))
    assert response.status_code == 400 and "party_signature" in response.json()["error"]["fields"]


def test_the_phone_keeps_the_record_actions_the_officers_and_the_party_of_its_cases(world):
    inspector, case = world.user("TST", Role.INSPECTOR), world.case("TST", Status.FILED)
    response = api(inspector).get("/api/v1/cases/field/")
    data = response.json()
    kept = next(c for c in data["cases"] if c["id"] == case.pk)
    assert kept["actions"] == ["record_inspection", "record_interview"] and kept["party_name"] == case.party_name
    assert data["me"] == inspector.pk
    officers = {o["id"]: o for o in data["officers"]}
    assert inspector.pk in officers and world.user("TST", Role.SUPERVISOR).pk in officers
    assert officers[inspector.pk]["certificate_number"] == inspector.certificate_number
    assert world.user("TST", Role.LEADER).pk not in officers and world.user("OTH", Role.INSPECTOR).pk not in officers


def test_a_record_made_offline_keeps_the_time_and_place_it_was_made_on_site(world):
    inspector, case = world.user("TST", Role.INSPECTOR), world.case("TST", Status.FILED)
    made = timezone.now() - timedelta(hours=3)
    body = inspection(world, refused=True, witness_name="李四", started_at=made.isoformat(),
                      ended_at=(made + timedelta(minutes=25)).isoformat(), place="东村3组张三家院内")
    response = act(inspector, case, "record_inspection", case.etag, **body)
    assert response.status_code == 200, response.json()
    content = case.documents.get(kind=DocumentKind.INSPECTION_RECORD).content
    assert datetime.fromisoformat(content["started_at"]) == made
    assert datetime.fromisoformat(content["ended_at"]) == made + timedelta(minutes=25)
    assert content["record_place"] == "东村3组张三家院内"


@pytest.mark.parametrize(("started", "ended", "field"), [
    (timedelta(hours=1), None, "ended_at"),  # started in an hour: a record from the future
    (timedelta(hours=-1), timedelta(hours=-2), "ended_at"),  # ended before it began
    (timedelta(days=-4000), timedelta(days=-4000), "started_at"),  # before the case was reported
])
def test_a_record_time_that_cannot_be_is_400_naming_the_field(world, started, ended, field):
    inspector, case = world.user("TST", Role.INSPECTOR), world.case("TST", Status.FILED)
    now = timezone.now()
    body = inspection(world, refused=True, witness_name="李四", started_at=(now + started).isoformat(),
                      **({"ended_at": (now + ended).isoformat()} if ended else {}))
    response = act(inspector, case, "record_inspection", case.etag, **body)
    assert response.status_code == 400 and field in response.json()["error"]["fields"], response.json()


@pytest.mark.parametrize("written", ["0001-01-01T00:00:00", "9999-12-31T23:59:59-12:00"])
def test_a_record_time_out_of_the_calendar_is_400_not_a_server_error(world, written):
    inspector, case = world.user("TST", Role.INSPECTOR), world.case("TST", Status.FILED)
    body = inspection(world, refused=True, witness_name="李四", started_at=written)
    response = act(inspector, case, "record_inspection", case.etag, **body)
    assert response.status_code == 400 and "started_at" in response.json()["error"]["fields"]
