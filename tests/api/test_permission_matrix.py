"""Who may do what, and see whose data, over every endpoint under /api/v1/ (DOMAIN.md, "People").

The endpoints are read from the URL resolver: an endpoint (or a case action) added without an entry in
MATRIX fails ``test_every_endpoint_and_action_has_a_matrix_entry`` and every one of its parametrized cases.

For each endpoint, each role, and a user of each of two jurisdictions (TST and OTH, built alike):
- on the user's own jurisdiction's object the roles in ``allowed`` get ``ok`` and the others ``denied``;
- on the other jurisdiction's object the answer is 404 (403 for a role that may not use the endpoint at all),
  and a list shows none of the other jurisdiction's rows;
- without credentials the answer is 401 in the API's error shape.
"""
import hashlib
import io
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from patrol import workflow
from patrol.choices import Role, Status
from patrol.models import Case
from tests.api.dataset import (ALL, AWAY, FIELD, HOMES, LEGAL, PASSWORD, POINT, READERS, ROLES, SUPERVISOR, World, jpeg,
                               mp4)
from tests.routes import routes

pytestmark = [pytest.mark.django_db]

@pytest.fixture
def world(jurisdiction, other_jurisdiction, settings, tmp_path, reused_renderings):
    settings.MEDIA_ROOT = tmp_path
    return World({"TST": jurisdiction, "OTH": other_jurisdiction})


# --- the matrix ---------------------------------------------------------------------------------------------


@dataclass
class Entry:
    """One endpoint (and, for case actions, one action).

    url(world, code, role): the URL of jurisdiction ``code``'s object (lists ignore ``code``).
    body(world, code, role): the request body, if any; headers(world, code, role): extra headers.
    rows(world, code): ids of ``code``'s rows a list must show to its users and hide from the others;
    seen(response): the ids a list response shows; count(response), for answers that only count rows.
    """

    url: Callable
    allowed: frozenset = ALL
    ok: object = 200
    denied: object = 403
    body: Callable | None = None
    headers: Callable | None = None
    rows: Callable | None = None
    seen: Callable | None = None
    count: Callable | None = None
    fmt: str = "json"
    # A list, or a create whose body names places: the other jurisdiction shows up in what it returns, not as 404.
    away_check: str = "404"
    note: str = ""

    def statuses(self, role):
        expected = self.ok if role in self.allowed else self.denied
        return set(expected) if isinstance(expected, (set, frozenset, tuple)) else {expected}


def ids_of_results(response):
    return {row["id"] for row in response.json()["results"]}


def ids_of_features(response):
    return {feature["id"] if "id" in feature else feature["properties"]["id"]
            for feature in response.json()["features"] if not feature["properties"].get("cluster")}


def both_bbox():
    return "bbox=110,39,114,43"


def etag(case):
    version = Case.objects.values_list("version", flat=True).get(pk=case.pk)  # a photo added since bumps it
    return {"HTTP_IF_MATCH": f'"{case.pk}-{version}"'}


def action_entry(action, status, allowed, body, ok=200):
    return Entry(
        url=lambda w, code, role: f"/api/v1/cases/{w.case(code, status).pk}/actions/{action}/",
        allowed=allowed, ok=ok, body=body,
        headers=lambda w, code, role: etag(w.case(code, status)),
    )


TODAY = lambda: timezone.localdate().isoformat()  # noqa: E731

CHECKLIST = {key: {"passed": True, "remark": ""} for key in ("subject", "procedure", "facts", "law", "documents")}

