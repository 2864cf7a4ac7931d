"""A case from the report of the finding to 结案 through the API, on the route ``self`` and on the route ``court``,
with a test clock (django.utils.timezone.now set by the test): every step with ``If-Match``, every service of its
documents (送达), the photos and the body-camera video are sent as a client would, and each step tried too early is
refused with 409 and, when time is the reason, the earliest day.

The story before the decision (``decided_through_the_api``) is the one tests/patrol/test_enforcement.py starts from
(decision issued Tue 31 Mar 2026, served Wed 1 Apr), so its windows (SELF_WINDOWS_END, COURT_WINDOWS_END) hold here.
"""
import hashlib
import uuid
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from patrol import periods
from patrol.choices import LegalBasis, Resolution, Status
from patrol.models import Case
from tests.api.dataset import jpeg, mp4
from tests.api.test_cases_api import finding_body
from tests.patrol.test_enforcement import COURT_WINDOWS_END, DECIDED_AT, DECISION_SERVED, SELF_WINDOWS_END, at

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


def too_early(client, case_id, action, body, earliest=None, words=""):
    """The action is refused with 409 naming the rule; when time is the reason, with the earliest day."""
    error = act(client, case_id, action, body, expected=409)["error"]
    assert error["code"] == "rule_violation" and words in error["message"], error
    assert error.get("earliest") == (earliest.isoformat() if earliest else None), error
    option = {o["action"]: o for o in client.get(f"/api/v1/cases/{case_id}/").json()["available_actions"]}[action]
    assert option["available"] is False and option["earliest"] == error.get("earliest"), option
    return error


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


CHECKLIST = {key: {"passed": True, "remark": ""} for key in ("subject", "procedure", "facts", "law", "documents")}


def decided_through_the_api(users, clock, legal_basis=LegalBasis.PLANNING_ART65):
    """Report → 立案 → 现场检查笔录 → 责令限期改正 (served) → 复查 → 事先告知 (served) → 法制审核 → 集体讨论 →
    限期拆除决定 (issued 31 Mar 2026, served 1 Apr): every step through the API, each too-early one refused first."""
    inspector, supervisor, legal = (client_for(users[r]) for r in ("inspector", "supervisor", "legal"))
    clock.set(at(2026, 3, 2, 9))  # Mon 2 Mar 2026
    reported = inspector.post("/api/v1/cases/", finding_body(), format="json")
    assert reported.status_code == 201, reported.json()
    case_id = reported.json()["id"]

    clock.set(at(2026, 3, 2, 14))
    act(inspector, case_id, "file", {"legal_basis": legal_basis, "note": "符合立案条件"}, expected=403)
    filed = act(supervisor, case_id, "file", {"legal_basis": legal_basis, "note": "经现场核实，符合立案条件"})
    # 90 days from 立案 end Sun 31 May, moved to Mon 1 Jun (民事诉讼法 第85条).
    assert (filed["status"], filed["legal_basis"], filed["decision_due"]) == (Status.FILED, legal_basis, "2026-06-01")
    too_early(supervisor, case_id, "order", {"order_kind": "rectification_order", "period_days": 5},
              words="第54、55条")
    clock.set(at(2026, 3, 2, 15))
    officers = [users["inspector"].pk, users["supervisor"].pk]
    act(inspector, case_id, "record_inspection", {"officers": officers[:1], "facts": "在建", "refused": True,
                                                  "witness_name": "村委会主任李四"}, expected=400)
    act(inspector, case_id, "record_inspection", {
        "officers": officers, "facts": "院外加盖彩钢房一间，约35平方米，正在施工", "refused": True,
        "witness_name": "村委会主任李四"})

    clock.set(at(2026, 3, 3))  # Tue 3 Mar: five working days, from the notice's service, to rectify
    ordered = act(supervisor, case_id, "order", {"order_kind": "rectification_order", "period_days": 5})
    assert ordered["status"] == Status.ORDERED and ordered["deadline"] is None  # runs from effective service
    too_early(supervisor, case_id, "notify_intent", {"facts": "逾期未改正"}, words="尚未有效送达")
    serve_latest(supervisor, case_id, "rectification_order", date(2026, 3, 3))
    deadline = periods.deadline_from_days(date(2026, 3, 3), 5)
    assert supervisor.get(f"/api/v1/cases/{case_id}/").json()["deadline"] == deadline.isoformat() == "2026-03-10"
    clock.set(at(2026, 3, 5))
    too_early(supervisor, case_id, "notify_intent", {"facts": "逾期未改正"}, earliest=date(2026, 3, 11),
              words="尚未届满")

    clock.set(at(2026, 3, 11))  # the deadline passed: a re-inspection finds the building still there
    too_early(supervisor, case_id, "notify_intent", {"facts": "逾期未改正"}, words="须先复查")
    act(inspector, case_id, "reinspect", {"result": "not_rectified", "note": "彩钢房仍在，未拆除"})
    clock.set(at(2026, 3, 12))  # Thu 12 Mar
    notified = act(supervisor, case_id, "notify_intent", {"facts": "逾期未改正", "intended_decision": "限期拆除"})
    assert notified["status"] == Status.NOTIFIED
    serve_latest(supervisor, case_id, "intent_notice", date(2026, 3, 12))
    # Five working days (13, 16, 17, 18, 19 Mar) to be heard or to ask for a hearing (行政处罚法 第64条).
    clock.set(at(2026, 3, 13))
    too_early(supervisor, case_id, "submit_review", {}, earliest=date(2026, 3, 20), words="第44、64条")
    clock.set(at(2026, 3, 20))
    assert act(supervisor, case_id, "submit_review", {"note": "当事人未陈述申辩，未申请听证"})["status"] == \
        Status.IN_REVIEW

    clock.set(at(2026, 3, 23))
    act(supervisor, case_id, "legal_approve", {"checklist": CHECKLIST}, expected=403)
    act(legal, case_id, "legal_approve", {"checklist": CHECKLIST, "note": "同意"})
    # Every demolition is a major case by default: the leaders' collective discussion first (第57条).
    too_early(supervisor, case_id, "decide", {"period_days": 10}, words="第57条")
    act(supervisor, case_id, "record_collective_discussion", {
        "attendees": ["王镇长", "李副镇长", "赵队长"], "conclusion": "同意作出限期拆除决定"})
    clock.set(DECIDED_AT)
    decided = act(supervisor, case_id, "decide", {"period_days": 10, "note": "限十个工作日内自行拆除"})
    assert decided["status"] == Status.DECIDED
    clock.set(at(DECISION_SERVED.year, DECISION_SERVED.month, DECISION_SERVED.day, 16))
    serve_latest(supervisor, case_id, "demolition_decision", DECISION_SERVED)
    clocks = {c["name"]: c for c in supervisor.get(f"/api/v1/cases/{case_id}/").json()["clocks"]}
    assert clocks, "a decided case has running clocks (the appeal windows)"
    return case_id


