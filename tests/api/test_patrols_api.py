"""The patrol API: starting (idempotent, one open patrol), track batches from the phone, finishing, reading."""
import math
import threading
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from rest_framework.test import APIClient

from patrol.models import Campaign, Patrol, PatrolTrackBatch
from patrol.workflow import report_finding
from tests.factories import finding

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2025, 5, 6, 8, 0, tzinfo=SHANGHAI)


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def at(minutes):
    return (T0 + timedelta(minutes=minutes)).isoformat()


def start(user, **overrides):
    body = {"client_uuid": str(uuid.uuid4()), "started_at": T0.isoformat(), "note": "东村例行巡查"}
    body.update(overrides)
    return api(user).post("/api/v1/patrols/", body, format="json")


def points(*coordinates, minute=0, accuracy_m=5.0):
    """Points one minute apart from ``minute`` on."""
    return [{"lng": lng, "lat": lat, "t": at(minute + i), "accuracy_m": accuracy_m}
            for i, (lng, lat) in enumerate(coordinates)]


def send_track(user, patrol_id, seq, batch):
    return api(user).post(f"/api/v1/patrols/{patrol_id}/track/", {"seq": seq, "points": batch}, format="json")


def finish(user, patrol_id, **body):
    return api(user).post(f"/api/v1/patrols/{patrol_id}/finish/", body, format="json")


def detail(user, patrol_id):
    return api(user).get(f"/api/v1/patrols/{patrol_id}/")


