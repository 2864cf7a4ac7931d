"""The case API: reporting a finding, reading a case with its ETag, acting on it with If-Match."""
import threading
from datetime import date
import uuid

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from documents.models import Document
from patrol import periods, procedure, workflow
from patrol.choices import Role, Status
from patrol.models import Case, CaseEvent
from tests.api.dataset import World

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def finding_body(**overrides):
    body = {"client_uuid": str(uuid.uuid4()), "location": {"type": "Point", "coordinates": [111.605, 40.705]},
            "accuracy_m": 6.5, "location_source": "device_gps", "category": "extension",
            "stage": "under_construction", "estimated_area_m2": "35.5", "floors": 1, "structure": "colour_steel",
            "address": "村东头", "description": "院外加盖彩钢房", "party_name": "张三", "party_phone": "13800000000"}
    body.update(overrides)
    return body


@pytest.mark.smoke
def test_reporting_a_finding_returns_201_with_reference_village_and_status(users):
    response = api(users["inspector"]).post("/api/v1/cases/", finding_body(), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["reference"].startswith("TST-") and data["status"] == "reported"
    assert data["village"]["name"] == "东村"
    assert data["nearby_open_cases"] == []
    assert response["ETag"] == f'"{data["id"]}-1"'


@pytest.mark.smoke
def test_the_same_finding_sent_again_returns_200_and_the_same_case(users):
    body = finding_body()
    first = api(users["inspector"]).post("/api/v1/cases/", body, format="json")
    again = api(users["inspector"]).post("/api/v1/cases/", body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Case.objects.count() == 1


@pytest.mark.smoke
def test_the_same_client_uuid_with_other_content_is_a_conflict(users):
    body = finding_body()
    api(users["inspector"]).post("/api/v1/cases/", body, format="json")
    response = api(users["inspector"]).post("/api/v1/cases/", {**body, "description": "别的"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


@pytest.mark.smoke
def test_a_second_finding_nearby_names_the_open_case_and_its_distance(users):
    first = api(users["inspector"]).post("/api/v1/cases/", finding_body(), format="json").json()
    near = finding_body(location={"type": "Point", "coordinates": [111.6052, 40.705]})  # about 17 m east
    data = api(users["inspector"]).post("/api/v1/cases/", near, format="json").json()
    assert [c["reference"] for c in data["nearby_open_cases"]] == [first["reference"]]
    assert 10 < data["nearby_open_cases"][0]["distance_m"] < 25


@pytest.mark.smoke
@pytest.mark.parametrize("location, message", [
    ({"type": "Point", "coordinates": [181, 40.7]}, "经度"),
    ({"type": "Point", "coordinates": [111.6, 91]}, "纬度"),
    ({"type": "Polygon", "coordinates": []}, "GeoJSON"),
    (None, ""),
])
def test_bad_locations_are_refused_with_a_message_naming_the_problem(users, location, message):
    body = finding_body(location=location)
    if location is None:
        del body["location"]
    response = api(users["inspector"]).post("/api/v1/cases/", body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert "location" in response.json()["error"]["fields"]
    assert message in response.json()["error"]["fields"]["location"][0]
    assert Case.objects.count() == 0


@pytest.mark.smoke
def test_a_point_outside_every_village_names_the_nearest_village_and_distance(users):
    body = finding_body(location={"type": "Point", "coordinates": [111.70, 40.705]})
    response = api(users["inspector"]).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 400
    message = response.json()["error"]["fields"]["location"][0]
    assert "西村" in message and "公里" in message


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_sends_of_one_finding_create_exactly_one_case(users):
    body, barrier, results = finding_body(), threading.Barrier(20), []

    def send():
        try:
            barrier.wait()
            response = api(users["inspector"]).post("/api/v1/cases/", body, format="json")
            results.append((response.status_code, response.json().get("id")))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 20
    assert {code for code, _ in results} <= {200, 201}
    assert sorted(code for code, _ in results).count(201) == 1
    assert len({pk for _, pk in results}) == 1
    assert Case.objects.count() == 1 and CaseEvent.objects.count() == 1


# --- acting on a case -------------------------------------------------------------------------------

@pytest.fixture
def reported(users):
    return api(users["inspector"]).post("/api/v1/cases/", finding_body(), format="json")


def act(user, case_id, action, body, etag):
    headers = {"HTTP_IF_MATCH": etag} if etag else {}
    return api(user).post(f"/api/v1/cases/{case_id}/actions/{action}/", body, format="json", **headers)


@pytest.mark.smoke
def test_case_detail_lists_the_actions_this_user_may_take(users, reported):
    case_id = reported.json()["id"]
    for role, expected in [("supervisor", {"file", "dismiss", "comment", "assign"}),
                           ("inspector", {"comment"}), ("leader", set()), ("legal", {"comment"})]:
        data = api(users[role]).get(f"/api/v1/cases/{case_id}/").json()
        assert {a["action"] for a in data["available_actions"] if a["available"]} == expected, role


@pytest.mark.smoke
def test_unchanged_case_answers_304_to_its_etag(users, reported):
    client = api(users["supervisor"])
    response = client.get(f"/api/v1/cases/{reported.json()['id']}/", HTTP_IF_NONE_MATCH=reported["ETag"])
    assert response.status_code == 304


@pytest.mark.smoke
def test_filing_with_the_etag_succeeds_and_changes_the_etag(users, reported):
    case_id, etag = reported.json()["id"], reported["ETag"]
    response = act(users["supervisor"], case_id, "file", {"legal_basis": "planning_art65", "note": "符合立案条件"}, etag)
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "filed"
    assert response["ETag"] != etag
    page = api(users["supervisor"]).get(f"/api/v1/cases/{case_id}/events/").json()
    events = page["results"]
    assert page["count"] == 2 and [e["action"] for e in events] == ["report", "file"]
    assert events[1]["prev_hash"] == events[0]["hash"]


@pytest.mark.smoke
def test_an_action_without_if_match_is_428(users, reported):
    response = act(users["supervisor"], reported.json()["id"], "file", {"legal_basis": "planning_art65", "note": "x"}, None)
    assert response.status_code == 428


@pytest.mark.smoke
def test_an_action_with_a_stale_etag_is_412_and_changes_nothing(users, reported):
    case_id, etag = reported.json()["id"], reported["ETag"]
    assert act(users["supervisor"], case_id, "comment", {"note": "先看看"}, etag).status_code == 200
    response = act(users["supervisor"], case_id, "file", {"legal_basis": "planning_art65", "note": "立案"}, etag)
    assert response.status_code == 412
    assert Case.objects.get(pk=case_id).status == "reported"


@pytest.mark.smoke
def test_an_action_not_possible_in_this_state_is_409_naming_the_state(users, reported):
    response = act(users["supervisor"], reported.json()["id"], "notify_intent", {"facts": "x"},
                   reported["ETag"])
    assert response.status_code == 409
    assert "待立案" in response.json()["error"]["message"]


@pytest.mark.smoke
def test_an_action_the_role_may_not_take_is_403(users, reported):
    response = act(users["inspector"], reported.json()["id"], "file", {"legal_basis": "planning_art65", "note": "x"}, reported["ETag"])
    assert response.status_code == 403


@pytest.mark.smoke
def test_invalid_fields_are_400_naming_them(users, reported):
    response = act(users["supervisor"], reported.json()["id"], "dismiss", {"reason": "duplicate"}, reported["ETag"])
    assert response.status_code == 400
    assert "duplicate_of" in response.json()["error"]["fields"]


@pytest.mark.smoke
def test_a_nested_field_is_named_by_its_dotted_path_as_the_service_names_it(users, reported):
    case_id = reported.json()["id"]
    filed = act(users["supervisor"], case_id, "file", {"legal_basis": "planning_art65", "note": "立案"}, reported["ETag"])
    malformed = act(users["supervisor"], case_id, "record_interview", {
        "officers": [users["supervisor"].pk, users["inspector"].pk], "interviewee": "张三", "party_present": False,
        "questions": [{"q": "是否取得许可？"}]}, filed["ETag"])
    assert malformed.status_code == 400 and list(malformed.json()["error"]["fields"]) == ["questions.0.a"]


@pytest.mark.smoke
def test_one_officer_or_an_expired_certificate_is_409_naming_article_42(users, reported):
    case_id = reported.json()["id"]
    filed = act(users["supervisor"], case_id, "file", {"legal_basis": "planning_art65", "note": "立案"}, reported["ETag"])
    users["inspector"].certificate_valid_until = date(2020, 1, 1)
    users["inspector"].save(update_fields=["certificate_valid_until"])
    body = {"officers": [users["supervisor"].pk, users["inspector"].pk], "facts": "在建", "party_present": False}
    response = act(users["supervisor"], case_id, "record_inspection", body, filed["ETag"])
    assert response.status_code == 409 and "第42条" in response.json()["error"]["message"]


@pytest.mark.smoke
def test_an_order_is_served_and_its_deadline_counts_working_days_from_effective_service(users, reported):
    case_id = reported.json()["id"]
    filed = act(users["supervisor"], case_id, "file", {"legal_basis": "planning_art65", "note": "立案"}, reported["ETag"])
    inspected = act(users["supervisor"], case_id, "record_inspection", {
        "officers": [users["supervisor"].pk, users["inspector"].pk], "facts": "在建", "party_present": False},
        filed["ETag"])
    response = act(users["supervisor"], case_id, "order", {"order_kind": "rectification_order", "period_days": 7},
                   inspected["ETag"])
    assert response.status_code == 200, response.json()
    assert response.json()["deadline"] is None  # it runs from effective service
    document = Document.objects.get(case_id=case_id, kind="rectification_order")
    today = timezone.localdate()
    served = api(users["supervisor"]).post(f"/api/v1/documents/{document.pk}/services/", {
        "method": "left_at_premises", "served_on": today.isoformat(), "witness_name": "村委会主任"}, format="json")
    assert served.status_code == 201, served.json()
    # Seven working days from the day of service (行政强制法 第69条; across holidays: tests/patrol/test_workflow.py).
    deadline = periods.deadline_from_days(today, 7)
    assert api(users["supervisor"]).get(f"/api/v1/cases/{case_id}/").json()["deadline"] == deadline.isoformat()


@pytest.mark.smoke
def test_another_jurisdiction_gets_404_for_the_case_its_events_and_actions(users, reported):
    case_id = reported.json()["id"]
    other = api(users["other_supervisor"])
    assert other.get(f"/api/v1/cases/{case_id}/").status_code == 404
    assert other.get(f"/api/v1/cases/{case_id}/events/").status_code == 404
    assert act(users["other_supervisor"], case_id, "file", {"legal_basis": "planning_art65", "note": "x"}, reported["ETag"]).status_code == 404
    assert other.get("/api/v1/cases/").json()["count"] == 0


@pytest.mark.smoke
def test_case_list_filters_by_status_and_text(users, reported):
    client = api(users["supervisor"])
    assert client.get("/api/v1/cases/?status=reported").json()["count"] == 1
    assert client.get("/api/v1/cases/?status=closed").json()["count"] == 0
    assert client.get("/api/v1/cases/?q=张三").json()["count"] == 1
    assert client.get("/api/v1/cases/?overdue=true").json()["count"] == 0
    assert client.get("/api/v1/cases/?status=nonsense").status_code == 400


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_supervisors_acting_at_once_one_wins_and_one_event_is_written(users):
    created = api(users["inspector"]).post("/api/v1/cases/", finding_body(), format="json")
    case_id, etag = created.json()["id"], created["ETag"]
    barrier, codes = threading.Barrier(2), []

    def go(action, body):
        try:
            barrier.wait()
            codes.append(act(users["supervisor"], case_id, action, body, etag).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=go, args=("file", {"legal_basis": "planning_art65", "note": "立案"})),
               threading.Thread(target=go, args=("dismiss", {"reason": "not_violation"}))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) in ([200, 409], [200, 412])
    assert CaseEvent.objects.filter(case_id=case_id).count() == 2


# --- available_actions: every action of the state the role could take, with why not now ---------------------

@pytest.fixture
def world(jurisdiction, other_jurisdiction, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return World({"TST": jurisdiction, "OTH": other_jurisdiction})


def options(user, case):
    return {option["action"]: option for option in api(user).get(f"/api/v1/cases/{case.pk}/").json()[
        "available_actions"]}


@pytest.mark.smoke
def test_available_actions_say_for_each_action_of_the_state_whether_it_is_possible_and_why_not(users, world):
    # The dataset's ordered case: its deadline (10 Mar 2026) passed, but nobody re-inspected after it, so the 事先告知
    # is blocked by the rule (no date lifts it); the order itself is a step of ``filed``, not listed here.
    case = world.case("TST", Status.ORDERED)
    supervisor = options(world.user("TST", Role.SUPERVISOR), case)
    assert set(supervisor) == {"record_inspection", "record_interview", "reinspect", "extend_deadline", "legalize",
                               "notify_intent", "withdraw", "extend_case_period", "comment", "assign"}
    assert all(set(option) == {"action", "available", "reason", "earliest"} for option in supervisor.values())
    assert supervisor["comment"] == {"action": "comment", "available": True, "reason": None, "earliest": None}
    notify = supervisor["notify_intent"]
    assert notify["available"] is False and notify["earliest"] is None and "复查" in notify["reason"]
    # Another role sees every action of the state too, each it may not take naming who may (the refusal is 403).
    legal = options(world.user("TST", Role.LEGAL_REVIEWER), case)
    assert set(legal) == set(supervisor)
    assert {name for name, option in legal.items() if option["available"]} == {"comment"}
    assert legal["notify_intent"]["reason"] == "仅中队长可以事先告知" and legal["notify_intent"]["earliest"] is None
    assert legal["reinspect"]["reason"] == "仅执法队员、中队长可以复查"
    leader = options(world.user("TST", Role.LEADER), case)
    assert set(leader) == set(supervisor) and not any(option["available"] for option in leader.values())
    assert act(world.user("TST", Role.LEGAL_REVIEWER), case.pk, "notify_intent", {"facts": "x"},
               f'"{case.pk}-{case.version}"').status_code == 403
    # Decided, its 限期拆除决定书 served on 13 Mar 2026: the 催告 waits for nothing now (the windows closed in September).
    decided = options(world.user("TST", Role.SUPERVISOR), world.case("TST", Status.DECIDED))
    assert decided["issue_reminder"] == {"action": "issue_reminder", "available": True, "reason": None,
                                         "earliest": None}


@pytest.mark.smoke
def test_a_blocked_action_is_refused_with_409_naming_the_rule_whatever_the_body(users, world):
    case = world.case("TST", Status.FILED)
    response = act(world.user("TST", Role.SUPERVISOR), case.pk, "order", {}, f'"{case.pk}-{case.version}"')
    assert response.status_code == 409, response.json()
    assert response.json()["error"]["code"] == "rule_violation" and "第54、55条" in response.json()["error"]["message"]


def test_reading_a_case_takes_the_same_queries_however_long_its_record(users, world, django_assert_num_queries):
    case = world.case("TST", Status.ORDERED)
    client = api(world.user("TST", Role.SUPERVISOR))

    inspector, supervisor = world.user("TST", Role.INSPECTOR), world.user("TST", Role.SUPERVISOR)

    def add_comments(n):
        for i in range(n):
            workflow.comment(case_id=case.pk, actor=inspector, note=f"第{i}次查看")
            # Each on-site record is a document too: the documents' number must not count either.
            procedure.record_interview(case_id=case.pk, actor=supervisor, officers=[inspector.pk, supervisor.pk],
                                       interviewee="张三", questions=[{"q": "是否取得许可", "a": "没有"}],
                                       refused=True, witness_name="村委会主任")

    add_comments(2)
    # session-less client: case with village, people, jurisdiction; photos; videos; notices; the blockers of the
    # state's actions (the order's document and its services, the last re-inspection); the clocks (events,
    # documents with their services) — a fixed number, whatever the length of the record.
    with django_assert_num_queries(10):
        assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 200
    add_comments(30)
    with django_assert_num_queries(10):
        assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 200


def test_a_phone_fix_without_its_accuracy_is_refused_in_the_users_language(users):
    body = finding_body()
    del body["accuracy_m"]
    response = api(users["inspector"]).post("/api/v1/cases/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "accuracy" in " ".join(response.json()["error"]["fields"]["accuracy_m"])
    assert Case.objects.count() == 0
    # A point picked on the map has no GPS accuracy, and needs none.
    picked = api(users["inspector"]).post("/api/v1/cases/", {**body, "location_source": "map_pick"}, format="json")
    assert picked.status_code == 201, picked.json()


def test_the_maps_default_centre_is_refused_as_a_position(users, settings):
    lat, lng = settings.LEAFLET_CONFIG["DEFAULT_CENTER"]
    for source in ("device_gps", "map_pick"):
        body = finding_body(location={"type": "Point", "coordinates": [lng, lat]}, location_source=source)
        response = api(users["inspector"]).post("/api/v1/cases/", body, format="json",
                                                HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 400
        assert "默认中心" in response.json()["error"]["fields"]["location"][0]
    assert Case.objects.count() == 0