def moment(day, hour=10):
    return at(day.year, day.month, day.day, hour)


def test_a_case_goes_from_its_report_to_closed_on_the_route_self(users, media, clock):
    case = Case.objects.get(pk=decided_through_the_api(users, clock))
    supervisor, legal = client_for(users["supervisor"]), client_for(users["legal"])

    # Before the appeal windows close: refused, naming the article and the earliest day.
    clock.set(moment(SELF_WINDOWS_END))
    too_early(supervisor, case.pk, "issue_reminder", {"deadline_days": 10},
              earliest=SELF_WINDOWS_END + timedelta(days=1), words="第四十四条")

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
    too_early(supervisor, case.pk, "execute_demolition", {"execution": "拆除", "photos": [posted], "videos": [1]},
              earliest=working_day_after(demolish_on), words="第四十三条")
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


def test_a_case_goes_from_its_report_to_closed_on_the_route_court(users, media, clock, jurisdiction):
    # 土地管理法 第78条 where the province delegated it to the township (the jurisdiction's configuration).
    jurisdiction.legal_bases = [LegalBasis.PLANNING_ART65, LegalBasis.LAND_ART78]
    jurisdiction.save(update_fields=["legal_bases"])
    case = Case.objects.get(pk=decided_through_the_api(users, clock, LegalBasis.LAND_ART78))
    supervisor, legal = client_for(users["supervisor"]), client_for(users["legal"])
    remind_on = working_day_after(COURT_WINDOWS_END)
    clock.set(moment(remind_on))
    act(supervisor, case.pk, "issue_reminder", {"deadline_days": 10})
    serve_latest(supervisor, case.pk, "reminder", remind_on)
    # Not the route self's steps; and not the court before ten days after the 催告 was served.
    act(supervisor, case.pk, "decide_enforcement", {}, expected=409)
    wait = periods.clock("reminder_wait", remind_on)
    clock.set(moment(wait.end))
    too_early(supervisor, case.pk, "apply_to_court", {}, earliest=wait.end + timedelta(days=1), words="第五十四条")
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
