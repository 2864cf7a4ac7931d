"""A case from its 限期拆除决定 to 结案 through the API, on the route ``self`` and on the route ``court``, with a test
clock (django.utils.timezone.now set by the test): every step, every service of its documents (送达), the photos
and the body-camera video are sent as a client would.

The steps before the decision belong to another part of #13; the case starts from ``decided_case`` of
tests/patrol/test_enforcement.py (reported, filed, decided with a served 限期拆除决定书).
"""
import hashlib
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from patrol import periods
from patrol.choices import LegalBasis, Resolution, Status
from tests.api.dataset import jpeg, mp4
from tests.patrol.test_enforcement import COURT_WINDOWS_END, SELF_WINDOWS_END, at, decided_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        moment = None

        def set(self, moment):
            self.moment = moment

    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.moment or at(2026, 3, 31))
    return clock


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def act(client, case_id, action, body, expected=200):
    etag = client.get(f"/api/v1/cases/{case_id}/")["ETag"]
    response = client.post(f"/api/v1/cases/{case_id}/actions/{action}/", body, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == expected, response.json()
    return response.json()


def serve_latest(client, case_id, title, day):
    documents = client.get(f"/api/v1/cases/{case_id}/documents/").json()["results"]
    document = [d for d in documents if d["kind"] == title][-1]
    response = client.post(f"/api/v1/documents/{document['id']}/services/", {
        "method": "left_at_premises", "served_on": day.isoformat(), "witness_name": "村委会主任李四"}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def upload_photo(client, case_id, stage):
    data = jpeg((uuid.uuid4().int % 255, 100, 50))
    response = client.post(f"/api/v1/cases/{case_id}/photos/", {
        "file": _file(data), "client_uuid": str(uuid.uuid4()), "sha256": hashlib.sha256(data).hexdigest(),
        "taken_at": timezone.now().isoformat(), "stage": stage}, format="multipart")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def _file(data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("p.jpg", data, content_type="image/jpeg")


def upload_video(client, case_id):
    data = mp4(40_000)
    upload = client.post(f"/api/v1/cases/{case_id}/videos/", {
        "client_uuid": str(uuid.uuid4()), "size_bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
        "content_type": "video/mp4", "filename": "DJI_0001.MP4"}, format="json").json()
    for offset in range(0, len(data), 16_000):
        response = client.generic("PATCH", upload["url"], data[offset:offset + 16_000],
                                  content_type="application/offset+octet-stream", HTTP_UPLOAD_OFFSET=str(offset))
        assert response.status_code == 200, response.json()
    return response.json()["video"]["id"]


def working_day_after(day):
    return periods.next_working_day_on_or_after(day + timedelta(days=1))


def moment(day, hour=10):
    return at(day.year, day.month, day.day, hour)


def test_a_case_goes_from_its_decision_to_closed_on_the_route_self(users, media, clock):
    case = decided_case(users)
    supervisor, legal = client_for(users["supervisor"]), client_for(users["legal"])

    # Before the appeal windows close: refused, naming the article and the earliest day.
    clock.set(moment(SELF_WINDOWS_END))
    response = act(supervisor, case.pk, "issue_reminder", {"deadline_days": 10}, expected=409)
    assert "第四十四条" in response["error"]["message"]
    options = {o["action"]: o for o in supervisor.get(f"/api/v1/cases/{case.pk}/").json()["available_actions"]}
    assert options["issue_reminder"]["earliest"] == (SELF_WINDOWS_END + timedelta(days=1)).isoformat()

    remind_on = working_day_after(SELF_WINDOWS_END)
    clock.set(moment(remind_on))
    assert act(supervisor, case.pk, "issue_reminder", {"deadline_days": 10, "manner": "自行拆除"})["status"] == \
        Status.REMINDED
    serve_latest(supervisor, case.pk, "reminder", remind_on)
    due = periods.deadline_from_days(remind_on, 10)
    decide_on = working_day_after(due)
    clock.set(moment(decide_on))
    assert act(supervisor, case.pk, "decide_enforcement", {"manner": "组织机械拆除"})["status"] == \
        Status.ENFORCEMENT_DECIDED
    serve_latest(supervisor, case.pk, "enforcement_decision", decide_on)
    posted = upload_photo(supervisor, case.pk, "notice")
    announced = act(supervisor, case.pk, "announce", {"posted_on": decide_on.isoformat(), "place": "村委会公告栏",
                                                      "photo": posted, "deadline_days": 10})
    assert announced["status"] == Status.ANNOUNCED

    demolish_on = working_day_after(periods.deadline_from_days(decide_on, 10))
    clock.set(moment(demolish_on, hour=21))  # at night: refused, the earliest the next working day
    refused = act(supervisor, case.pk, "execute_demolition", {"execution": "拆除", "photos": [posted],
                                                              "videos": [1]}, expected=409)
    assert "第四十三条" in refused["error"]["message"]
    clock.set(moment(demolish_on))
    demolition = upload_photo(supervisor, case.pk, "demolition")
    video = upload_video(client_for(users["inspector"]), case.pk)
    executed = act(supervisor, case.pk, "execute_demolition", {
        "execution": "依法组织拆除", "photos": [demolition], "videos": [video]})
    assert executed["status"] == Status.EXECUTED
    # The legal reviewer may not close it; the supervisor does.
    act(legal, case.pk, "close", {}, expected=403)
    closed = act(supervisor, case.pk, "close", {"result": "违法建设已拆除"})
    assert (closed["status"], closed["resolution"]) == (Status.CLOSED, Resolution.FORCIBLY_DEMOLISHED)

    events = supervisor.get(f"/api/v1/cases/{case.pk}/events/?page_size=500").json()["results"]
    actions = [e["action"] for e in events]
    assert actions.index("issue_reminder") < actions.index("decide_enforcement") < actions.index("announce") < \
        actions.index("execute_demolition") < actions.index("close")
    call_command("verify_events")


def test_a_case_goes_from_its_decision_to_closed_on_the_route_court(users, media, clock):
    case = decided_case(users, LegalBasis.LAND_ART78)
    supervisor, legal = client_for(users["supervisor"]), client_for(users["legal"])
    remind_on = working_day_after(COURT_WINDOWS_END)
    clock.set(moment(remind_on))
    act(supervisor, case.pk, "issue_reminder", {"deadline_days": 10})
    serve_latest(supervisor, case.pk, "reminder", remind_on)
    # Not the route self's steps; and not the court before ten days after the 催告 was served.
    act(supervisor, case.pk, "decide_enforcement", {}, expected=409)
    wait = periods.clock("reminder_wait", remind_on)
    clock.set(moment(wait.end))
    response = act(supervisor, case.pk, "apply_to_court", {}, expected=409)
    assert "第五十四条" in response["error"]["message"]
    clock.set(moment(working_day_after(wait.end)))
    pending = act(supervisor, case.pk, "apply_to_court", {"court": "某县人民法院"})
    assert pending["status"] == Status.COURT_PENDING
    act(supervisor, case.pk, "record_court_ruling", {"ruling": "granted", "ruling_number": "（2026）某行审字第5号",
                                                     "ruled_on": timezone.localdate().isoformat()}, expected=403)
    granted = act(legal, case.pk, "record_court_ruling", {
        "ruling": "granted", "ruling_number": "（2026）某行审字第5号", "ruled_on": timezone.localdate().isoformat()})
    assert granted["status"] == Status.COURT_GRANTED
    demolish_on = working_day_after(timezone.localdate())
    clock.set(moment(demolish_on))
    executed = act(supervisor, case.pk, "execute_demolition", {
        "execution": "法院准予执行后依法拆除", "photos": [upload_photo(supervisor, case.pk, "demolition")],
        "videos": [upload_video(supervisor, case.pk)]})
    assert executed["status"] == Status.EXECUTED
    closed = act(supervisor, case.pk, "close", {})
    assert (closed["status"], closed["resolution"]) == (Status.CLOSED, Resolution.FORCIBLY_DEMOLISHED)
    call_command("verify_events")