ACTION_MATRIX = {
    "file": action_entry("file", Status.REPORTED, SUPERVISOR, lambda w, c, r: {"legal_basis": "planning_art65", "note": "符合立案条件"}),
    "dismiss": action_entry("dismiss", Status.REPORTED, SUPERVISOR,
                            lambda w, c, r: {"reason": "not_violation", "note": "不构成违法"}),
    "reinspect": action_entry("reinspect", Status.ORDERED, FIELD,
                              lambda w, c, r: {"result": "partly_rectified", "note": "部分拆除"}),
    "extend_deadline": action_entry("extend_deadline", Status.ORDERED, SUPERVISOR, lambda w, c, r: {
        "deadline": (timezone.localdate() + timedelta(days=30)).isoformat(), "reason": "当事人申请延期"}),
    "legalize": action_entry("legalize", Status.ORDERED, SUPERVISOR,
                             lambda w, c, r: {"permit_number": "乡字第001号"}),
    "legal_approve": action_entry("legal_approve", Status.IN_REVIEW, LEGAL, lambda w, c, r: {
        "checklist": CHECKLIST}),
    "legal_reject": action_entry("legal_reject", Status.IN_REVIEW, LEGAL, lambda w, c, r: {
        "checklist": CHECKLIST, "reason": "证据不足", "back_to": "ordered"}),
    "notify_intent": action_entry("notify_intent", "overdue", SUPERVISOR, lambda w, c, r: {"facts": "逾期未改正"}),
    "record_statement": action_entry("record_statement", Status.NOTIFIED, frozenset({Role.SUPERVISOR,
                                                                                    Role.LEGAL_REVIEWER}),
                                     lambda w, c, r: {"statement": "房屋系自住", "points": [
                                         {"point": "自住需要", "adopted": False, "reason": "不影响违法性质"}]}),
    # The dataset's 告知书 was served in March: the five working days to ask for a hearing are long over (409).
    "request_hearing": action_entry("request_hearing", Status.NOTIFIED, SUPERVISOR, lambda w, c, r: {
        "requested_on": "2026-03-13", "hearing_at": "2026-03-30T09:00:00+08:00", "hearing_place": "乡政府",
        "chair": w.user(c, Role.LEGAL_REVIEWER).pk}, ok={409}),
    "waive_rights": action_entry("waive_rights", Status.NOTIFIED, SUPERVISOR, lambda w, c, r: {
        "waiver_photo": w.photo(c, w.case(c, Status.NOTIFIED)).pk}),
    # The hearing notice of the dataset is not served: the hearing cannot be recorded yet (409).
    "record_hearing": action_entry("record_hearing", Status.HEARING, SUPERVISOR, lambda w, c, r: {
        "held_on": "2026-03-30", "chair": w.user(c, Role.LEGAL_REVIEWER).pk, "summary": "听证情况"}, ok={409}),
    "submit_review": action_entry("submit_review", Status.NOTIFIED, SUPERVISOR, lambda w, c, r: {}),
    "record_collective_discussion": action_entry("record_collective_discussion", "approved", SUPERVISOR,
                                                 lambda w, c, r: {"attendees": ["乡长", "副乡长", "队长"],
                                                                  "conclusion": "同意"}),
    # Its 办案期限 ended in June and a collective discussion is still missing (409, 第57/60条).
    "decide": action_entry("decide", "approved", SUPERVISOR, lambda w, c, r: {"period_days": 10}, ok={409}),
    # After the 限期拆除决定 (patrol.enforcement), on cases whose documents were served in 2026: a step may also be
    # refused by the clock (409: a window not yet over or already over, night, a rest day), never by the role of
    # the roles allowed.
    "record_appeal": action_entry("record_appeal", "decision_served", SUPERVISOR | LEGAL, lambda w, c, r: {
        "kind": "reconsideration", "body": "县人民政府", "filed_on": TODAY()}),
    "record_appeal_outcome": action_entry("record_appeal_outcome", "appealed", LEGAL, lambda w, c, r: {
        "outcome": "upheld", "decided_on": TODAY()}),
    "issue_reminder": action_entry("issue_reminder", "decision_served", SUPERVISOR,
                                   lambda w, c, r: {"deadline_days": 10}, ok={200, 409}),
    "decide_enforcement": action_entry("decide_enforcement", Status.REMINDED, SUPERVISOR,
                                       lambda w, c, r: {"manner": "组织机械拆除"}, ok={200, 409}),
    "announce": action_entry("announce", Status.ENFORCEMENT_DECIDED, SUPERVISOR, lambda w, c, r: {
        "posted_on": TODAY(), "place": "村委会公告栏", "deadline_days": 10,
        "photo": w.photo(c, w.case(c, Status.ENFORCEMENT_DECIDED)).pk}, ok={200, 409}),
    "apply_to_court": action_entry("apply_to_court", "court_reminded", SUPERVISOR,
                                   lambda w, c, r: {"court": "某县人民法院"}, ok={200, 409}),
    "record_court_ruling": action_entry("record_court_ruling", Status.COURT_PENDING, LEGAL, lambda w, c, r: {
        "ruling": "granted", "ruling_number": "（2026）某行审字第5号", "ruled_on": TODAY()}),
    "execute_demolition": action_entry("execute_demolition", Status.COURT_GRANTED, SUPERVISOR, lambda w, c, r: {
        "execution": "依法强制拆除", "photos": [w.photo(c, w.case(c, Status.COURT_GRANTED)).pk],
        "videos": [w.video(c, w.case(c, Status.COURT_GRANTED)).pk]}, ok={200, 409}),
    "close": action_entry("close", Status.EXECUTED, SUPERVISOR, lambda w, c, r: {"result": "已拆除"}),
    "comment": action_entry("comment", Status.ORDERED, frozenset({Role.INSPECTOR, Role.SUPERVISOR,
                                                                      Role.LEGAL_REVIEWER}),
                            lambda w, c, r: {"note": "现场已停工"}),
    "record_inspection": action_entry("record_inspection", Status.FILED, FIELD, lambda w, c, r: {
        "officers": [w.user(c, Role.SUPERVISOR).pk, w.user(c, Role.INSPECTOR).pk], "facts": "现场在建两层砖混房屋",
        "refused": True, "witness_name": "村委会主任"}),
    "record_interview": action_entry("record_interview", Status.FILED, FIELD, lambda w, c, r: {
        "officers": [w.user(c, Role.SUPERVISOR).pk, w.user(c, Role.INSPECTOR).pk], "interviewee": "张三",
        "questions": [{"q": "是否取得乡村建设规划许可证？", "a": "没有"}], "party_present": False}),
    # The filed case of the dataset has no on-site record yet: a supervisor is refused by the rule (409).
    "order": action_entry("order", Status.FILED, SUPERVISOR, lambda w, c, r: {
        "order_kind": "rectification_order", "period_days": 10}, ok={200, 409}),
    "withdraw": action_entry("withdraw", Status.ORDERED, SUPERVISOR, lambda w, c, r: {"reason": "案件不成立"}),
    "extend_case_period": action_entry("extend_case_period", Status.ORDERED, SUPERVISOR, lambda w, c, r: {
        "new_end": "2026-12-31", "reason": "案情复杂，经负责人批准延长"}),
    "assign": action_entry("assign", Status.ORDERED, SUPERVISOR,
                           lambda w, c, r: {"inspector": w.user(c, Role.INSPECTOR).pk}),
}


