"""Demo data for `manage.py seed_demo`: two jurisdictions, users of every role, a campaign, patrols
with GPS tracks, and about 200 cases driven through the real workflow services into every state.

Everything is deterministic (seeded random numbers, uuid5 ids) and skipped when it already exists,
so running the command twice leaves the same data.
"""
import hashlib
import io
import math
import random
import uuid
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.gis.geos import LineString, Point
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from disclosure.demo import seed_disclosures
from gis.geodesy import line_length_m
from gis.models import Jurisdiction
from documents.choices import DocumentKind
from documents.models import Document
from documents.services import record_service
from patrol import procedure, workflow
from patrol.choices import (
    AppealKind,
    CampaignStatus,
    Category,
    LegalBasis,
    LocationSource,
    PatrolKind,
    PhotoStage,
    ReinspectionResult,
    Role,
    Stage,
    Structure,
    SummarySchedule,
)
from patrol.deadlines import is_working_day
from videos.uploads import receive_chunk, start_upload
from patrol.models import Campaign, Case, Patrol, Photo, User
from summaries.services import request_due_summaries

DEMO_PASSWORD = "xuncha-demo"
NAMESPACE = uuid.UUID("6f1c2a52-5b9e-4d1e-9a55-6b8e2b0a2026")
DATA_DIR = Path(settings.BASE_DIR) / "gis" / "data"
CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"

