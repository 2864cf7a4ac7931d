"""After the 限期拆除决定 (patrol.enforcement): appeals, 催告, the route `self` (强制拆除决定, 公告, 强制拆除) and the
route `court` (申请法院强制执行, 裁定), and 结案 — every transition and every refusal, on a fixed clock.

The earlier steps are not what is tested here: ``decided_case`` makes the 限期拆除决定书 a decided case holds (issued,
then served by leaving it at the premises before a witness) and sets the state, as the decision step would.

The story: decision issued Tue 31 Mar 2026 and served Wed 1 Apr with ten working days to demolish.
"""
import hashlib
import io
import uuid
from datetime import date, datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from documents.choices import DocumentKind
from documents.models import Document
from documents.services import issue_document, record_service
from patrol import periods, workflow
from patrol.choices import AppealKind, AppealOutcome, CourtRuling, LegalBasis, PhotoStage, Resolution, Status
from patrol.errors import InvalidInput, InvalidTransition, NotAllowed, RuleViolation
from patrol.ledger import verify_case_chain
from patrol.models import Case
from tests.factories import finding
from videos.uploads import receive_chunk, start_upload

pytestmark = pytest.mark.django_db

S = Status
K = DocumentKind


def at(year, month, day, hour=10, minute=0):
    return timezone.make_aware(datetime(year, month, day, hour, minute))


DECIDED_AT = at(2026, 3, 31)
DECISION_SERVED = date(2026, 4, 1)
DECISION_DEADLINE = periods.deadline_from_days(DECISION_SERVED, 10)
# 城乡规划法 第65条: 60 days to ask for 复议, six months to sue (行政诉讼法 第46条): 1 Oct 2026, in the National
# Day holiday, so the last day moves to the first working day after it.
SELF_WINDOWS_END = periods.next_working_day_on_or_after(date(2026, 10, 1))
# 土地管理法 第83条: 15 days to sue; the 60 days of 复议 end Sun 31 May, moved to Mon 1 Jun.
COURT_WINDOWS_END = date(2026, 6, 1)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def fresh(case):
    return Case.objects.select_related("jurisdiction").get(pk=case.pk)


def serve(document, supervisor, served_on):
    return record_service(document_id=document.pk, actor=supervisor, method="left_at_premises", served_on=served_on,
                          witness_name="村委会主任李四", now=at(served_on.year, served_on.month, served_on.day, 16))


def decided_case(users, legal_basis=LegalBasis.PLANNING_ART65, served_on=DECISION_SERVED):
    """A case in ``decided`` with its 限期拆除决定书 (ten working days) served on ``served_on``."""
    case, _ = workflow.report_finding(actor=users["inspector"], now=at(2026, 3, 2, 9),
                                      **finding(party_name="张三", address="村东头12号"))
    workflow.file_case(case_id=case.pk, actor=users["supervisor"], legal_basis=LegalBasis.PLANNING_ART65,
                       note="符合立案条件", now=at(2026, 3, 2, 14))
    Case.objects.filter(pk=case.pk).update(status=S.DECIDED, legal_basis=legal_basis)
    with transaction.atomic():
        locked = Case.objects.select_for_update().select_related("jurisdiction").get(pk=case.pk)
        decision = issue_document(case=locked, kind=K.DEMOLITION_DECISION, content={}, actor=users["supervisor"],
                                  period_days=10, now=DECIDED_AT)
    if served_on:
        serve(decision, users["supervisor"], served_on)
    return fresh(case)


def photo(case, user, stage):
    data = b"\xff\xd8\xff\xe0" + uuid.uuid4().bytes + b"\xff\xd9"
    return workflow.attach_photo(case_id=case.pk, actor=user, client_uuid=uuid.uuid4(), file=ContentFile(data),
                                 sha256=hashlib.sha256(data).hexdigest(), content_type="image/jpeg",
                                 size_bytes=len(data), taken_at=timezone.now(), stage=stage)


def video(case, user):
    data = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + uuid.uuid4().bytes * 100
    upload, _ = start_upload(case_id=case.pk, actor=user, client_uuid=uuid.uuid4(), size_bytes=len(data),
                             sha256=hashlib.sha256(data).hexdigest(), content_type="video/mp4", filename="cam.mp4")
    return receive_chunk(upload_id=upload.pk, actor=user, offset=0, length=len(data), stream=io.BytesIO(data)).video


