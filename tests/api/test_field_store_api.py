"""Re-inspection offline (#15): the cases the phone keeps (GET /api/v1/cases/field/) and a re-inspection sent from
the phone's outbox — its photos first, then the action with the version the phone read, once whatever the retries."""
import hashlib
import uuid

import pytest
from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from patrol import workflow
from patrol.choices import Role, Status
from patrol.models import CaseEvent
from tests.api.dataset import World, jpeg
from tests.factories import UserFactory, finding

pytestmark = pytest.mark.django_db

FIELD = "/api/v1/cases/field/"
# Far east in 西村: the inspector's own ordered case (at 111.605, 40.705) is about 2.8 km away.
PHONE = (111.638, 40.718)


@pytest.fixture
def world(jurisdiction, other_jurisdiction, settings, tmp_path, reused_renderings):
    settings.MEDIA_ROOT = tmp_path
    return World({"TST": jurisdiction, "OTH": other_jurisdiction})


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def report(user, lng, lat, address):
    case, _created = workflow.report_finding(actor=user, **finding(location=Point(lng, lat, srid=4326),
                                                                   address=address))
    return case


def field_cases(user, point=PHONE, **headers):
    query = {"lng": point[0], "lat": point[1]} if point else {}
    return api(user).get(FIELD, query, **headers)


def test_the_phone_keeps_the_inspectors_own_cases_and_the_open_cases_within_2_km(world, jurisdiction):
    inspector = world.user("TST", Role.INSPECTOR)
    ordered = world.case("TST", Status.ORDERED)
    world.photo("TST", ordered)
    ordered.refresh_from_db()
    colleague = UserFactory(role=Role.INSPECTOR, jurisdiction=jurisdiction)
    near = report(colleague, 111.636, 40.716, "西村路口")
    report(colleague, 111.603, 40.703, "东村村口")  # about 3 km from the phone, not the inspector's
    response = field_cases(inspector)
    assert response.status_code == 200
    cases = {c["reference"]: c for c in response.json()["cases"]}
    assert list(cases) == [ordered.reference, near.reference]  # their own first, then the nearby ones
    own, nearby = cases[ordered.reference], cases[near.reference]
    assert own["mine"] and own["actions"] == ["reinspect", "record_inspection", "record_interview"]
    assert own["status"] == "ordered"
    assert own["etag"] == f'"{ordered.pk}-{ordered.version}"' and own["deadline"] == ordered.deadline.isoformat()
    assert [t[:23] for t in own["thumbnails"]] == ["data:image/jpeg;base64,"]
    assert not nearby["mine"] and nearby["actions"] == [] and 200 < nearby["distance_m"] < 400


def test_another_jurisdictions_cases_never_appear_even_where_the_phone_stands(world):
    inspector = world.user("TST", Role.INSPECTOR)
    theirs = world.case("OTH", Status.ORDERED)
    references = [c["reference"] for c in field_cases(inspector, point=theirs.location.coords).json()["cases"]]
    assert theirs.reference not in references and references == []
    # Nor does the other jurisdiction's inspector see this one's, assigned or near.
    mine = world.case("TST", Status.ORDERED)
    other = world.user("OTH", Role.INSPECTOR)
    assert mine.reference not in [c["reference"] for c in
                                  field_cases(other, point=mine.location.coords).json()["cases"]]


def test_without_a_position_the_phone_keeps_the_inspectors_own_cases_only(world, jurisdiction):
    ordered = world.case("TST", Status.ORDERED)
    colleague = UserFactory(role=Role.INSPECTOR, jurisdiction=jurisdiction)
    report(colleague, 111.606, 40.706, "隔壁")
    references = [c["reference"] for c in field_cases(world.user("TST", Role.INSPECTOR), point=None).json()["cases"]]
    assert references == [ordered.reference]