JURISDICTIONS = [
    {"code": "LWG", "name": "龙王沟乡村振兴示范区", "doc_prefix": "龙执", "file": "lwg_villages.geojson"},
    {"code": "DEMO2", "name": "试验镇", "doc_prefix": "试执", "file": "demo2_villages.geojson"},
]
# The procedure settings of the demo jurisdictions. Demo data: "××" marks the bodies as placeholders, not
# real authorities. LWG may use every basis, so the demo can show the court route (土地管理法) beside the
# township's own (城乡规划法 第65条, the basis of its cases), and draws its major cases by size, so the demo
# has decisions with and without 集体讨论; DEMO2 has only its own power and the default rule.
JURISDICTION_PROCEDURE = {
    "LWG": {"legal_bases": [LegalBasis.PLANNING_ART65, LegalBasis.PLANNING_ART64, LegalBasis.LAND_ART78],
            "reconsideration_body": "××县人民政府", "court": "××县人民法院", "major_case_area_m2": 200,
            "major_case_any_demolition": False},
    "DEMO2": {"legal_bases": [LegalBasis.PLANNING_ART65], "reconsideration_body": "试验县人民政府",
              "court": "试验县人民法院"},
}
# 执法证 of the demo officers (every inspector and supervisor): made-up 15-digit numbers, not real cards.
DEMO_CERTIFICATES = {
    "inspector": "150105202600001",
    "inspector2": "150105202600002",
    "supervisor": "150105202600003",
    "other_supervisor": "150105202600004",
}
USERS = [
    ("inspector", "张", "伟", Role.INSPECTOR, "LWG"),
    ("inspector2", "李", "强", Role.INSPECTOR, "LWG"),
    ("supervisor", "王", "建国", Role.SUPERVISOR, "LWG"),
    ("legal", "赵", "敏", Role.LEGAL_REVIEWER, "LWG"),
    ("leader", "刘", "振华", Role.LEADER, "LWG"),
    ("other_supervisor", "陈", "立", Role.SUPERVISOR, "DEMO2"),
    ("admin", "", "管理员", Role.ADMIN, None),
]
ADDRESSES = ["村委会东侧", "小学北侧空地", "108国道旁", "村口老槐树旁", "河道管理范围内", "基本农田内", "新村规划区",
             "养殖场西侧", "村卫生室后", "水库上游", "二组场院", "果园北侧"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = ["建华", "桂兰", "志强", "秀英", "国庆", "海军", "玉梅", "永明", "春生", "红霞", "德胜", "文斌"]


def uuid_for(kind, index):
    return uuid.uuid5(NAMESPACE, f"{kind}-{index}")


class DemoSeeder:
    def __init__(self, stdout=None, now=None):
        self.stdout = stdout
        self.now = now or timezone.now()

    def say(self, message):
        if self.stdout:
            self.stdout.write(message)

    # --- organisation -------------------------------------------------------------------------

    def jurisdictions(self):
        result = {}
        for spec in JURISDICTIONS:
            jurisdiction, created = Jurisdiction.objects.get_or_create(
                code=spec["code"], defaults={"name": spec["name"], "doc_prefix": spec["doc_prefix"]})
            if not jurisdiction.villages.exists():
                call_command("import_villages", str(DATA_DIR / spec["file"]), jurisdiction=spec["code"], commit=True,
                             update_jurisdiction_boundary=True, stdout=io.StringIO())
            if not jurisdiction.reconsideration_body:  # once, so an admin's later settings stay
                for field, value in JURISDICTION_PROCEDURE[spec["code"]].items():
                    setattr(jurisdiction, field, value)
                jurisdiction.save(update_fields=list(JURISDICTION_PROCEDURE[spec["code"]]))
            result[spec["code"]] = jurisdiction
            self.say(f"  {jurisdiction}: {jurisdiction.villages.count()} villages")
        return result

    def users(self, jurisdictions):
        users = {}
        for username, last, first, role, code in USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(username=username, last_name=last, first_name=first, role=role,
                            jurisdiction=jurisdictions.get(code), email=f"{username}@xuncha.local",
                            is_staff=role == Role.ADMIN, is_superuser=role == Role.ADMIN)
                user.set_password(DEMO_PASSWORD)
                user.save()
            if username in DEMO_CERTIFICATES and not user.certificate_number:
                # Valid to the end of the fifth year from now, so the demo never runs on expired cards.
                user.certificate_number = DEMO_CERTIFICATES[username]
                user.certificate_valid_until = date(timezone.localdate(self.now).year + 5, 12, 31)
                user.save(update_fields=["certificate_number", "certificate_valid_until"])
            users[username] = user
        return users

    def campaign(self, jurisdiction, users):
        today = timezone.localdate(self.now)
        campaign, created = Campaign.objects.get_or_create(
            jurisdiction=jurisdiction, name="2026年冬季违法建设专项整治行动",
            defaults={"starts_on": today - timedelta(days=49), "ends_on": today + timedelta(days=35),
                      "status": CampaignStatus.ACTIVE, "summary_schedule": SummarySchedule.WEEKLY,
                      "target_categories": [Category.NEW_CONSTRUCTION, Category.EXTENSION]},
        )
        if created:
            campaign.villages.set(jurisdiction.villages.all())
            campaign.recipients.set([users["supervisor"], users["leader"]])
        return campaign

    # --- patrols --------------------------------------------------------------------------------

    def patrols(self, jurisdiction, inspectors, campaign):
        villages = list(jurisdiction.villages.order_by("name"))
        today = timezone.localdate(self.now)
        created = 0
        for day_offset in range(14, 0, -1):
            day = today - timedelta(days=day_offset)
            for k, inspector in enumerate(inspectors):
                index = day_offset * 10 + k
                client_uuid = uuid_for("patrol", index)
                if Patrol.objects.filter(client_uuid=client_uuid).exists():
                    continue
                rng = random.Random(index)
                # Two villages are left unpatrolled lately, so the map has something to shade.
                village = rng.choice(villages[: len(villages) - 2] if day_offset < 8 else villages)
                start = timezone.make_aware(datetime.combine(day, time(8 + rng.randint(0, 5), rng.randint(0, 59))))
                track = random_walk(village, rng, steps=rng.randint(40, 90))
                is_campaign = campaign.starts_on <= day and rng.random() < 0.5
                patrol = Patrol.objects.create(
                    client_uuid=client_uuid, jurisdiction=jurisdiction, inspector=inspector,
                    kind=PatrolKind.CAMPAIGN if is_campaign else PatrolKind.DAILY,
                    campaign=campaign if is_campaign else None, started_at=start,
                    ended_at=start + timedelta(minutes=len(track) * 2), track=LineString(track, srid=4326),
                    distance_m=round(line_length_m(track), 1),
                    note="" if rng.random() < 0.6 else "未发现违法建设",
                )
                patrol.villages.set([village])
                created += 1
        self.say(f"  patrols: {created} created")

    # --- cases ----------------------------------------------------------------------------------

    def cases(self, jurisdiction, users, campaign, count=200):
        plans = sorted((CasePlan(i, self.now) for i in range(count)), key=lambda plan: plan.reported_at)
        villages = list(jurisdiction.villages.order_by("name"))
        made = 0
        for plan in plans:
            if Case.objects.filter(client_uuid=plan.client_uuid).exists():
                continue
            plan.run(self, villages, users, campaign)
            made += 1
        self.say(f"  cases: {made} created, {Case.objects.filter(jurisdiction=jurisdiction).count()} in all")

    def featured_cases(self, jurisdiction, users, campaign):
        """One case at each stage of the procedure that the random draw of ``cases`` may miss (FEATURED)."""
        villages = list(jurisdiction.villages.order_by("name"))
        made = 0
        for k, outcome in enumerate(FEATURED):
            plan = CasePlan(FEATURED_INDEX + k, self.now, outcome=outcome)
            if not Case.objects.filter(client_uuid=plan.client_uuid).exists():
                plan.run(self, villages, users, campaign)
                made += 1
        self.say(f"  featured cases: {made} created")

    def run(self, cases=200):
        with transaction.atomic():
            jurisdictions = self.jurisdictions()
            users = self.users(jurisdictions)
            campaign = self.campaign(jurisdictions["LWG"], users)
        self.patrols(jurisdictions["LWG"], [users["inspector"], users["inspector2"]], campaign)
        self.cases(jurisdictions["LWG"], users, campaign, count=cases)
        if cases >= FEATURED_FROM:
            self.featured_cases(jurisdictions["LWG"], users, campaign)
        # The second jurisdiction gets a few cases of its own, to show that nobody sees across.
        self.cases_demo2(jurisdictions["DEMO2"], users["other_supervisor"])
        seed_disclosures(self.now, self.stdout)
        # The summaries already due (last week's, for the campaign): queued now, so the first start of the app
        # shows one on 汇总报告 and its email in var/mail/ within a minute, not after beat's first sweep.
        with transaction.atomic():
            due = request_due_summaries()
        self.say(f"  summaries due and queued: {len(due)}")
        return jurisdictions, users

    def cases_demo2(self, jurisdiction, supervisor):
        village = jurisdiction.villages.first()
        for i in range(5):
            client_uuid = uuid_for("demo2-case", i)
            if Case.objects.filter(client_uuid=client_uuid).exists():
                continue
            rng = random.Random(1000 + i)
            workflow.report_finding(
                actor=supervisor, client_uuid=client_uuid, location=random_point_in(village, rng),
                category=Category.NEW_CONSTRUCTION, stage=Stage.UNDER_CONSTRUCTION, address="试验村东头",
                description="试验数据", party_name="测试户", now=self.now - timedelta(days=i + 1),
            )


# Target states with weights: every state of DOMAIN.md, with the interesting ones well represented.
OUTCOMES = [
    ("reported", 22), ("dismissed", 8), ("withdrawn", 3), ("filed", 12), ("ordered", 34), ("public_notice", 4),
    ("ordered_overdue", 12), ("late", 5), ("notified", 6), ("hearing", 4), ("in_review", 6), ("decided", 8),
    ("closed_rectified", 60), ("closed_legalized", 10), ("closed_demolished", 5),
]
# The full demo (``cases`` ≥ FEATURED_FROM, as ``seed_demo`` makes it) always has one case of each of these, whatever
# the draw above gives: the court route (土地管理法 第78条, applied to the court), a hearing, a decision suspended by
# an appeal, a case past its 90 days without a decision, an order served by public notice not yet in force. The
# smaller demos of the tests (30, 60 cases) keep exactly their drawn cases. Their indices are far above any count of
# drawn cases, so their ids never meet.
FEATURED = ["court_pending", "hearing", "suspended", "late", "public_notice"]
FEATURED_INDEX = 100_000
FEATURED_FROM = 100


class CasePlan:
    """One demo case: its own random stream, so skipping it on a rerun changes no other case."""

    def __init__(self, index, now, outcome=None):
        self.index = index
        self.client_uuid = uuid_for("case", index)
        self.rng = random.Random(index)
        self.outcome = self.rng.choices([o for o, _ in OUTCOMES], weights=[w for _, w in OUTCOMES])[0]
        self.outcome = outcome or self.outcome
        # Each outcome starts early enough for its steps and their legal periods to fit before now; ``late`` cases
        # were filed more than 90 days ago (行政处罚法 第60条), the others less (the 办案期限 still runs or was kept).
        # The court route waits for the appeal windows (75 days) and ten days after the 催告 before applying.
        oldest = {"closed_demolished": 360, "decided": 85, "suspended": 85, "court_pending": 170, "in_review": 80, "hearing": 70, "notified": 60, "late": 140, "public_notice": 12,
                  "ordered_overdue": 60}.get(self.outcome, 100)
        youngest = {"closed_demolished": 330, "decided": 60, "suspended": 60, "court_pending": 150, "in_review": 50, "hearing": 40, "notified": 32, "late": 100, "public_notice": 5,
                    "ordered_overdue": 12, "ordered": 3, "reported": 0}.get(self.outcome, 20)
        days_ago = self.rng.uniform(youngest, oldest)
        self.now = now
        # Findings are made on patrol, in daylight.
        day = timezone.localtime(now - timedelta(days=days_ago))
        self.reported_at = min(day.replace(hour=self.rng.randint(8, 17), minute=self.rng.randint(0, 59)),
                               now - timedelta(minutes=30))

    def at(self, days, hour=None):
        """A moment ``days`` after the report, in working hours on a working day, never in the future."""
        moment = timezone.localtime(self.reported_at + timedelta(days=days))
        if hour is not None:
            moment = moment.replace(hour=hour, minute=self.rng.randint(0, 50))
        while not is_working_day(moment.date()):
            moment += timedelta(days=1)
        return min(moment, self.now - timedelta(minutes=5))

    def run(self, seeder, villages, users, campaign):
        rng = self.rng
        village = rng.choice(villages)
        point = random_point_in(village, rng)
        inspector = rng.choice([users["inspector"], users["inspector2"]])
        supervisor, legal = users["supervisor"], users["legal"]
        stage = Stage.UNDER_CONSTRUCTION if rng.random() < 0.4 else Stage.COMPLETED
        in_campaign = timezone.localdate(self.reported_at) >= campaign.starts_on
        case, _ = workflow.report_finding(
            actor=inspector, client_uuid=self.client_uuid, location=point, accuracy_m=round(rng.uniform(3, 25), 1),
            location_source=LocationSource.DEVICE_GPS if rng.random() < 0.85 else LocationSource.MAP_PICK,
            observed_at=self.reported_at - timedelta(minutes=3), category=rng.choice(Category.values),
            stage=stage, estimated_area_m2=round(rng.uniform(12, 480), 1), floors=rng.choice([1, 1, 1, 2, 2, 3]),
            structure=rng.choice(Structure.values), address=f"{village.name}{rng.choice(ADDRESSES)}",
            description=rng.choice(["未经审批擅自建设", "占用耕地建房", "院外私搭彩钢房", "在原有房屋上加盖一层",
                                    "将仓库改为经营场所", "河道管理范围内搭建构筑物"]),
            party_name=rng.choice(SURNAMES) + rng.choice(GIVEN), party_phone=f"13{rng.randint(100000000, 999999999)}",
            campaign=campaign if in_campaign else None, now=self.reported_at,
        )
        cid = case.pk
        self.photo(case, inspector, PhotoStage.BEFORE, self.reported_at, point)
        outcome = self.outcome
        if outcome == "reported":
            return
        if outcome == "dismissed":
            workflow.dismiss_case(case_id=cid, actor=supervisor, reason="not_violation",
                                  note="经核实已取得乡村建设规划许可", now=self.at(1, 10))
            return
        # 农村村民非法占地建住宅 (土地管理法 第78条) goes to the court; the rest is the township's own (城乡规划法 第65条).
        legal_basis = LegalBasis.LAND_ART78 if outcome == "court_pending" else LegalBasis.PLANNING_ART65
        workflow.file_case(case_id=cid, actor=supervisor, legal_basis=legal_basis, note="经现场核查，符合立案条件",
                           now=self.at(1, 9))
        if rng.random() < 0.3:
            workflow.assign(case_id=cid, actor=supervisor,
                            inspector=users["inspector2"] if inspector == users["inspector"] else users["inspector"],
                            now=self.at(1, 11))
        if outcome == "filed":
            return
        if outcome == "withdrawn":
            procedure.withdraw(case_id=cid, actor=supervisor, reason="经核实，该建筑已取得乡村建设规划许可，案件不成立",
                               now=self.at(2, 10))
            return
        officers = [inspector.pk, supervisor.pk]
        procedure.record_inspection(case_id=cid, actor=inspector, officers=officers, facts=case.description,
                                    refused=True, witness_name="村民委员会主任", now=self.at(1, 15))
        overdue_wanted = outcome in ("ordered_overdue", "late", "notified", "hearing", "in_review", "decided",
                                     "suspended", "court_pending")
        kind = "stop_construction_order" if stage == Stage.UNDER_CONSTRUCTION else "rectification_order"
        days = 5 if overdue_wanted else rng.choice([5, 10, 15, 30])
        ordered_at = self.at(2, 10)
        procedure.order(case_id=cid, actor=supervisor, order_kind=kind, period_days=days, now=ordered_at)
        if outcome == "public_notice":
            # The party could not be found: served by public notice, in force only 30 days after publication.
            self.serve(cid, supervisor, kind, ordered_at, public=True)
            return
        self.serve(cid, supervisor, kind, ordered_at)
        case.refresh_from_db()
        after_deadline = (case.deadline - timezone.localdate(self.reported_at)).days + 1
        if outcome == "ordered":
            if case.deadline < timezone.localdate(self.now):
                # Not meant to be overdue: the party asked for more time and got it.
                workflow.extend_deadline(case_id=cid, actor=supervisor, reason="当事人申请延期，已提交整改方案",
                                         deadline=timezone.localdate(self.now) + timedelta(days=rng.randint(3, 20)),
                                         now=self.at(after_deadline - 1, 15))
            return
        if outcome in ("closed_rectified", "closed_legalized"):
            moment = self.at(min(after_deadline - 1, 8), 14)
            if outcome == "closed_legalized":
                workflow.legalize(case_id=cid, actor=supervisor, permit_number=f"乡字第1501212026{self.index:05d}号",
                                  now=moment)
            else:
                photo = self.photo(case, inspector, PhotoStage.AFTER, moment, point)
                workflow.reinspect(case_id=cid, actor=inspector, result=ReinspectionResult.RECTIFIED,
                                   note="现场复查，违法建筑已自行拆除", photos=[photo.pk], now=moment)
            return
        workflow.reinspect(case_id=cid, actor=inspector,
                           result=rng.choice([ReinspectionResult.NOT_RECTIFIED, ReinspectionResult.PARTLY_RECTIFIED]),
                           note="期限届满，现场复查未整改到位", now=self.at(after_deadline, 10))
        if outcome in ("ordered_overdue", "late"):
            return
        notified_at = self.at(after_deadline + 2, 10)
        procedure.notify_intent(case_id=cid, actor=supervisor, facts="当事人逾期未改正，拟依法限期拆除",
                                now=notified_at)
        self.serve(cid, supervisor, "intent_notice", notified_at)
        if outcome == "notified":
            return
        if outcome == "hearing":
            procedure.request_hearing(case_id=cid, actor=supervisor, requested_on=self.at(after_deadline + 3).date(),
                                      hearing_at=self.at(after_deadline + 20, 9), hearing_place="乡政府会议室",
                                      chair=legal.pk, now=self.at(after_deadline + 3, 11))
            return
        # The party let the five working days pass without a statement or a hearing request; the review follows
        # on the first day the windows allow (they stretch over holidays such as National Day).
        review = after_deadline + 12
        waiting = procedure.review_submission_blocker(Case.objects.get(pk=cid), supervisor, self.at(review, 9))
        if waiting is not None and waiting.earliest is not None:
            review = (waiting.earliest - timezone.localdate(self.reported_at)).days + 1
        procedure.submit_review(case_id=cid, actor=supervisor, note="告知期满，当事人未陈述申辩",
                                now=self.at(review, 9))
        if outcome == "in_review":
            return
        passed = {key: {"passed": True, "remark": ""} for key in ("subject", "procedure", "facts", "law", "documents")}
        procedure.legal_approve(case_id=cid, actor=legal, checklist=passed, now=self.at(review + 1, 10))
        procedure.record_collective_discussion(case_id=cid, actor=supervisor, attendees=["乡长", "分管副乡长", "执法队长"],
                                               conclusion="同意作出限期拆除决定", now=self.at(review + 2, 15))
        decided_at = self.at(review + 3, 10)
        procedure.decide(case_id=cid, actor=supervisor, period_days=10, now=decided_at)
        self.serve(cid, supervisor, "demolition_decision", decided_at)
        if outcome == "decided":
            return
        if outcome == "suspended":
            # The party asked for 行政复议 three weeks after the decision was served: nothing is enforced meanwhile.
            filed_on = self.at((decided_at.date() - timezone.localdate(self.reported_at)).days + 21, 9)
            workflow.ACTIONS["record_appeal"].service(
                case_id=cid, actor=legal, kind=AppealKind.RECONSIDERATION, body=case.jurisdiction.reconsideration_body,
                filed_on=filed_on.date(), note="当事人不服限期拆除决定，申请行政复议",
                now=min(filed_on + timedelta(hours=5), self.now - timedelta(minutes=1)))
            return
        if outcome == "court_pending":
            self.apply_to_court(case, supervisor, decided_at)
            return
        self.enforce(case, supervisor, decided_at, point)

    def apply_to_court(self, case, supervisor, decided_at):
        """The court route after the decision: 催告 once the appeal windows closed unused, then 申请法院强制执行 ten days
        after the 催告 was served (行政强制法 第53–54条)."""
        moment = self.when_allowed(case, "issue_reminder", supervisor, decided_at)
        workflow.ACTIONS["issue_reminder"].service(case_id=case.pk, actor=supervisor, deadline_days=10, now=moment,
                                                   manner="自行拆除违法建设并恢复土地原状")
        self.serve(case.pk, supervisor, DocumentKind.REMINDER, moment)
        moment = self.when_allowed(case, "apply_to_court", supervisor, moment)
        workflow.ACTIONS["apply_to_court"].service(case_id=case.pk, actor=supervisor, now=moment,
                                                   note="当事人在法定期限内不申请复议、不提起诉讼，又不拆除")

    def enforce(self, case, supervisor, decided_at, point):
        """After the decision: its 限期拆除决定书 served, 催告, 强制拆除决定, 公告 and 强制拆除 with photos and a body-camera
        video, then 结案 — each step on the first day its blocker allows (patrol.enforcement)."""
        moment = self.when_allowed(case, "issue_reminder", supervisor, decided_at)
        workflow.ACTIONS["issue_reminder"].service(case_id=case.pk, actor=supervisor, deadline_days=10, now=moment,
                                                   manner="自行拆除违法建设并清理现场")
        self.serve(case.pk, supervisor, DocumentKind.REMINDER, moment)
        moment = self.when_allowed(case, "decide_enforcement", supervisor, moment)
        workflow.ACTIONS["decide_enforcement"].service(case_id=case.pk, actor=supervisor, now=moment,
                                                       statement_summary="当事人未提出陈述、申辩")
        self.serve(case.pk, supervisor, DocumentKind.ENFORCEMENT_DECISION, moment)
        posted = self.photo(case, supervisor, PhotoStage.NOTICE, moment, point)
        workflow.ACTIONS["announce"].service(case_id=case.pk, actor=supervisor, posted_on=moment.date(),
                                             place="村委会公告栏及违法建设现场", photo=posted.pk, deadline_days=10,
                                             now=moment)
        moment = self.when_allowed(case, "execute_demolition", supervisor, moment)
        photo = self.photo(case, supervisor, PhotoStage.DEMOLITION, moment, point)
        recording = self.video(case, supervisor, moment)
        workflow.ACTIONS["execute_demolition"].service(case_id=case.pk, actor=supervisor, now=moment,
                                                       execution="依法组织强制拆除，全程录像",
                                                       photos=[photo.pk], videos=[recording.pk])
        workflow.ACTIONS["close"].service(case_id=case.pk, actor=supervisor, now=moment + timedelta(hours=3),
                                          result="违法建设已依法强制拆除")

    def when_allowed(self, case, action, actor, after):
        """The first working-hours moment after ``after`` at which nothing blocks ``action`` (its blocker says when)."""
        spec = workflow.ACTIONS[action]
        day = timezone.localdate(after) + timedelta(days=1)
        for _ in range(400):
            moment = timezone.make_aware(datetime.combine(day, time(10, self.rng.randint(0, 50))))
            if moment > self.now:
                # A demo case's story must have happened: its plan starts it too late for this step.
                raise RuntimeError(f"{action} of {case} would be in the future ({moment:%Y-%m-%d})")
            blocker = spec.blocker(Case.objects.select_related("jurisdiction").get(pk=case.pk), actor, moment)
            if blocker is None:
                return moment
            day = max(blocker.earliest or day, day + timedelta(days=1))
        raise RuntimeError(f"{action} never became possible for {case}")

    def video(self, case, actor, moment):
        data = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + hashlib.sha256(
            f"{case.reference}-video".encode()).digest() * 2048
        upload, _created = start_upload(case_id=case.pk, actor=actor, client_uuid=uuid_for(f"video-{self.index}", 0),
                                        size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(),
                                        content_type="video/mp4", filename=f"DJI_{self.index:04d}.MP4",
                                        recorded_from=moment, recorded_to=moment + timedelta(minutes=50))
        return receive_chunk(upload_id=upload.pk, actor=actor, offset=0, length=len(data),
                             stream=io.BytesIO(data)).video
    def serve(self, case_id, supervisor, kind, moment, public=False):
        """Serve the case's latest document of ``kind`` on the day it was issued: left at the premises before a
        witness, or by public notice when the party cannot be found."""
        document = Document.objects.filter(case_id=case_id, kind=kind).order_by("-issued_at").first()
        served_at = min(moment + timedelta(hours=1), self.now - timedelta(minutes=1))
        if public:
            record_service(document_id=document.pk, actor=supervisor, method="public_notice",
                           served_on=timezone.localdate(moment), publication_place="村委会公告栏及乡政府网站",
                           failure_reason="当事人外出务工，下落不明", now=served_at)
        else:
            record_service(document_id=document.pk, actor=supervisor, method="left_at_premises",
                           served_on=timezone.localdate(moment), witness_name="村民委员会主任", now=served_at)

    def photo(self, case, actor, stage, taken_at, point):
        index = Photo.objects.filter(case=case).count()
        data = demo_photo_jpeg(case.reference, stage, seed=self.index * 10 + index)
        near = Point(point.x + self.rng.uniform(-0.0002, 0.0002), point.y + self.rng.uniform(-0.0002, 0.0002), srid=4326)
        return workflow.attach_photo(
            case_id=case.pk, actor=actor, client_uuid=uuid_for(f"photo-{self.index}", index),
            file=ContentFile(data, name="demo.jpg"), sha256=hashlib.sha256(data).hexdigest(),
            content_type="image/jpeg", size_bytes=len(data), taken_at=taken_at, stage=stage, location=near,
            accuracy_m=8.0, width=640, height=480, now=taken_at,
        )


# --- geometry helpers ---------------------------------------------------------------------------

def random_point_in(village, rng):
    boundary = village.boundary
    prepared = boundary.prepared
    xmin, ymin, xmax, ymax = boundary.extent
    while True:
        point = Point(rng.uniform(xmin, xmax), rng.uniform(ymin, ymax), srid=4326)
        if prepared.contains(point):
            return point


def random_walk(village, rng, steps):
    prepared = village.boundary.prepared
    start = random_point_in(village, rng)
    points = [(start.x, start.y)]
    heading = rng.uniform(0, 2 * math.pi)
    while len(points) < steps:
        heading += rng.uniform(-0.6, 0.6)
        step = rng.uniform(0.0004, 0.0009)
        x, y = points[-1][0] + step * math.cos(heading), points[-1][1] + step * math.sin(heading) * 0.76
        if prepared.contains(Point(x, y, srid=4326)):
            points.append((round(x, 6), round(y, 6)))
        else:
            heading += math.pi / 2
    return points


def demo_photo_jpeg(reference, stage, seed, size=(640, 480)):
    """A recognisable placeholder photo: a building whose look depends on the stage, labelled."""
    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size, (135 + rng.randint(0, 40), 180 + rng.randint(0, 30), 225))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, height * 0.62, width, height], fill=(150 + rng.randint(0, 30), 130, 90))
    left, base = rng.randint(80, 260), int(height * 0.66)
    w, h = rng.randint(160, 300), rng.randint(110, 200)
    if stage in (PhotoStage.BEFORE, PhotoStage.NOTICE):
        draw.rectangle([left, base - h, left + w, base], fill=(190, 70 + rng.randint(0, 40), 60), outline=(60, 40, 30), width=3)
        draw.polygon([(left - 10, base - h), (left + w // 2, base - h - 50), (left + w + 10, base - h)], fill=(90, 110, 140))
        for wx in range(left + 20, left + w - 30, 60):
            draw.rectangle([wx, base - h + 30, wx + 30, base - h + 70], fill=(230, 230, 200))
    elif stage == PhotoStage.AFTER:
        draw.rectangle([left, base - 12, left + w, base], fill=(120, 110, 100))
    else:
        for _ in range(40):
            x, y = rng.randint(left, left + w), rng.randint(base - 60, base)
            draw.ellipse([x, y, x + rng.randint(8, 30), y + rng.randint(6, 20)], fill=(110 + rng.randint(0, 60), 100, 90))
    if stage == PhotoStage.NOTICE:
        draw.rectangle([left + w // 3, base - h // 2 - 30, left + w // 3 + 60, base - h // 2 + 30], fill=(255, 255, 250))
    try:
        font = ImageFont.truetype(CJK_FONT, 22)
    except OSError:
        font = ImageFont.load_default()
    draw.rectangle([0, 0, width, 36], fill=(0, 0, 0))
    draw.text((10, 6), f"{reference}  {PhotoStage(stage).label}  (演示照片)", fill=(255, 255, 255), font=font)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()