def act(case, service, **kwargs):
    events = case.events.count()
    result = service(case_id=case.pk, **kwargs)
    case = fresh(result)
    assert case.events.count() == events + 1
    assert verify_case_chain(case) is None
    return case, case.events.order_by("-seq").first()


def refused(case, error, service, **kwargs):
    before = fresh(case)
    with pytest.raises(error) as caught:
        service(case_id=case.pk, **kwargs)
    after = fresh(case)
    assert (after.status, after.version) == (before.status, before.version)
    return caught.value


def document_of(case, kind):
    return Document.objects.filter(case=case, kind=kind).latest("issued_at")


def blocker(case, user, action, now):
    spec = workflow.ACTIONS[action]
    return spec.blocker(fresh(case), user, timezone.localtime(now))


# --- 催告 ----------------------------------------------------------------------------------------------------

REMIND_AT = at(SELF_WINDOWS_END.year, SELF_WINDOWS_END.month, SELF_WINDOWS_END.day) + timedelta(days=1)


def reminded_case(users, legal_basis=LegalBasis.PLANNING_ART65, now=None, serve_on=None):
    case = decided_case(users, legal_basis)
    now = now or (REMIND_AT if legal_basis != LegalBasis.LAND_ART78 else at(2026, 6, 2))
    workflow.ACTIONS["issue_reminder"].service(case_id=case.pk, actor=users["supervisor"], deadline_days=10,
                                               manner="自行拆除并清理现场", now=now)
    serve(document_of(case, K.REMINDER), users["supervisor"], serve_on or timezone.localdate(now))
    return fresh(case)


def test_a_reminder_is_issued_after_the_deadline_and_the_appeal_windows_and_waits_for_its_service(users, media):
    case = decided_case(users)
    case, event = act(case, workflow.ACTIONS["issue_reminder"].service, actor=users["supervisor"], deadline_days=10,
                      manner="自行拆除", now=REMIND_AT)
    reminder = document_of(case, K.REMINDER)
    assert (event.action, event.from_status, event.to_status) == ("issue_reminder", S.DECIDED, S.REMINDED)
    assert event.payload["document"] == {"kind": K.REMINDER, "number": reminder.number, "sha256": reminder.sha256}
    # The case page shows the step with its document (the enforcement steps name their documents as an object: the
    # step line read it as a number and the page failed with a 500 on every case past its decision).
    client = Client()
    client.force_login(users["supervisor"])
    page = client.get(reverse("case", args=[case.pk]))
    assert page.status_code == 200
    assert reverse("api-document-pdf", args=[reminder.pk]) in page.content.decode()
    assert reminder.period_days == 10 and reminder.content["manner"] == "自行拆除"
    # Not yet served: the next step names it.
    later = REMIND_AT + timedelta(days=40)
    assert "尚未送达生效" in str(blocker(case, users["supervisor"], "decide_enforcement", later))


@pytest.mark.parametrize("now, words, earliest", [
    (at(2026, 4, 10), "履行期限", DECISION_DEADLINE + timedelta(days=1)),
    (at(2026, 9, 30), "复议、提起行政诉讼的期限", SELF_WINDOWS_END + timedelta(days=1)),
], ids=["decision-deadline", "appeal-windows"])
def test_a_reminder_waits_for_the_decisions_deadline_and_the_appeal_windows(users, media, now, words, earliest):
    case = decided_case(users)
    found = blocker(case, users["supervisor"], "issue_reminder", now)
    assert words in found.reason and "行政强制法" in found.reason and found.earliest == earliest
    error = refused(case, RuleViolation, workflow.ACTIONS["issue_reminder"].service, actor=users["supervisor"],
                    deadline_days=10, now=now)
    assert error.params["earliest"] == earliest


def test_a_reminder_waits_for_the_decision_to_be_served(users, media):
    case = decided_case(users, served_on=None)
    found = blocker(case, users["supervisor"], "issue_reminder", REMIND_AT)
    assert "限期拆除决定书" in found.reason and "尚未送达生效" in found.reason and found.earliest is None


