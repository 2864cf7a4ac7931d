"""Two jurisdictions (TST and OTH, tests/conftest.py) built alike, with a user of every role each and, on demand,
their cases in each state of the procedure, photos, notices, documents, patrols, campaigns, summaries and export jobs.

Shared by the permission matrix and the schemathesis run.
"""
import hashlib
import io
import uuid
from datetime import date, datetime, timedelta

from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image

from disclosure import services as disclosure_services
from disclosure.models import PublishedDecision
from documents.choices import DocumentKind
from documents.services import issue_document, record_service
from documents.signatures import record_signature
from patrol import procedure, workflow
from patrol.choices import (AppealKind, CampaignStatus, LegalBasis, NoticeKind, ReinspectionResult, Role,
                            ServiceMethod, Status)
from patrol.models import Campaign, Case, Notice
from patrol.patrols import record_track, start_patrol
from patrol.photos import make_thumbnail
from patrol.watermark import make_display_copy
from tests.factories import UserFactory, finding
from videos.uploads import receive_chunk, start_upload
from exports.models import ExportJob
from summaries.models import Summary
from tuban.models import Tuban, TubanBatch
from tuban.services import receive_evidence_photo

ROLES = [Role.INSPECTOR, Role.SUPERVISOR, Role.LEGAL_REVIEWER, Role.LEADER]
ALL = frozenset(ROLES)
FIELD = frozenset({Role.INSPECTOR, Role.SUPERVISOR})
SUPERVISOR = frozenset({Role.SUPERVISOR})
LEGAL = frozenset({Role.LEGAL_REVIEWER})
READERS = frozenset({Role.SUPERVISOR, Role.LEADER})
HOMES = ["TST", "OTH"]
AWAY = {"TST": "OTH", "OTH": "TST"}
# A point in the first village of each jurisdiction (tests/conftest.py).
# States after the 限期拆除决定 that World.case builds directly (World._enforce): "decision_served" is ``decided`` with
# a served 限期拆除决定书, "appealed" ``suspended`` by record_appeal, "court_reminded" ``reminded`` on the court route.
ENFORCEMENT_STATES = {"decision_served", "appealed", Status.REMINDED, "court_reminded", Status.ENFORCEMENT_DECIDED, Status.ANNOUNCED,
                      Status.COURT_PENDING, Status.COURT_GRANTED, Status.EXECUTED}
POINT = {"TST": (111.605, 40.705), "OTH": (112.605, 41.705)}
PASSWORD = "correct-horse-battery"


def at(year, month, day, hour=10):
    return timezone.make_aware(datetime(year, month, day, hour))