def finding_body(w, code, role):
    lng, lat = POINT[code]
    return {"client_uuid": str(uuid.uuid4()), "location": {"type": "Point", "coordinates": [lng, lat]},
            "accuracy_m": 8, "category": "extension", "stage": "under_construction", "address": "村东头"}


def photo_body(w, code, role):
    data = jpeg((10, 200, 30))
    return {"file": ContentFile(data, name="p.jpg"), "client_uuid": str(uuid.uuid4()),
            "sha256": hashlib.sha256(data).hexdigest(), "taken_at": "2026-11-20T10:15:00+08:00", "stage": "before"}


def video_body(w, code, role):
    data = mp4()
    return {"client_uuid": str(uuid.uuid4()), "size_bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            "content_type": "video/mp4", "filename": "body-cam.mp4"}


def signature_body(w, code, role):
    out = io.BytesIO()
    Image.new("RGBA", (120, 40), (0, 0, 0, 0)).save(out, "PNG")
    data = out.getvalue()
    return {"file": ContentFile(data, name="s.png"), "client_uuid": str(uuid.uuid4()), "role": "party",
            "signer_name": "张三", "sha256": hashlib.sha256(data).hexdigest()}


MATRIX = {
    ("api-token", "POST"): Entry(
        url=lambda w, code, role: "/api/v1/auth/token/",
        body=lambda w, code, role: {"username": w.user(code, role).username, "password": PASSWORD},
        away_check="none", note="anonymous by design: a name and password, never another user's token"),
    ("api-me", "GET"): Entry(url=lambda w, code, role: "/api/v1/me/", away_check="self"),
    ("api-me", "PATCH"): Entry(url=lambda w, code, role: "/api/v1/me/", body=lambda w, c, r: {"language": "en"},
                               away_check="self"),
    ("api-jurisdictions", "GET"): Entry(url=lambda w, code, role: "/api/v1/jurisdictions/", away_check="list",
                                        rows=lambda w, code: {w.jurisdictions[code].pk}, seen=ids_of_features),
    ("api-jurisdiction", "GET"): Entry(url=lambda w, code, role: f"/api/v1/jurisdictions/{w.jurisdictions[code].pk}/"),
    ("api-villages", "GET"): Entry(url=lambda w, code, role: "/api/v1/villages/", away_check="list",
                                   rows=lambda w, code: {w.village(code).pk}, seen=ids_of_features),
    ("api-village", "GET"): Entry(url=lambda w, code, role: f"/api/v1/villages/{w.village(code).pk}/"),
    ("api-campaigns", "GET"): Entry(url=lambda w, code, role: "/api/v1/campaigns/", away_check="list",
                                    rows=lambda w, code: {w.campaign(code).pk}, seen=ids_of_features),
    ("api-campaign", "GET"): Entry(url=lambda w, code, role: f"/api/v1/campaigns/{w.campaign(code).pk}/"),
    ("api-campaign-summary", "GET"): Entry(
        url=lambda w, code, role: f"/api/v1/campaigns/{w.campaign(code).pk}/summary/", allowed=READERS),
    ("api-campaign-summary-send", "POST"): Entry(
        url=lambda w, code, role: f"/api/v1/campaigns/{w.campaign(code).pk}/summary/send/", allowed=SUPERVISOR,
        ok=202),
    ("api-summaries", "GET"): Entry(url=lambda w, code, role: "/api/v1/summaries/", allowed=READERS,
                                    away_check="list", rows=lambda w, code: {w.summary(code).pk},
                                    seen=ids_of_results),
    ("api-summary", "GET"): Entry(url=lambda w, code, role: f"/api/v1/summaries/{w.summary(code).pk}/",
                                  allowed=READERS),
    ("api-cases", "GET"): Entry(url=lambda w, code, role: "/api/v1/cases/", away_check="list",
                                rows=lambda w, code: {w.reported(code).pk}, seen=ids_of_results),
    ("api-cases", "POST"): Entry(url=lambda w, code, role: "/api/v1/cases/", allowed=FIELD, ok=201,
                                 body=finding_body, away_check="create"),
    ("api-cases-nearby", "GET"): Entry(
        url=lambda w, code, role: "/api/v1/cases/nearby/?lng={}&lat={}&radius=500".format(*POINT[code]),
        away_check="list", rows=lambda w, code: {w.reported(code).pk}, seen=ids_of_results,
        note="asked at the other jurisdiction's case: none of its cases"),
    ("api-cases-field", "GET"): Entry(
        url=lambda w, code, role: "/api/v1/cases/field/?lng={}&lat={}".format(*POINT[code]),
        away_check="list", rows=lambda w, code: {w.reported(code).pk},
        seen=lambda response: {row["id"] for row in response.json()["cases"]},
        note="the phone's case store: assigned and near the phone, never the other jurisdiction's"),
    ("api-cases-export", "GET"): Entry(
        url=lambda w, code, role: "/api/v1/cases/export.geojson", away_check="list",
        rows=lambda w, code: {w.reported(code).reference},
        seen=lambda response: {f["properties"]["reference"] for f in json.loads(b"".join(response.streaming_content))
                               ["features"]}),
    ("api-export-job", "GET"): Entry(
        url=lambda w, code, role: f"/api/v1/exports/{w.export_job(code, w.user(code, role)).pk}/",
        note="a job is its owner's only"),
    ("api-export-job-file", "GET"): Entry(
        url=lambda w, code, role: f"/api/v1/exports/{w.export_job(code, w.user(code, role)).pk}/file/"),
    ("api-case", "GET"): Entry(url=lambda w, code, role: f"/api/v1/cases/{w.reported(code).pk}/"),
    ("api-case-photos", "POST"): Entry(url=lambda w, code, role: f"/api/v1/cases/{w.reported(code).pk}/photos/",
                                       allowed=FIELD | LEGAL, ok=201, body=photo_body, fmt="multipart"),
    ("api-case-videos", "POST"): Entry(url=lambda w, code, role: f"/api/v1/cases/{w.reported(code).pk}/videos/",
                                       allowed=FIELD, ok=201, body=video_body),
    ("api-upload", "GET"): Entry(url=lambda w, code, role: f"/api/v1/uploads/{w.video_upload(code).pk}/",
                                 allowed=FIELD),
    # The first chunk of the upload's file: its bytes, at offset 0.
    ("api-upload", "PATCH"): Entry(url=lambda w, code, role: f"/api/v1/uploads/{w.video_upload(code).pk}/",
                                   allowed=FIELD, body=lambda w, c, r: mp4()[:1024],
                                   headers=lambda w, c, r: {"HTTP_UPLOAD_OFFSET": "0"},
                                   fmt="application/offset+octet-stream"),
    ("api-video-file", "GET"): Entry(url=lambda w, code, role: f"/api/v1/videos/{w.video(code).pk}/file/"),
    ("api-case-events", "GET"): Entry(url=lambda w, code, role: f"/api/v1/cases/{w.reported(code).pk}/events/"),
    ("api-case-notices", "GET"): Entry(
        url=lambda w, code, role: f"/api/v1/cases/{w.case(code, Status.ORDERED).pk}/notices/"),
    ("api-case-documents", "GET"): Entry(
        url=lambda w, code, role: f"/api/v1/cases/{w.document(code).case_id}/documents/"),
    ("api-document-pdf", "GET"): Entry(url=lambda w, code, role: f"/api/v1/documents/{w.document(code).pk}/pdf"),
    # The case file of the case holding that document (no photos: built within the request).
    ("api-case-dossier", "GET"): Entry(
        url=lambda w, code, role: f"/api/v1/cases/{w.document(code).case_id}/dossier.pdf"),
    ("api-document-services", "POST"): Entry(
        url=lambda w, code, role: f"/api/v1/documents/{w.document(code).pk}/services/", allowed=SUPERVISOR, ok=201,
        body=lambda w, c, r: {"method": "left_at_premises", "served_on": TODAY(), "witness_name": "村委会主任"}),
    # The return receipt of the jurisdiction's posted document (recorded once; each test starts afresh).
    ("api-service-receipt-date", "POST"): Entry(
        url=lambda w, code, role: f"/api/v1/services/{w.posted_service(code).pk}/receipt-date/", allowed=SUPERVISOR,
        body=lambda w, c, r: {"receipt_date": TODAY()}),
    # 执法公示: the jurisdiction's entries for its staff; only a supervisor holds one back or releases it.
    ("api-disclosure-entries", "GET"): Entry(url=lambda w, code, role: "/api/v1/disclosure/entries/",
                                             away_check="list", rows=lambda w, code: {w.disclosure_entry(code).pk},
                                             seen=ids_of_results),
    ("api-disclosure-hold", "POST"): Entry(
        url=lambda w, code, role: f"/api/v1/disclosure/entries/{w.disclosure_entry(code).pk}/hold/",
        allowed=SUPERVISOR, body=lambda w, c, r: {"reason": "当事人已申请复议，待核实"}),
    ("api-disclosure-release", "POST"): Entry(
        url=lambda w, code, role: f"/api/v1/disclosure/entries/{w.held_entry(code).pk}/release/",
        allowed=SUPERVISOR),
    # A signature drawn on the phone: taken by field staff (documents.signatures), read by the jurisdiction.
    ("api-case-signatures", "POST"): Entry(
        url=lambda w, code, role: f"/api/v1/cases/{w.reported(code).pk}/signatures/", allowed=FIELD, ok=201,
        body=signature_body, fmt="multipart"),
    ("api-signature-file", "GET"): Entry(url=lambda w, code, role: f"/api/v1/signatures/{w.signature(code).pk}/file/"),
    ("api-photo-file", "GET"): Entry(url=lambda w, code, role: f"/api/v1/photos/{w.photo(code).pk}/file/"),
    ("api-photo-thumbnail", "GET"): Entry(url=lambda w, code, role: f"/api/v1/photos/{w.photo(code).pk}/thumbnail/"),
    ("api-photo-display", "GET"): Entry(url=lambda w, code, role: f"/api/v1/photos/{w.photo(code).pk}/display/"),
    ("api-patrols", "GET"): Entry(url=lambda w, code, role: "/api/v1/patrols/", away_check="list",
                                  rows=lambda w, code: {w.patrol(code).pk}, seen=ids_of_results),
    ("api-patrols", "POST"): Entry(url=lambda w, code, role: "/api/v1/patrols/", allowed=FIELD, ok=201,
                                   body=lambda w, c, r: {"client_uuid": str(uuid.uuid4())}, away_check="create"),
    ("api-patrol", "GET"): Entry(url=lambda w, code, role: f"/api/v1/patrols/{w.patrol(code).pk}/"),
    # The patrol is the jurisdiction's inspector's: only that inspector sends its track; a supervisor may finish it.
    ("api-patrol-track", "POST"): Entry(
        url=lambda w, code, role: f"/api/v1/patrols/{w.patrol(code).pk}/track/", allowed=frozenset({Role.INSPECTOR}),
        ok=201, body=lambda w, code, role: {"seq": 1, "points": [
            {"lng": POINT[code][0], "lat": POINT[code][1], "t": timezone.now().isoformat()}]}),
    ("api-patrol-finish", "POST"): Entry(url=lambda w, code, role: f"/api/v1/patrols/{w.patrol(code).pk}/finish/",
                                         allowed=FIELD, body=lambda w, c, r: {"note": "未发现违法建设"}),
    ("api-map-cases", "GET"): Entry(url=lambda w, code, role: f"/api/v1/map/cases/?{both_bbox()}&zoom=10",
                                    away_check="list", rows=lambda w, code: {w.reported(code).pk},
                                    seen=ids_of_features),
    ("api-map-list", "GET"): Entry(url=lambda w, code, role: f"/api/v1/map/list/?{both_bbox()}", away_check="list",
                                   rows=lambda w, code: {w.reported(code).pk}, seen=ids_of_results),
    # Counts only: the other jurisdiction's open case is not counted.
    ("api-map-kpis", "GET"): Entry(url=lambda w, code, role: "/api/v1/map/kpis/", away_check="list",
                                   rows=lambda w, code: {w.reported(code).pk},
                                   count=lambda response: response.json()["open"]),
    ("api-map-heat", "GET"): Entry(url=lambda w, code, role: f"/api/v1/map/heat/?{both_bbox()}&zoom=10",
                                   away_check="list", rows=lambda w, code: {w.reported(code).pk},
                                   count=lambda response: sum(p[2] for p in response.json()["points"])),
    ("api-map-villages", "GET"): Entry(url=lambda w, code, role: "/api/v1/map/villages/", away_check="list",
                                       rows=lambda w, code: {w.village(code).pk}, seen=ids_of_features),
    ("api-map-campaigns", "GET"): Entry(url=lambda w, code, role: "/api/v1/map/campaigns/", away_check="list",
                                        rows=lambda w, code: {w.campaign(code).pk}, seen=ids_of_features),
    ("api-map-tracks", "GET"): Entry(url=lambda w, code, role: "/api/v1/map/tracks/", away_check="list",
                                     rows=lambda w, code: {w.patrol(code).pk}, seen=ids_of_features),
    # 卫片图斑 (#19): the list and the batches are lists; a 图斑, its photos, its check and the reports are objects.
    ("api-tuban", "GET"): Entry(url=lambda w, code, role: "/api/v1/tuban/", away_check="list",
                                rows=lambda w, code: {w.tuban(code).pk}, seen=ids_of_features),
    ("api-tuban-detail", "GET"): Entry(url=lambda w, code, role: f"/api/v1/tuban/{w.tuban(code).pk}/"),
    ("api-tuban-batches", "GET"): Entry(url=lambda w, code, role: "/api/v1/tuban/batches/", away_check="list",
                                        rows=lambda w, code: {w.tuban(code).batch_id}, seen=ids_of_results),
    ("api-tuban-report", "GET"): Entry(
        url=lambda w, code, role: f"/api/v1/tuban/batches/{w.tuban(code).batch_id}/report.xlsx"),
    ("api-tuban-photos", "POST"): Entry(
        url=lambda w, code, role: f"/api/v1/tuban/{w.tuban(code).pk}/photos/", allowed=FIELD, ok=201,
        body=lambda w, code, role: {**photo_body(w, code, role), "kind": "far"}, fmt="multipart"),
    ("api-tuban-photo-file", "GET"): Entry(
        url=lambda w, code, role: f"/api/v1/tuban/photos/{w.tuban_evidence(code)[0].pk}/file/"),
    ("api-tuban-verify", "POST"): Entry(
        url=lambda w, code, role: f"/api/v1/tuban/{w.tuban(code).pk}/verify/", allowed=FIELD, ok=201,
        body=lambda w, code, role: {
            "client_uuid": str(uuid.uuid4()), "verdict": "not_construction",
            "photos": [str(p.client_uuid) for p in w.tuban_evidence(code)],
            "location": {"type": "Point", "coordinates": list(POINT[code])}}),
    # By village within a batch: another jurisdiction's batch is not found.
    ("api-tuban-assign", "POST"): Entry(
        url=lambda w, code, role: "/api/v1/tuban/assign/", allowed=SUPERVISOR,
        body=lambda w, code, role: {"inspector": None, "batch": w.tuban(code).batch_id,
                                    "village": w.village(code).pk}),
}
for _action, _entry in ACTION_MATRIX.items():
    MATRIX[("api-case-action", "POST", _action)] = _entry


# --- the endpoints, from the resolver ------------------------------------------------------------------------


def api_endpoints():
    """(url name, method) of every view under /api/v1/, from the URL resolver."""
    return {(pattern.name, method) for route, pattern in routes() if route.startswith("api/v1/")
            for method in pattern.callback.cls().allowed_methods if method not in ("OPTIONS", "HEAD")}


ENDPOINTS = api_endpoints()


def matrix_keys():
    keys = []
    for name, method in sorted(ENDPOINTS):
        if name == "api-case-action":
            keys += [(name, method, action) for action in workflow.ACTIONS]
        else:
            keys.append((name, method))
    return keys


def key_id(key):
    return " ".join(key[1:2] + key[:1] + key[2:])


def test_every_endpoint_and_action_has_a_matrix_entry():
    keys = set(matrix_keys())
    assert keys - set(MATRIX) == set(), "endpoints without a permission-matrix entry"
    assert set(MATRIX) - keys == set(), "matrix entries for endpoints that no longer exist"
    assert len(ENDPOINTS) >= 38  # the walker found the API (38 when this was written)


# --- the checks ----------------------------------------------------------------------------------------------


def request(client, method, entry, url, body=None, headers=None):
    kwargs = dict(headers or {})
    if body is not None:
        kwargs["data"] = body
        # A raw body (a video chunk) goes as it is, with its media type; others through the renderer of ``fmt``.
        kwargs["content_type" if "/" in entry.fmt else "format"] = entry.fmt
    return getattr(client, method.lower())(url, **kwargs)


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def assert_error_shape(response):
    error = response.json()["error"]
    assert set(error) >= {"code", "message", "fields"} and error["message"], error


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("home", HOMES)
@pytest.mark.parametrize("key", matrix_keys(), ids=key_id)
def test_role_and_jurisdiction(key, home, role, world):
    entry = MATRIX.get(key)
    assert entry is not None, f"no permission-matrix entry for {key_id(key)}"
    method, away, user = key[1], AWAY[home], world.user(home, role)
    client = client_for(user)

    # The other jurisdiction's object: never found (a role barred from the endpoint may hear 403 first).
    if entry.away_check == "404":
        url = entry.url(world, away, role)
        body = entry.body(world, away, role) if entry.body else None
        headers = entry.headers(world, away, role) if entry.headers else None
        response = request(client, method, entry, url, body, headers)
        expected = {404} if role in entry.allowed else {403, 404}
        assert response.status_code in expected, (url, response.status_code, response.content[:300])
        assert_error_shape(response)

    # A place of the other jurisdiction in a create's body: refused, and nothing made there.
    if entry.away_check == "create":
        body = entry.body(world, away, role)
        before = (Case.objects.filter(jurisdiction__code=away).count(),)
        response = request(client, method, entry, entry.url(world, home, role), body)
        # A finding at the other jurisdiction's point lies outside every village of the user's own: 400.
        expected = {400, 403} if key[0] == "api-cases" else {201, 403}
        assert response.status_code in expected, (response.status_code, response.content[:300])
        assert (Case.objects.filter(jurisdiction__code=away).count(),) == before
        if response.status_code < 300:  # a patrol has no place in its body: it is the user's, in the user's own
            assert response.json()["inspector"]["id"] == user.pk
            return
        assert_error_shape(response)

    # The user's own jurisdiction's object: the role decides.
    url = entry.url(world, home, role)
    if entry.away_check == "list":
        own_rows, other_rows = entry.rows(world, home), entry.rows(world, away)
        assert own_rows and other_rows and not own_rows & other_rows
        if key[0] == "api-cases-nearby":
            # Asked at the other jurisdiction's point: nothing of it comes back.
            far = client.get("/api/v1/cases/nearby/?lng={}&lat={}&radius=500".format(*POINT[away]))
            assert far.status_code == 200 and far.json()["results"] == []
        if key[0] == "api-cases-field":
            far = client.get("/api/v1/cases/field/?lng={}&lat={}".format(*POINT[away]))
            assert far.status_code == 200 and not other_rows & {row["id"] for row in far.json()["cases"]}
    body = entry.body(world, home, role) if entry.body else None
    headers = entry.headers(world, home, role) if entry.headers else None
    response = request(client, method, entry, url, body, headers)
    content = b"" if response.streaming else response.content
    assert response.status_code in entry.statuses(role), (url, response.status_code, content[:400])
    if response.status_code >= 400:
        assert_error_shape(response)
        return
    if entry.away_check == "list" and entry.count:
        assert entry.count(response) == len(own_rows), f"{url} counts another jurisdiction's rows"
    elif entry.away_check == "list":
        seen = entry.seen(response)
        assert own_rows <= seen, f"own rows missing from {url}"
        assert not other_rows & seen, f"{url} shows the other jurisdiction's rows"
    if entry.away_check == "self" or key[0] == "api-token":
        data = response.json()
        if key[0] == "api-me":
            assert data["id"] == user.pk and data["jurisdiction"]["code"] == home and data["role"] == role
    if key[0] == "api-case":
        data = response.json()
        assert {a["action"] for a in data["available_actions"] if a["available"]} <= {
            name for name, spec in workflow.ACTIONS.items() if role in spec.roles}


@pytest.mark.parametrize("key", [k for k in matrix_keys() if k[0] != "api-token"], ids=key_id)
def test_anonymous_requests_get_401_in_the_error_shape(key, world):
    entry = MATRIX[key]
    url = entry.url(world, "TST", Role.SUPERVISOR)
    body = entry.body(world, "TST", Role.SUPERVISOR) if entry.body else None
    headers = entry.headers(world, "TST", Role.SUPERVISOR) if entry.headers else None
    response = request(APIClient(), key[1], entry, url, body, headers)
    assert response.status_code == 401, (url, response.status_code)
    assert response.json()["error"]["code"] == "not_authenticated"
    assert_error_shape(response)


def test_a_token_is_only_ever_the_users_own(world):
    response = APIClient().post("/api/v1/auth/token/", {"username": "m_TST_leader", "password": PASSWORD},
                                format="json")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    me = client.get("/api/v1/me/").json()
    assert (me["username"], me["jurisdiction"]["code"], me["role"]) == ("m_TST_leader", "TST", "leader")
    assert client.get(f"/api/v1/cases/{world.reported('OTH').pk}/").status_code == 404