def test_on_the_court_route_the_windows_are_fifteen_days_to_sue_and_sixty_for_reconsideration(users, media):
    case = decided_case(users, LegalBasis.LAND_ART78)
    assert blocker(case, users["supervisor"], "issue_reminder", at(2026, 5, 20)).earliest == COURT_WINDOWS_END + \
        timedelta(days=1)
    assert blocker(case, users["supervisor"], "issue_reminder", at(2026, 6, 2)) is None


# --- appeals ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["supervisor", "legal"])
def test_an_appeal_suspends_the_case_and_upheld_brings_it_back(users, media, role):
    case = decided_case(users)
    case, event = act(case, workflow.ACTIONS["record_appeal"].service, actor=users[role],
                      kind=AppealKind.RECONSIDERATION, body="县人民政府", filed_on=date(2026, 4, 20), now=at(2026, 4, 21))
    assert (event.from_status, event.to_status) == (S.DECIDED, S.SUSPENDED)
    # Nothing is enforced while it runs: only the outcome (and comments, assignment) may follow.
    assert "issue_reminder" not in {o.spec.name for o in workflow.action_options(case, users["supervisor"])}
    refused(case, InvalidTransition, workflow.ACTIONS["issue_reminder"].service, actor=users["supervisor"],
            deadline_days=10, now=REMIND_AT)
    refused(case, NotAllowed, workflow.ACTIONS["record_appeal_outcome"].service, actor=users["supervisor"],
            outcome=AppealOutcome.UPHELD, decided_on=date(2026, 6, 1), now=at(2026, 6, 2))
    case, event = act(case, workflow.ACTIONS["record_appeal_outcome"].service, actor=users["legal"],
                      outcome=AppealOutcome.UPHELD, decided_on=date(2026, 6, 1), reference="县政复决字第3号",
                      now=at(2026, 6, 2))
    assert (event.from_status, event.to_status) == (S.SUSPENDED, S.DECIDED)
    # After a 复议决定 the party may still sue within 15 days (行政诉讼法 第45条), not six months from service.
    assert blocker(case, users["supervisor"], "issue_reminder", at(2026, 6, 10)).earliest == date(2026, 6, 17)
    assert blocker(case, users["supervisor"], "issue_reminder", at(2026, 6, 17)) is None


def test_a_revoked_decision_closes_the_case(users, media):
    case = reminded_case(users)
    case, _ = act(case, workflow.ACTIONS["record_appeal"].service, actor=users["supervisor"],
                  kind=AppealKind.LITIGATION, body="县人民法院", filed_on=REMIND_AT.date(), now=REMIND_AT)
    case, event = act(case, workflow.ACTIONS["record_appeal_outcome"].service, actor=users["legal"],
                      outcome=AppealOutcome.REVOKED, decided_on=REMIND_AT.date(), now=REMIND_AT)
    assert (event.to_status, case.status, case.resolution) == (S.CLOSED, S.CLOSED, Resolution.REVOKED)


def test_a_changed_decision_goes_back_to_the_state_it_was_suspended_in(users, media):
    case = reminded_case(users)
    case, _ = act(case, workflow.ACTIONS["record_appeal"].service, actor=users["legal"],
                  kind=AppealKind.LITIGATION, body="县人民法院", filed_on=REMIND_AT.date(), now=REMIND_AT)
    case, event = act(case, workflow.ACTIONS["record_appeal_outcome"].service, actor=users["legal"],
                      outcome=AppealOutcome.CHANGED, decided_on=REMIND_AT.date(), now=REMIND_AT)
    assert event.to_status == S.REMINDED


def test_an_appeal_may_not_be_recorded_before_a_decision_or_by_an_inspector(users, media):
    case = decided_case(users)
    refused(case, NotAllowed, workflow.ACTIONS["record_appeal"].service, actor=users["inspector"],
            kind=AppealKind.RECONSIDERATION, body="县人民政府", filed_on=date(2026, 4, 20), now=at(2026, 4, 21))
    Case.objects.filter(pk=case.pk).update(status=S.IN_REVIEW)
    refused(case, InvalidTransition, workflow.ACTIONS["record_appeal"].service, actor=users["supervisor"],
            kind=AppealKind.RECONSIDERATION, body="县人民政府", filed_on=date(2026, 4, 20), now=at(2026, 4, 21))
    error = refused(decided_case(users), InvalidInput, workflow.ACTIONS["record_appeal"].service,
                    actor=users["supervisor"], kind=AppealKind.RECONSIDERATION, body="县人民政府",
                    filed_on=date(2026, 5, 1), now=at(2026, 4, 21))
    assert "filed_on" in error.fields