def test_an_unchanged_list_answers_304_and_a_change_gives_a_new_etag(world):
    inspector = world.user("TST", Role.INSPECTOR)
    ordered = world.case("TST", Status.ORDERED)
    first = field_cases(inspector)
    again = field_cases(inspector, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    workflow.comment(case_id=ordered.pk, actor=world.user("TST", Role.SUPERVISOR), note="当事人电话联系不上")
    changed = field_cases(inspector, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


def test_a_bad_position_is_400(world):
    response = field_cases(world.user("TST", Role.INSPECTOR), point=("x", 40.7))
    assert response.status_code == 400


@pytest.mark.parametrize("query, fields", [("lng=-180", {"lat": "须同时提供"}), ("lat=90", {"lng": "须同时提供"}),
                                           ("lng=111.6&lat=91", {"lat": "超出范围"}),
                                           ("lng=nan&lat=40.7", {"lng": "超出范围"})])
def test_a_position_sent_half_or_out_of_range_names_what_is_wrong(world, query, fields):
    # Outside testing (schemathesis): lng=-180 alone, in the documented range, was refused as "经纬度超出范围" on lng.
    response = api(world.user("TST", Role.INSPECTOR)).get(f"{FIELD}?{query}")
    assert response.status_code == 400
    error = response.json()["error"]["fields"]
    assert {name: words for name, words in fields.items() if words in error.get(name, [""])[0]} == fields, error


@pytest.mark.parametrize("n", [1, 12])
def test_the_list_takes_the_same_queries_for_one_case_or_many(world, n, django_assert_num_queries):
    inspector = world.user("TST", Role.INSPECTOR)
    for i in range(n):
        case = report(inspector, 111.630 + i * 0.0005, 40.715, f"第{i}处")
        world.photo("TST", case)
    # The user's own case ids, the cases near the phone, their rows, their photos, the officers; thumbnails come from
    # the cache.
    field_cases(inspector)
    with django_assert_num_queries(5):
        assert len(field_cases(inspector).json()["cases"]) == n


# --- the re-inspection sent from the outbox ------------------------------------------------------------------------

def upload_photo(user, case, stage="after"):
    data = jpeg((20, 160, 60))
    response = api(user).post(f"/api/v1/cases/{case.pk}/photos/", {
        "file": SimpleUploadedFile("after.jpg", data, content_type="image/jpeg"), "client_uuid": str(uuid.uuid4()),
        "sha256": hashlib.sha256(data).hexdigest(), "taken_at": "2026-11-20T10:15:00+08:00", "stage": stage,
    }, format="multipart")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def reinspect(user, case_id, etag, **body):
    return api(user).post(f"/api/v1/cases/{case_id}/actions/reinspect/", body, format="json", HTTP_IF_MATCH=etag)


def reinspections(case):
    return CaseEvent.objects.filter(case=case, action="reinspect").count()


def test_a_reinspection_sent_again_with_its_client_uuid_is_recorded_once(world):
    inspector, case = world.user("TST", Role.INSPECTOR), world.case("TST", Status.ORDERED)
    before = reinspections(case)
    body = {"result": "partly_rectified", "note": "拆了一半", "client_uuid": str(uuid.uuid4())}
    first = reinspect(inspector, case.pk, case.etag, **body)
    again = reinspect(inspector, case.pk, case.etag, **body)  # the first answer was lost on the way back
    assert (first.status_code, again.status_code) == (200, 200), again.json()
    assert again.json()["replayed"] is True and again["ETag"] == first["ETag"]
    assert reinspections(case) == before + 1


def test_the_same_client_uuid_with_another_result_is_a_conflict(world):
    inspector, case = world.user("TST", Role.INSPECTOR), world.case("TST", Status.ORDERED)
    client_uuid = str(uuid.uuid4())
    reinspect(inspector, case.pk, case.etag, result="partly_rectified", note="拆了一半", client_uuid=client_uuid)
    response = reinspect(inspector, case.pk, case.etag, result="not_rectified", note="没拆", client_uuid=client_uuid)
    assert response.status_code == 409


def test_a_reinspection_after_its_own_photos_is_taken_on_the_version_read_before_them(world):
    inspector, case = world.user("TST", Role.INSPECTOR), world.case("TST", Status.ORDERED)
    photos = [upload_photo(inspector, case), upload_photo(inspector, case)]
    response = reinspect(inspector, case.pk, case.etag, result="rectified", note="已自行拆除", photos=photos,
                         client_uuid=str(uuid.uuid4()))
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "closed"


def test_a_photo_the_reinspection_does_not_carry_makes_the_version_stale(world):
    inspector, case = world.user("TST", Role.INSPECTOR), world.case("TST", Status.ORDERED)
    carried, _other = upload_photo(inspector, case), upload_photo(inspector, case)
    response = reinspect(inspector, case.pk, case.etag, result="rectified", note="已自行拆除", photos=[carried])
    assert response.status_code == 412


def test_a_change_by_another_user_is_412_and_the_reinspection_goes_through_on_the_new_etag(world):
    inspector, case = world.user("TST", Role.INSPECTOR), world.case("TST", Status.ORDERED)
    read, before = case.etag, reinspections(case)
    photo = upload_photo(inspector, case)
    workflow.comment(case_id=case.pk, actor=world.user("TST", Role.SUPERVISOR), note="当事人称已在拆")
    body = {"result": "rectified", "note": "已自行拆除", "photos": [photo], "client_uuid": str(uuid.uuid4())}
    stale = reinspect(inspector, case.pk, read, **body)
    assert stale.status_code == 412 and reinspections(case) == before
    fresh = api(inspector).get(f"/api/v1/cases/{case.pk}/")
    assert "reinspect" in [a["action"] for a in fresh.json()["available_actions"] if a["available"]]
    again = reinspect(inspector, case.pk, fresh["ETag"], **body)
    assert again.status_code == 200 and again.json()["status"] == "closed" and reinspections(case) == before + 1


def test_a_colleagues_photo_named_by_the_reinspection_still_makes_the_version_stale(world, jurisdiction):
    inspector, case = world.user("TST", Role.INSPECTOR), world.case("TST", Status.ORDERED)
    colleague = UserFactory(role=Role.INSPECTOR, jurisdiction=jurisdiction)
    theirs = upload_photo(colleague, case)  # a change the inspector did not see, even if they name the photo
    response = reinspect(inspector, case.pk, case.etag, result="rectified", note="已自行拆除", photos=[theirs])
    assert response.status_code == 412