def haversine_m(lng1, lat1, lng2, lat2, r=6371008.8):
    dlat, dlng = math.radians(lat2 - lat1), math.radians(lng2 - lng1)
    a = math.sin(dlat / 2) ** 2 + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.sin(dlng / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


@pytest.fixture
def patrol(users):
    response = start(users["inspector"])
    assert response.status_code == 201, response.json()
    return response.json()


# --- starting --------------------------------------------------------------------------------------

@pytest.mark.smoke
def test_an_inspector_starts_a_daily_patrol_and_gets_201_with_the_open_patrol(users):
    response = start(users["inspector"])
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["kind"] == "daily" and data["is_open"] and data["ended_at"] is None
    assert data["inspector"] == {"id": users["inspector"].pk, "name": str(users["inspector"])}
    assert data["track"] is None and data["distance_m"] == 0 and data["villages"] == []
    assert data["findings_count"] == 0 and data["found_nothing"] is False
    assert datetime.fromisoformat(data["started_at"]) == T0


@pytest.mark.smoke
def test_starting_again_with_the_same_client_uuid_and_content_returns_200_and_the_same_patrol(users):
    body = {"client_uuid": str(uuid.uuid4()), "started_at": T0.isoformat(), "note": "例行"}
    first = start(users["inspector"], **body)
    again = start(users["inspector"], **body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Patrol.objects.count() == 1


@pytest.mark.smoke
def test_the_same_client_uuid_with_other_content_is_a_conflict(users):
    body = {"client_uuid": str(uuid.uuid4()), "started_at": T0.isoformat(), "note": "例行"}
    start(users["inspector"], **body)
    response = start(users["inspector"], **{**body, "note": "别的"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    other_user = start(users["inspector2"], **body)
    assert other_user.status_code == 409
    assert Patrol.objects.count() == 1


@pytest.mark.smoke
def test_a_second_open_patrol_is_refused_naming_the_open_one_until_it_is_finished(users, patrol):
    response = start(users["inspector"])
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "open_patrol_exists"
    assert error["fields"]["open_patrol"] == [str(patrol["id"])]
    assert str(patrol["id"]) in error["message"]
    assert start(users["inspector2"]).status_code == 201  # one open patrol per person, not per team
    assert finish(users["inspector"], patrol["id"]).status_code == 200
    assert start(users["inspector"]).status_code == 201


@pytest.mark.smoke
def test_a_campaign_patrol_needs_a_campaign_of_the_users_own_jurisdiction(users, jurisdiction, other_jurisdiction):
    ours = Campaign.objects.create(jurisdiction=jurisdiction, name="春季整治", starts_on=date(2025, 4, 1),
                                   ends_on=date(2025, 6, 30))
    theirs = Campaign.objects.create(jurisdiction=other_jurisdiction, name="别处整治", starts_on=date(2025, 4, 1),
                                     ends_on=date(2025, 6, 30))
    refused = start(users["inspector"], campaign=theirs.pk)
    assert refused.status_code == 400 and "campaign" in refused.json()["error"]["fields"]
    without = start(users["inspector"], kind="campaign")
    assert without.status_code == 400 and "campaign" in without.json()["error"]["fields"]
    response = start(users["inspector"], campaign=ours.pk)
    assert response.status_code == 201
    assert response.json()["kind"] == "campaign"
    assert response.json()["campaign"] == {"id": ours.pk, "name": "春季整治"}


@pytest.mark.smoke
@pytest.mark.parametrize("role", ["leader", "legal"])
def test_leaders_and_legal_reviewers_cannot_start_a_patrol(users, role):
    response = start(users[role])
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert Patrol.objects.count() == 0


@pytest.mark.smoke
def test_a_supervisor_may_start_a_patrol(users):
    assert start(users["supervisor"]).status_code == 201


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_five_simultaneous_starts_with_different_uuids_leave_one_open_patrol(users):
    barrier, results = threading.Barrier(5), []

    def send():
        try:
            barrier.wait()
            results.append(start(users["inspector"]).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201, 409, 409, 409, 409]
    assert Patrol.objects.filter(ended_at__isnull=True).count() == 1


# --- the track -------------------------------------------------------------------------------------

@pytest.mark.smoke
def test_a_track_batch_sent_twice_is_stored_once(users, patrol):
    batch = points((111.605, 40.705), (111.606, 40.705), (111.607, 40.705))
    first = send_track(users["inspector"], patrol["id"], 0, batch)
    again = send_track(users["inspector"], patrol["id"], 0, batch)
    assert (first.status_code, again.status_code) == (201, 200), again.json()
    assert again.json()["seq"] == 0 and again.json()["point_count"] == 3
    assert PatrolTrackBatch.objects.count() == 1
    assert len(detail(users["inspector"], patrol["id"]).json()["track"]["coordinates"]) == 3


@pytest.mark.smoke
def test_the_same_seq_with_other_points_is_a_conflict_and_keeps_the_first(users, patrol):
    send_track(users["inspector"], patrol["id"], 0, points((111.605, 40.705), (111.606, 40.705)))
    response = send_track(users["inspector"], patrol["id"], 0, points((111.605, 40.705), (111.609, 40.705)))
    assert response.status_code == 409
    assert PatrolTrackBatch.objects.get().points[1]["lng"] == 111.606


@pytest.mark.smoke
def test_batches_arriving_out_of_order_give_a_track_ordered_by_time(users, patrol):
    later = points((111.607, 40.705), (111.608, 40.705), minute=10)
    earlier = points((111.605, 40.705), (111.606, 40.705), minute=0)[::-1]  # and not in order inside the batch
    assert send_track(users["inspector"], patrol["id"], 2, later).status_code == 201
    assert send_track(users["inspector"], patrol["id"], 1, earlier).status_code == 201
    track = detail(users["inspector"], patrol["id"]).json()["track"]
    assert track["type"] == "LineString"
    assert [c[0] for c in track["coordinates"]] == [111.605, 111.606, 111.607, 111.608]


@pytest.mark.smoke
def test_inaccurate_and_duplicate_points_are_kept_in_the_batch_but_left_out_of_the_track(users, patrol):
    batch = points((111.605, 40.705), (111.606, 40.705), (111.607, 40.705))
    batch[1]["accuracy_m"] = 150
    assert send_track(users["inspector"], patrol["id"], 0, batch).status_code == 201
    overlap = [batch[2], *points((111.608, 40.705), minute=3)]  # the phone resent its last point
    assert send_track(users["inspector"], patrol["id"], 1, overlap).status_code == 201
    track = detail(users["inspector"], patrol["id"]).json()["track"]
    assert [c[0] for c in track["coordinates"]] == [111.605, 111.607, 111.608]
    assert sum(len(b.points) for b in PatrolTrackBatch.objects.all()) == 5


@pytest.mark.smoke
def test_a_single_point_gives_no_track_but_is_kept_and_places_the_patrol_in_its_village(users, patrol):
    response = send_track(users["inspector"], patrol["id"], 0, points((111.605, 40.705)))
    assert response.status_code == 201
    data = detail(users["inspector"], patrol["id"]).json()
    assert data["track"] is None and data["distance_m"] == 0
    assert [v["name"] for v in data["villages"]] == ["东村"]
    assert PatrolTrackBatch.objects.get().points[0]["lng"] == 111.605


@pytest.mark.smoke
def test_the_distance_along_a_parallel_matches_the_haversine_within_one_percent(users, patrol):
    lat, lngs = 40.71, [111.605, 111.6125, 111.62, 111.6275, 111.635]
    send_track(users["inspector"], patrol["id"], 0, points(*[(lng, lat) for lng in lngs]))
    expected = sum(haversine_m(a, lat, b, lat) for a, b in zip(lngs, lngs[1:]))
    along_the_parallel = 6371008.8 * math.radians(0.03) * math.cos(math.radians(lat))  # about 2.53 km
    distance = detail(users["inspector"], patrol["id"]).json()["distance_m"]
    assert abs(distance - expected) / expected < 0.01
    assert abs(distance - along_the_parallel) / along_the_parallel < 0.01


@pytest.mark.smoke
def test_a_track_crossing_from_dongcun_to_xicun_lists_both_villages(users, patrol):
    send_track(users["inspector"], patrol["id"], 0, points((111.610, 40.71), (111.615, 40.71), (111.630, 40.71)))
    villages = detail(users["inspector"], patrol["id"]).json()["villages"]
    assert sorted(v["name"] for v in villages) == ["东村", "西村"]
    assert all(set(v) == {"id", "name"} for v in villages)


@pytest.mark.smoke
def test_a_track_inside_one_village_lists_only_that_village(users, patrol):
    send_track(users["inspector"], patrol["id"], 0, points((111.603, 40.703), (111.612, 40.712)))
    assert [v["name"] for v in detail(users["inspector"], patrol["id"]).json()["villages"]] == ["东村"]


@pytest.mark.smoke
@pytest.mark.parametrize("change, field", [
    (lambda body: body["points"][0].update(lng=181), "points.0.lng"),
    (lambda body: body["points"][1].update(lat=-91), "points.1.lat"),
    (lambda body: body["points"][0].update(accuracy_m=-1), "points.0.accuracy_m"),
    (lambda body: body["points"][0].update(t="昨天"), "points.0.t"),
    (lambda body: body["points"][0].update(t=(datetime.now(SHANGHAI) + timedelta(days=1)).isoformat()), "points.0.t"),
    (lambda body: body.update(seq=-1), "seq"),
    (lambda body: body.update(points=[]), "points"),
    (lambda body: body.update(points=body["points"] * 251), "points"),
])
def test_points_out_of_range_are_refused_naming_the_field(users, patrol, change, field):
    body = {"seq": 0, "points": points((111.605, 40.705), (111.606, 40.705))}
    change(body)
    response = api(users["inspector"]).post(f"/api/v1/patrols/{patrol['id']}/track/", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"], response.json()
    assert PatrolTrackBatch.objects.count() == 0


@pytest.mark.smoke
@pytest.mark.parametrize("role", ["supervisor", "leader"])
def test_only_the_patrols_own_inspector_may_send_track_points(users, patrol, role):
    response = send_track(users[role], patrol["id"], 0, points((111.605, 40.705)))
    assert response.status_code == 403
    assert PatrolTrackBatch.objects.count() == 0


@pytest.mark.smoke
def test_another_inspector_gets_404_for_the_track_and_finish_of_a_patrol_as_for_its_detail(users, patrol):
    colleague = users["inspector2"]
    assert api(colleague).get(f"/api/v1/patrols/{patrol['id']}/").status_code == 404
    assert send_track(colleague, patrol["id"], 0, points((111.605, 40.705))).status_code == 404
    assert finish(colleague, patrol["id"]).status_code == 404
    assert PatrolTrackBatch.objects.count() == 0 and Patrol.objects.get(pk=patrol["id"]).ended_at is None


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_one_batch_sent_by_five_threads_at_once_is_stored_once(users):
    patrol_id = start(users["inspector"]).json()["id"]
    batch = points((111.605, 40.705), (111.606, 40.705), (111.607, 40.705))
    barrier, results = threading.Barrier(5), []

    def send():
        try:
            barrier.wait()
            results.append(send_track(users["inspector"], patrol_id, 0, batch).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 200, 200, 200, 201]
    assert PatrolTrackBatch.objects.count() == 1
    assert len(Patrol.objects.get(pk=patrol_id).track) == 3


# --- finishing -------------------------------------------------------------------------------------

@pytest.mark.smoke
def test_a_patrol_finished_without_findings_is_recorded_as_found_nothing(users, patrol):
    response = finish(users["inspector"], patrol["id"], note="未发现违法建设", ended_at=at(90))
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["is_open"] is False and datetime.fromisoformat(data["ended_at"]) == T0 + timedelta(minutes=90)
    assert data["note"] == "未发现违法建设"
    assert data["findings_count"] == 0 and data["found_nothing"] is True


@pytest.mark.smoke
def test_a_patrol_with_a_finding_counts_it_and_did_not_find_nothing(users, patrol):
    report_finding(actor=users["inspector"], patrol=Patrol.objects.get(pk=patrol["id"]), **finding())
    data = finish(users["inspector"], patrol["id"]).json()
    assert data["findings_count"] == 1 and data["found_nothing"] is False


@pytest.mark.smoke
def test_finishing_twice_with_the_same_note_is_idempotent_and_with_another_a_conflict(users, patrol):
    first = finish(users["inspector"], patrol["id"], note="未发现违法建设")
    again = finish(users["inspector"], patrol["id"], note="未发现违法建设")
    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json()["ended_at"] == again.json()["ended_at"]
    other = finish(users["inspector"], patrol["id"], note="发现一处")
    assert other.status_code == 409
    assert Patrol.objects.get(pk=patrol["id"]).note == "未发现违法建设"


@pytest.mark.smoke
def test_a_supervisor_may_finish_an_inspectors_patrol_but_a_colleague_or_leader_may_not(users, patrol):
    assert finish(users["inspector2"], patrol["id"]).status_code == 404  # not even visible to a colleague
    assert finish(users["leader"], patrol["id"]).status_code == 403
    assert finish(users["supervisor"], patrol["id"], note="队员手机没电").status_code == 200


@pytest.mark.smoke
def test_an_end_before_the_start_is_refused(users, patrol):
    response = finish(users["inspector"], patrol["id"], ended_at=at(-5))
    assert response.status_code == 400 and "ended_at" in response.json()["error"]["fields"]


@pytest.mark.smoke
def test_a_late_batch_after_finishing_is_accepted_when_its_points_are_before_the_end(users, patrol):
    send_track(users["inspector"], patrol["id"], 0, points((111.605, 40.705), (111.606, 40.705)))
    finish(users["inspector"], patrol["id"], ended_at=at(30))
    late = send_track(users["inspector"], patrol["id"], 1, points((111.607, 40.705), (111.608, 40.705), minute=10))
    assert late.status_code == 201, late.json()
    data = detail(users["inspector"], patrol["id"]).json()
    assert [c[0] for c in data["track"]["coordinates"]] == [111.605, 111.606, 111.607, 111.608]
    after_the_end = send_track(users["inspector"], patrol["id"], 2, points((111.609, 40.705), minute=31))
    assert after_the_end.status_code == 400
    assert "points.0.t" in after_the_end.json()["error"]["fields"]


@pytest.mark.smoke
def test_finishing_before_points_already_sent_leaves_them_out_of_the_track(users, patrol):
    send_track(users["inspector"], patrol["id"], 0, points((111.605, 40.705), (111.606, 40.705), (111.607, 40.705)))
    data = finish(users["inspector"], patrol["id"], ended_at=at(1)).json()
    assert [c[0] for c in data["track"]["coordinates"]] == [111.605, 111.606]


# --- reading and isolation -------------------------------------------------------------------------

@pytest.mark.smoke
def test_another_jurisdiction_gets_404_for_detail_track_and_finish_and_an_empty_list(users, patrol):
    other = users["other_supervisor"]
    assert detail(other, patrol["id"]).status_code == 404
    assert send_track(other, patrol["id"], 0, points((111.605, 40.705))).status_code == 404
    assert finish(other, patrol["id"]).status_code == 404
    assert api(other).get("/api/v1/patrols/").json()["count"] == 0
    assert Patrol.objects.get(pk=patrol["id"]).ended_at is None
    assert PatrolTrackBatch.objects.count() == 0


@pytest.fixture
def three_patrols(users):
    """inspector: finished on 6 May at 23:30; inspector2: open, started 7 May 00:30 (Shanghai); supervisor: 5 May."""
    late_evening = datetime(2025, 5, 6, 23, 30, tzinfo=SHANGHAI)
    first = start(users["inspector"], started_at=late_evening.isoformat()).json()
    finish(users["inspector"], first["id"], ended_at=(late_evening + timedelta(minutes=20)).isoformat())
    second = start(users["inspector2"], started_at=datetime(2025, 5, 7, 0, 30, tzinfo=SHANGHAI).isoformat()).json()
    third = start(users["supervisor"], started_at=datetime(2025, 5, 5, 9, 0, tzinfo=SHANGHAI).isoformat()).json()
    finish(users["supervisor"], third["id"])
    return first["id"], second["id"], third["id"]


def listed(user, **params):
    response = api(user).get("/api/v1/patrols/", params)
    assert response.status_code == 200, response.json()
    return [p["id"] for p in response.json()["results"]]


@pytest.mark.smoke
def test_inspectors_list_their_own_patrols_and_the_other_roles_all_of_the_jurisdiction(users, three_patrols):
    first, second, third = three_patrols
    assert listed(users["inspector"]) == [first]
    assert detail(users["inspector"], second).status_code == 404
    for role in ("supervisor", "legal", "leader"):
        assert listed(users[role]) == [second, first, third], role


@pytest.mark.smoke
def test_the_list_filters_by_inspector_open_and_date_in_shanghai_time(users, three_patrols):
    first, second, third = three_patrols
    supervisor = users["supervisor"]
    assert listed(supervisor, inspector=users["inspector2"].pk) == [second]
    assert listed(supervisor, open="true") == [second]
    assert listed(supervisor, open="false") == [first, third]
    assert listed(supervisor, date="2025-05-06") == [first]
    assert listed(supervisor, date="2025-05-07") == [second]


@pytest.mark.smoke
def test_the_list_takes_three_queries_however_many_patrols(users, three_patrols, django_assert_num_queries):
    for patrol_id in three_patrols[:2]:
        Patrol.objects.get(pk=patrol_id).villages.set(users["inspector"].jurisdiction.villages.all())
    with django_assert_num_queries(3):  # count, page with findings counted, villages
        response = api(users["supervisor"]).get("/api/v1/patrols/")
    assert response.json()["count"] == 3
    assert "track" not in response.json()["results"][0]


@pytest.mark.smoke
def test_the_schema_documents_the_patrol_endpoints(users):
    schema = api(users["inspector"]).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in ("/api/v1/patrols/", "/api/v1/patrols/{id}/", "/api/v1/patrols/{id}/track/",
                 "/api/v1/patrols/{id}/finish/"):
        assert path in schema["paths"], path
    assert "409" in schema["paths"]["/api/v1/patrols/{id}/track/"]["post"]["responses"]