# --- route self: 强制拆除决定, 公告, 强制拆除, 结案 --------------------------------------------------------------

def reminder_deadline(case):
    document = document_of(case, K.REMINDER)
    return periods.deadline_from_days(document.services.get().effective_on, 10)


def test_the_enforcement_decision_waits_for_the_reminders_deadline_and_the_partys_statement(users, media):
    case = reminded_case(users)
    deadline = reminder_deadline(case)
    before = at(deadline.year, deadline.month, deadline.day)
    found = blocker(case, users["supervisor"], "decide_enforcement", before)
    assert "第三十七条" in found.reason and found.earliest == deadline + timedelta(days=1)
    after = before + timedelta(days=1)
    assert blocker(case, users["supervisor"], "decide_enforcement", after) is None
    case, event = act(case, workflow.ACTIONS["decide_enforcement"].service, actor=users["supervisor"],
                      manner="组织机械拆除", statement_summary="当事人未提出陈述申辩", now=after)
    assert (event.from_status, event.to_status) == (S.REMINDED, S.ENFORCEMENT_DECIDED)
    assert event.payload["document"]["number"] == document_of(case, K.ENFORCEMENT_DECISION).number


def test_a_reminder_with_a_short_deadline_still_leaves_the_party_its_statement_window(users, media, settings):
    case = decided_case(users)
    workflow.ACTIONS["issue_reminder"].service(case_id=case.pk, actor=users["supervisor"], deadline_days=1,
                                               now=REMIND_AT)
    served_on = REMIND_AT.date()
    serve(document_of(case, K.REMINDER), users["supervisor"], served_on)
    window_end = periods.end_of("statement", served_on, length=case.jurisdiction.statement_window_days)
    day_after_deadline = periods.deadline_from_days(served_on, 1) + timedelta(days=1)
    found = blocker(case, users["supervisor"], "decide_enforcement", at(day_after_deadline.year,
                                                                        day_after_deadline.month, day_after_deadline.day))
    assert "第三十六条" in found.reason and found.earliest == window_end + timedelta(days=1)


def enforcement_decided_case(users):
    case = reminded_case(users)
    after = reminder_deadline(case) + timedelta(days=1)
    now = at(after.year, after.month, after.day)
    workflow.ACTIONS["decide_enforcement"].service(case_id=case.pk, actor=users["supervisor"], now=now)
    return fresh(case), now


def test_an_announcement_needs_the_served_enforcement_decision_and_sets_the_deadline_to_demolish(users, media):
    case, now = enforcement_decided_case(users)
    assert "尚未送达生效" in str(blocker(case, users["supervisor"], "announce", now))
    serve(document_of(case, K.ENFORCEMENT_DECISION), users["supervisor"], now.date())
    posted = photo(case, users["supervisor"], PhotoStage.NOTICE)
    error = refused(case, InvalidInput, workflow.ACTIONS["announce"].service, actor=users["supervisor"],
                    posted_on=now.date() - timedelta(days=1), place="村委会公告栏", photo=posted.pk, deadline_days=10,
                    now=now)
    assert "posted_on" in error.fields
    case, event = act(case, workflow.ACTIONS["announce"].service, actor=users["supervisor"], posted_on=now.date(),
                      place="村委会公告栏及违法建设现场", photo=posted.pk, deadline_days=10, now=now)
    assert (event.from_status, event.to_status) == (S.ENFORCEMENT_DECIDED, S.ANNOUNCED)
    assert case.deadline == periods.deadline_from_days(now.date(), 10) and event.payload["photo"] == posted.sha256


def announced_case(users):
    case, now = enforcement_decided_case(users)
    serve(document_of(case, K.ENFORCEMENT_DECISION), users["supervisor"], now.date())
    workflow.ACTIONS["announce"].service(case_id=case.pk, actor=users["supervisor"], posted_on=now.date(),
                                         place="村委会公告栏", deadline_days=10, now=now,
                                         photo=photo(case, users["supervisor"], PhotoStage.NOTICE).pk)
    return fresh(case)


def working_moment_after(day, hour=10):
    day = periods.next_working_day_on_or_after(day + timedelta(days=1))
    return at(day.year, day.month, day.day, hour)