def mp4(size=4096):
    """The first bytes of an MP4 (its ftyp box), padded: enough for the upload's magic-number check."""
    return (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(range(256)) * (size // 256 + 1))[:size]


def jpeg(colour=(90, 120, 200)):
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    return out.getvalue()


# --- the two jurisdictions, built alike and lazily (a test builds only what its endpoint needs) ------------


class World:
    def __init__(self, jurisdictions):
        self.jurisdictions = jurisdictions
        self.users = {
            code: {role: UserFactory(username=f"m_{code}_{role}", role=role, jurisdiction=jurisdiction)
                   for role in ROLES}
            for code, jurisdiction in jurisdictions.items()
        }
        self._built = {}

    def _once(self, key, build):
        if key not in self._built:
            self._built[key] = build()
        return self._built[key]

    def user(self, code, role):
        return self.users[code][role]

    def village(self, code):
        return self.jurisdictions[code].villages.order_by("name").first()

    # cases, driven through the real services along the dated story of tests/patrol/test_workflow.py
    def reported(self, code, tag="reported"):
        def build():
            lng, lat = POINT[code]
            case, _created = workflow.report_finding(
                actor=self.user(code, Role.INSPECTOR), now=at(2026, 3, 2, 9),
                **finding(location=Point(lng, lat, srid=4326), address=f"{code} {tag}"))
            return case
        return self._once(("reported", code, tag), build)

    def case(self, code, status):
        return self._once(("case", code, status), lambda: self._advance(code, status))

    def _advance(self, code, status):
        supervisor, inspector, legal = (self.user(code, r) for r in (Role.SUPERVISOR, Role.INSPECTOR,
                                                                      Role.LEGAL_REVIEWER))
        case = self.reported(code, tag=status)
        if status == Status.REPORTED:
            return case
        workflow.file_case(case_id=case.pk, actor=supervisor, legal_basis="planning_art65", note="符合立案条件", now=at(2026, 3, 2, 14))
        if status == Status.FILED:
            return Case.objects.get(pk=case.pk)
        procedure.record_inspection(case_id=case.pk, actor=inspector, officers=[inspector.pk, supervisor.pk],
                                    facts="院外在建彩钢房一处", refused=True, witness_name="村委会主任",
                                    now=at(2026, 3, 2, 16))
        ordered = procedure.order(case_id=case.pk, actor=supervisor, order_kind="rectification_order", period_days=5,
                                  now=at(2026, 3, 3, 11))
        self._serve(ordered, DocumentKind.RECTIFICATION_ORDER, supervisor, at(2026, 3, 3, 15))
        if status == Status.ORDERED:
            return Case.objects.get(pk=case.pk)
        workflow.reinspect(case_id=case.pk, actor=inspector, result=ReinspectionResult.NOT_RECTIFIED,
                           note="期限届满，未整改", now=at(2026, 3, 11))
        if status == "overdue":
            return Case.objects.get(pk=case.pk)
        notified = procedure.notify_intent(case_id=case.pk, actor=supervisor, facts="逾期未改正", now=at(2026, 3, 12))
        self._serve(notified, DocumentKind.INTENT_NOTICE, supervisor, at(2026, 3, 12, 15))
        if status == Status.NOTIFIED:
            return Case.objects.get(pk=case.pk)
        if status == Status.HEARING:
            procedure.request_hearing(case_id=case.pk, actor=supervisor, requested_on=date(2026, 3, 13),
                                      hearing_at=at(2026, 3, 30), hearing_place="乡政府会议室", chair=legal.pk,
                                      now=at(2026, 3, 13))
            return Case.objects.get(pk=case.pk)
        waiver = self.photo(case.jurisdiction.code, case)
        procedure.waive_rights(case_id=case.pk, actor=supervisor, waiver_photo=waiver.pk, now=at(2026, 3, 12, 16))
        procedure.submit_review(case_id=case.pk, actor=supervisor, note="当事人放弃陈述申辩和听证",
                                now=at(2026, 3, 12, 17))
        if status == Status.IN_REVIEW:
            return Case.objects.get(pk=case.pk)
        passed = {key: {"passed": True, "remark": ""} for key in ("subject", "procedure", "facts", "law", "documents")}
        procedure.legal_approve(case_id=case.pk, actor=legal, checklist=passed, now=at(2026, 3, 13))
        if status == "approved":
            return Case.objects.get(pk=case.pk)
        procedure.record_collective_discussion(case_id=case.pk, actor=supervisor, attendees=["乡长", "副乡长", "队长"],
                                               conclusion="同意", now=at(2026, 3, 13))
        decided = procedure.decide(case_id=case.pk, actor=supervisor, period_days=10, now=at(2026, 3, 13))
        if status == Status.DECIDED:
            self._serve(decided, DocumentKind.DEMOLITION_DECISION, supervisor, at(2026, 3, 13, 15))
            return Case.objects.get(pk=case.pk)
        if status in ENFORCEMENT_STATES:
            return self._enforce(case, status)
        assert status == "suspended"
        self._serve(decided, DocumentKind.DEMOLITION_DECISION, supervisor, at(2026, 3, 13, 15))
        workflow.ACTIONS["record_appeal"].service(case_id=case.pk, actor=legal, kind=AppealKind.RECONSIDERATION,
                                                  body="某县人民政府", filed_on=date(2026, 4, 1), now=at(2026, 4, 1))
        return Case.objects.get(pk=case.pk)

    def _serve(self, case, kind, supervisor, moment):
        document = case.documents.filter(kind=kind).latest("issued_at")
        record_service(document_id=document.pk, actor=supervisor, method="left_at_premises",
                       served_on=moment.date(), witness_name="村委会主任", now=moment)

    def _enforce(self, case, status):
        """A case past the 限期拆除决定 (patrol.enforcement), at ``status``: its decision (and, for the later states,
        its 催告书 and 强制拆除决定书) issued and served in 2026, long before the tests run; the state set as the
        steps would have set it. ``court_*`` states are on the court route (土地管理法)."""
        supervisor = self.user(case.jurisdiction.code, Role.SUPERVISOR)
        legal_basis = LegalBasis.LAND_ART78 if status.startswith("court_") else LegalBasis.PLANNING_ART65
        Case.objects.filter(pk=case.pk).update(legal_basis=legal_basis)
        documents = [(DocumentKind.DEMOLITION_DECISION, at(2026, 4, 1))]
        if status not in ("decision_served", "appealed"):
            documents.append((DocumentKind.REMINDER, at(2026, 10, 12)))
        if status in (Status.ENFORCEMENT_DECIDED, Status.ANNOUNCED, Status.EXECUTED):
            documents.append((DocumentKind.ENFORCEMENT_DECISION, at(2026, 11, 2)))
        for kind, moment in documents:
            with transaction.atomic():
                locked = Case.objects.select_for_update().select_related("jurisdiction").get(pk=case.pk)
                document = issue_document(case=locked, kind=kind, content={}, actor=supervisor, period_days=10,
                                          now=moment)
            record_service(document_id=document.pk, actor=supervisor, method="left_at_premises",
                           served_on=moment.date(), witness_name="村委会主任", now=moment)
        state = {"court_reminded": Status.REMINDED, "decision_served": Status.DECIDED,
                 "appealed": Status.DECIDED}.get(status, status)
        Case.objects.filter(pk=case.pk).update(
            status=state, deadline=date(2026, 11, 20) if state == Status.ANNOUNCED else None)
        if status == "appealed":
            workflow.ACTIONS["record_appeal"].service(case_id=case.pk, actor=supervisor, kind=AppealKind.LITIGATION,
                                                      body="某县人民法院", filed_on=date(2026, 5, 6),
                                                      now=at(2026, 5, 7))
        return Case.objects.get(pk=case.pk)

    def photo(self, code, case=None):
        case = case or self.reported(code)

        def build():
            data = jpeg()
            photo = workflow.attach_photo(
                case_id=case.pk, actor=self.user(code, Role.INSPECTOR), client_uuid=uuid.uuid4(),
                file=ContentFile(data), sha256=hashlib.sha256(data).hexdigest(), content_type="image/jpeg",
                size_bytes=len(data), taken_at=at(2026, 3, 2, 9), stage="before", location=case.location,
                now=at(2026, 3, 2, 9))
            make_thumbnail(photo)
            make_display_copy(photo)
            return photo
        return self._once(("photo", code, case.pk), build)

    def document(self, code):
        """A 责令限期改正通知书 issued (today) on the jurisdiction's filed case."""
        def build():
            filed = self.case(code, Status.FILED)
            with transaction.atomic():
                case = Case.objects.select_for_update().select_related("jurisdiction").get(pk=filed.pk)
                return issue_document(case=case, kind=DocumentKind.RECTIFICATION_ORDER, content={},
                                      actor=self.user(code, Role.SUPERVISOR), period_days=10)
        return self._once(("document", code), build)

    def disclosure_entry(self, code):
        """The 执法公示 entry of the document above (registered as the daily run would, not yet published)."""
        def build():
            document = self.document(code)
            disclosure_services.register_decisions()
            return PublishedDecision.objects.get(document=document)
        return self._once(("disclosure", code), build)

    def held_entry(self, code):
        """Another decision's entry, held back by the supervisor."""
        def build():
            filed = self.case(code, Status.FILED)
            supervisor = self.user(code, Role.SUPERVISOR)
            with transaction.atomic():
                case = Case.objects.select_for_update().select_related("jurisdiction").get(pk=filed.pk)
                document = issue_document(case=case, kind=DocumentKind.STOP_CONSTRUCTION_ORDER, content={},
                                          actor=supervisor, period_days=3)
            disclosure_services.register_decisions()
            entry = PublishedDecision.objects.get(document=document)
            return disclosure_services.hold_back(entry_id=entry.pk, actor=supervisor, reason="核实中")
        return self._once(("held", code), build)

    def posted_service(self, code):
        """The document above, posted today; its return receipt not back yet."""
        def build():
            return record_service(document_id=self.document(code).pk, actor=self.user(code, Role.SUPERVISOR),
                                  method="post", served_on=timezone.localdate(), tracking_number="1180123456789")
        return self._once(("posted", code), build)

    def video_upload(self, code, data=None):
        """A video upload on the reported case, announced by the inspector, nothing sent yet."""
        data = data or mp4()

        def build():
            upload, _created = start_upload(
                case_id=self.reported(code).pk, actor=self.user(code, Role.INSPECTOR), client_uuid=uuid.uuid4(),
                size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), content_type="video/mp4",
                filename="body-cam.mp4")
            return upload
        return self._once(("video_upload", code, len(data)), build)

    def video(self, code, case=None):
        """A whole video kept on the reported case (or on ``case``)."""
        def build():
            data = mp4(8192)
            if case is None:
                upload = self.video_upload(code, data)
            else:
                upload, _created = start_upload(
                    case_id=case.pk, actor=self.user(code, Role.INSPECTOR), client_uuid=uuid.uuid4(),
                    size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), content_type="video/mp4")
            return receive_chunk(upload_id=upload.pk, actor=self.user(code, Role.INSPECTOR), offset=0,
                                 length=len(data), stream=io.BytesIO(data)).video
        return self._once(("video", code, case.pk if case else None), build)

    def signature(self, code):
        """A signature drawn by the party of the reported case."""
        def build():
            out = io.BytesIO()
            Image.new("RGBA", (120, 40), (0, 0, 0, 0)).save(out, "PNG")
            png = out.getvalue()
            return record_signature(case_id=self.reported(code).pk, actor=self.user(code, Role.INSPECTOR),
                                    client_uuid=uuid.uuid4(), role="party", signer_name="张三", drawn_at=None,
                                    png=png, sha256=hashlib.sha256(png).hexdigest())[0]
        return self._once(("signature", code), build)

    def notice(self, code):
        """A 通知书 of the procedure before #13 (issue_notice, now gone): such notices stay readable on old cases."""
        def build():
            case = self.case(code, Status.ORDERED)
            return Notice.objects.create(case=case, kind=NoticeKind.RECTIFY, year=2026, seq=1,
                                         number=f"{code}〔2026〕限改字第1号", issued_on=date(2026, 3, 3),
                                         deadline=date(2026, 3, 10), service_method=ServiceMethod.IN_PERSON,
                                         served_on=date(2026, 3, 3), issued_by=self.user(code, Role.SUPERVISOR),
                                         created_at=at(2026, 3, 3, 11))
        return self._once(("notice", code), build)

    def patrol(self, code):
        def build():
            patrol, _created = start_patrol(actor=self.user(code, Role.INSPECTOR), client_uuid=uuid.uuid4(),
                                            note="日常巡查")
            lng, lat = POINT[code]
            now = timezone.now()
            record_track(patrol_id=patrol.pk, actor=self.user(code, Role.INSPECTOR), seq=0, points=[
                {"lng": lng, "lat": lat, "t": now - timedelta(minutes=5), "accuracy_m": 5},
                {"lng": lng + 0.001, "lat": lat, "t": now, "accuracy_m": 5}])
            return patrol
        return self._once(("patrol", code), build)

    def campaign(self, code):
        def build():
            today = timezone.localdate()
            campaign = Campaign.objects.create(jurisdiction=self.jurisdictions[code], name=f"{code} 专项整治",
                                               starts_on=today - timedelta(days=10), ends_on=today + timedelta(days=20),
                                               status=CampaignStatus.ACTIVE)
            campaign.villages.set([self.village(code)])
            return campaign
        return self._once(("campaign", code), build)

    def summary(self, code):
        def build():
            today = timezone.localdate()
            return Summary.objects.create(jurisdiction=self.jurisdictions[code], campaign=self.campaign(code),
                                          kind=Summary.Kind.ON_DEMAND, period_start=today - timedelta(days=7),
                                          period_end=today, status=Summary.Status.READY, numbers={"new_findings": 1})
        return self._once(("summary", code), build)

    def export_job(self, code, user):
        def build():
            job = ExportJob.objects.create(user=user, jurisdiction=self.jurisdictions[code], format="csv",
                                           status=ExportJob.Status.DONE, row_count=1)
            job.file.save("ledger.csv", ContentFile("编号\n".encode("utf-8-sig")), save=True)
            return job
        return self._once(("export", code, user.pk), build)

    # 卫片图斑: a batch with one 图斑 around the jurisdiction's point, and its far, near and inside photos
    def tuban(self, code):
        def build():
            lng, lat = POINT[code]
            batch = TubanBatch.objects.create(jurisdiction=self.jurisdictions[code], name=f"{code} 卫片",
                                              due_date=date(2026, 12, 31))
            return Tuban.objects.create(
                batch=batch, jurisdiction=self.jurisdictions[code], number=f"{code}-T1", village=self.village(code),
                polygon=MultiPolygon(Polygon.from_bbox((lng - 0.0005, lat - 0.0005, lng + 0.0005, lat + 0.0005)),
                                     srid=4326), area_m2=9400)
        return self._once(("tuban", code), build)

    def tuban_evidence(self, code):
        def build():
            tuban, inspector = self.tuban(code), self.user(code, Role.INSPECTOR)
            photos = []
            for kind, colour in (("far", (10, 20, 30)), ("near", (40, 50, 60)), ("inside", (70, 80, 90))):
                data = jpeg(colour)
                photo, _created = receive_evidence_photo(
                    tuban_id=tuban.pk, actor=inspector, upload=ContentFile(data, name=f"{kind}.jpg"),
                    client_uuid=uuid.uuid4(), sha256=hashlib.sha256(data).hexdigest(), taken_at=at(2026, 3, 2, 9),
                    kind=kind, location=Point(*POINT[code], srid=4326))
                photos.append(photo)
            return photos
        return self._once(("tuban_evidence", code), build)
