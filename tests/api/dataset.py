"""Two jurisdictions (TST and OTH, tests/conftest.py) built alike, with a user of every role each and, on demand,
their cases in each state of the procedure, photos, notices, documents, patrols, campaigns, summaries and export jobs.

Shared by the permission matrix and the schemathesis run.
"""
import hashlib
import io
import uuid
from datetime import date, datetime, timedelta

from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image

from documents.choices import DocumentKind
from documents.services import issue_document, record_service
from patrol import workflow
from patrol.choices import CampaignStatus, NoticeKind, ReinspectionResult, Role, ServiceMethod, Status
from patrol.models import Campaign, Case
from patrol.patrols import record_track, start_patrol
from patrol.photos import make_thumbnail
from tests.factories import UserFactory, finding
from videos.uploads import receive_chunk, start_upload
from exports.models import ExportJob
from summaries.models import Summary

ROLES = [Role.INSPECTOR, Role.SUPERVISOR, Role.LEGAL_REVIEWER, Role.LEADER]
ALL = frozenset(ROLES)
FIELD = frozenset({Role.INSPECTOR, Role.SUPERVISOR})
SUPERVISOR = frozenset({Role.SUPERVISOR})
LEGAL = frozenset({Role.LEGAL_REVIEWER})
READERS = frozenset({Role.SUPERVISOR, Role.LEADER})
HOMES = ["TST", "OTH"]
AWAY = {"TST": "OTH", "OTH": "TST"}
# A point in the first village of each jurisdiction (tests/conftest.py).
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
        workflow.file_case(case_id=case.pk, actor=supervisor, note="符合立案条件", now=at(2026, 3, 2, 14))
        if status == Status.FILED:
            return Case.objects.get(pk=case.pk)
        workflow.issue_notice(case_id=case.pk, actor=supervisor, notice_kind=NoticeKind.RECTIFY, deadline_days=5,
                              service_method=ServiceMethod.IN_PERSON, served_on=date(2026, 3, 3),
                              now=at(2026, 3, 3, 11))
        if status == Status.ORDERED:
            return Case.objects.get(pk=case.pk)
        workflow.reinspect(case_id=case.pk, actor=inspector, result=ReinspectionResult.NOT_RECTIFIED,
                           note="期限届满，未整改", now=at(2026, 3, 11))
        if status == "overdue":
            return Case.objects.get(pk=case.pk)
        workflow.escalate(case_id=case.pk, actor=supervisor, note="提请法制审核", now=at(2026, 3, 12))
        if status == Status.IN_REVIEW:
            return Case.objects.get(pk=case.pk)
        workflow.legal_approve(case_id=case.pk, actor=legal, decision_number="强拆决字第1号",
                               announcement_date=date(2026, 3, 13), now=at(2026, 3, 13))
        if status == Status.DECIDED:
            return Case.objects.get(pk=case.pk)
        assert status == "suspended"
        workflow.comment(case_id=case.pk, actor=legal, note="当事人申请行政复议", appeal_filed=True,
                         now=at(2026, 4, 1))
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

    def video(self, code):
        """A whole video kept on the reported case."""
        def build():
            data = mp4(8192)
            upload = self.video_upload(code, data)
            return receive_chunk(upload_id=upload.pk, actor=self.user(code, Role.INSPECTOR), offset=0,
                                 length=len(data), stream=io.BytesIO(data)).video
        return self._once(("video", code), build)

    def notice(self, code):
        return self.case(code, Status.ORDERED).notices.get()

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