def test_forced_demolition_after_the_announcements_deadline_by_day_on_a_working_day_with_photos_and_video(users,
                                                                                                          media):
    case = announced_case(users)
    deadline = case.deadline
    found = blocker(case, users["supervisor"], "execute_demolition", at(deadline.year, deadline.month, deadline.day))
    assert "第四十四条" in found.reason and found.earliest == deadline + timedelta(days=1)
    now = working_moment_after(deadline)
    pictures = [photo(case, users["supervisor"], PhotoStage.DEMOLITION).pk]
    error = refused(case, InvalidInput, workflow.ACTIONS["execute_demolition"].service, actor=users["supervisor"],
                    execution="拆除", photos=pictures, videos=[], now=now)
    assert "videos" in error.fields
    recorded = video(case, users["inspector"])
    case, event = act(case, workflow.ACTIONS["execute_demolition"].service, actor=users["supervisor"],
                      execution="依法组织拆除，现场无人员伤亡", photos=pictures, videos=[recorded.pk], now=now)
    assert (event.from_status, event.to_status) == (S.ANNOUNCED, S.EXECUTED)
    assert event.payload["videos"] == [recorded.sha256]
    record = document_of(case, K.EXECUTION_RECORD)
    assert record.content["videos"] == [{"name": "cam.mp4", "sha256": recorded.sha256}]
    case, event = act(case, workflow.ACTIONS["close"].service, actor=users["supervisor"], result="违法建设已拆除",
                      now=now + timedelta(hours=2))
    assert (event.to_status, case.resolution) == (S.CLOSED, Resolution.FORCIBLY_DEMOLISHED)
    assert document_of(case, K.CLOSING_APPROVAL).content["execution"] == "依法组织拆除，现场无人员伤亡"


def test_the_closing_approval_of_a_supervisor_using_english_still_names_the_resolution_in_chinese(users, media):
    # Outside testing: the 结案审批表's 结案方式 was the label in the closing user's language ("Forced demolition").
    case = announced_case(users)
    now = working_moment_after(case.deadline)
    act(case, workflow.ACTIONS["execute_demolition"].service, actor=users["supervisor"], execution="依法组织拆除",
        photos=[photo(case, users["supervisor"], PhotoStage.DEMOLITION).pk],
        videos=[video(case, users["inspector"]).pk], now=now)
    with translation.override("en"):
        act(fresh(case), workflow.ACTIONS["close"].service, actor=users["supervisor"], result="违法建设已拆除",
            now=now + timedelta(hours=2))
    assert document_of(case, K.CLOSING_APPROVAL).content["resolution"] == "强制拆除"


@pytest.mark.parametrize("moment, words, earliest", [
    (lambda d: at(d.year, d.month, d.day, 20), "夜间", lambda d: periods.next_working_day_on_or_after(
        d + timedelta(days=1))),
    (lambda d: at(d.year, d.month, d.day, 6), "夜间", lambda d: d),
    # Sat 19 Sep 2026 is a rest day; Sun 20 Sep is worked (调休 for the Mid-Autumn and National Day holidays).
    (lambda d: at(2026, 9, 19), "节假日", lambda d: date(2026, 9, 20)),
    (lambda d: at(2026, 10, 2), "节假日", lambda d: periods.next_working_day_on_or_after(date(2026, 10, 3))),
], ids=["evening", "early-morning", "saturday", "national-day"])
def test_no_forced_demolition_at_night_or_on_a_rest_day_or_holiday(users, media, moment, words, earliest):
    case = announced_case(users)
    day = periods.next_working_day_on_or_after(case.deadline + timedelta(days=1))
    now = moment(day)
    if now.date() <= case.deadline:  # the rest-day examples need the announcement's deadline behind them
        Case.objects.filter(pk=case.pk).update(deadline=now.date() - timedelta(days=1))
    found = blocker(case, users["supervisor"], "execute_demolition", now)
    assert words in found.reason and "第四十三条" in found.reason and found.earliest == earliest(day)


def test_the_route_self_steps_are_not_offered_on_the_court_route_and_the_reverse(users, media):
    court = reminded_case(users, LegalBasis.LAND_ART78)
    options = {o.spec.name: o for o in workflow.action_options(court, users["supervisor"])}
    # Listed (an action of the state), never available, with the reason the refusal gives.
    assert "apply_to_court" in options and not options["decide_enforcement"].available
    assert "人民法院" in options["decide_enforcement"].blocker.reason
    error = refused(court, InvalidTransition, workflow.ACTIONS["decide_enforcement"].service,
                    actor=users["supervisor"], now=at(2026, 9, 1))
    assert "人民法院" in str(error.message)
    own = reminded_case(users)
    options = {o.spec.name: o for o in workflow.action_options(own, users["supervisor"])}
    assert "decide_enforcement" in options and not options["apply_to_court"].available
    assert "自行强制执行" in options["apply_to_court"].blocker.reason


def test_only_a_supervisor_takes_the_enforcement_steps(users, media):
    case = reminded_case(users)
    after = reminder_deadline(case) + timedelta(days=1)
    for role in ("inspector", "legal"):
        refused(case, NotAllowed, workflow.ACTIONS["decide_enforcement"].service, actor=users[role],
                now=at(after.year, after.month, after.day))


# --- route court ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("now, words, earliest", [
    # 催告书 served Wed 3 Jun: ten working days end Wed 17 Jun (Dragon Boat Festival Fri 19 Jun is later).
    (at(2026, 6, 10), "十日后", periods.clock("reminder_wait", date(2026, 6, 3)).first_day_after),
    # three months after the windows ended on 1 Jun: the last day is 1 Sep.
    (at(2026, 9, 2), "期限已于", None),
], ids=["ten-days-after-the-reminder", "three-months-after-the-windows"])
def test_the_court_is_applied_to_ten_days_after_the_reminder_and_within_three_months(users, media, now, words,
                                                                                   earliest):
    case = reminded_case(users, LegalBasis.LAND_ART78, now=at(2026, 6, 2), serve_on=date(2026, 6, 3))
    found = blocker(case, users["supervisor"], "apply_to_court", now)
    assert words in found.reason and "行政强制法" in found.reason and found.earliest == earliest
    refused(case, RuleViolation, workflow.ACTIONS["apply_to_court"].service, actor=users["supervisor"], now=now)


def court_pending_case(users):
    case = reminded_case(users, LegalBasis.LAND_ART78, now=at(2026, 6, 2), serve_on=date(2026, 6, 3))
    case, event = act(case, workflow.ACTIONS["apply_to_court"].service, actor=users["supervisor"],
                      court="某县人民法院", now=at(2026, 7, 1))
    assert (event.from_status, event.to_status) == (S.REMINDED, S.COURT_PENDING)
    assert document_of(case, K.COURT_ENFORCEMENT_APPLICATION).content["court"] == "某县人民法院"
    return case


def test_a_granted_ruling_leads_to_the_demolition_and_a_refused_one_closes_the_case(users, media):
    case = court_pending_case(users)
    refused(case, NotAllowed, workflow.ACTIONS["record_court_ruling"].service, actor=users["supervisor"],
            ruling=CourtRuling.GRANTED, ruling_number="（2026）某行审字第5号", ruled_on=date(2026, 7, 20),
            now=at(2026, 7, 21))
    case, event = act(case, workflow.ACTIONS["record_court_ruling"].service, actor=users["legal"],
                      ruling=CourtRuling.GRANTED, ruling_number="（2026）某行审字第5号", ruled_on=date(2026, 7, 20),
                      now=at(2026, 7, 21))
    assert event.to_status == S.COURT_GRANTED
    now = at(2026, 7, 22)
    assert blocker(case, users["supervisor"], "execute_demolition", now) is None
    case, event = act(case, workflow.ACTIONS["execute_demolition"].service, actor=users["supervisor"],
                      execution="法院准予执行后依法拆除", now=now,
                      photos=[photo(case, users["supervisor"], PhotoStage.DEMOLITION).pk],
                      videos=[video(case, users["supervisor"]).pk])
    assert (event.from_status, event.to_status) == (S.COURT_GRANTED, S.EXECUTED)

    refused_case = court_pending_case(users)
    refused_case, event = act(refused_case, workflow.ACTIONS["record_court_ruling"].service, actor=users["legal"],
                              ruling=CourtRuling.REFUSED, ruling_number="（2026）某行审字第6号",
                              ruled_on=date(2026, 7, 20), now=at(2026, 7, 21))
    assert (refused_case.status, refused_case.resolution) == (S.CLOSED, Resolution.COURT_REFUSED)
