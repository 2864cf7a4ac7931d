"""The statutory procedure before the decision (patrol.procedure): 立案 under a legal basis, on-site records with
two officers, the order whose deadline runs from effective service, withdrawal, the 办案期限 and ``late``, and the
case's legal clocks. The clock is the services' ``now=``: a story that starts on Monday 2 March 2026.
"""
import hashlib
from datetime import date, datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from rest_framework.test import APIClient

from documents.choices import DocumentKind
from documents.services import record_service
from patrol import periods, procedure, workflow
from patrol.choices import Resolution, Status
from patrol.errors import InvalidInput, InvalidTransition, RuleViolation
from patrol.ledger import verify_case_chain
from patrol.models import Case
from tests.factories import finding

pytestmark = pytest.mark.django_db


def at(year, month, day, hour=10):
    return timezone.make_aware(datetime(year, month, day, hour))


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def reported(users):
    case, _ = workflow.report_finding(actor=users["inspector"], now=at(2026, 3, 2, 9), **finding())
    return case


def filed(users, now=None):
    case = reported(users)
    return workflow.file_case(case_id=case.pk, actor=users["supervisor"], legal_basis="planning_art65",
                              note="符合立案条件", now=now or at(2026, 3, 2, 14))


def inspected(users, now=None):
    case = filed(users)
    return procedure.record_inspection(
        case_id=case.pk, actor=users["inspector"], officers=[users["inspector"].pk, users["supervisor"].pk],
        facts="院外在建彩钢房一处，约40平方米", refused=True, witness_name="村委会主任王某", now=now or at(2026, 3, 3, 9))


def ordered(users, days=5):
    case = inspected(users)
    return procedure.order(case_id=case.pk, actor=users["supervisor"], order_kind="rectification_order",
                           period_days=days, now=at(2026, 3, 3, 10))


def last_event(case):
    return case.events.order_by("-seq").first()


# --- 立案 ---------------------------------------------------------------------------------------------------------

def test_filing_takes_a_legal_basis_issues_the_filing_form_and_starts_the_90_days(users):
    case = filed(users)
    assert (case.status, case.legal_basis, case.route) == (Status.FILED, "planning_art65", "self")
    # 90 calendar days from 2 March: 31 May 2026, a Sunday, so the period ends on Monday 1 June.
    assert case.decision_due == date(2026, 6, 1)
    document = case.documents.get()
    assert document.kind == DocumentKind.FILING_APPROVAL
    event = last_event(case)
    assert event.payload["document"] == document.number and event.payload["document_sha256"] == document.sha256
    assert verify_case_chain(case) is None


def test_filing_under_a_basis_the_jurisdiction_may_not_use_is_refused(users):
    case = reported(users)
    with pytest.raises(InvalidInput) as error:
        workflow.file_case(case_id=case.pk, actor=users["supervisor"], legal_basis="land_art78", note="立案")
    assert "legal_basis" in error.value.fields
    assert Case.objects.get(pk=case.pk).status == Status.REPORTED


# --- on-site records: two officers (行政处罚法 第42条) --------------------------------------------------------------

def test_an_inspection_record_names_two_officers_and_is_issued_as_a_document(users):
    case = inspected(users)
    record = case.documents.get(kind=DocumentKind.INSPECTION_RECORD)
    assert {o["certificate"] for o in record.content["officers"]} == {
        users["inspector"].certificate_number, users["supervisor"].certificate_number}
    event = last_event(case)
    assert (event.action, event.from_status, event.to_status) == ("record_inspection", Status.FILED, Status.FILED)
    assert event.payload["document_sha256"] == record.sha256 and event.payload["refused"] is True


def test_an_inspection_with_one_officer_is_refused_naming_article_42(users):
    case = filed(users)
    with pytest.raises(RuleViolation) as error:
        procedure.record_inspection(case_id=case.pk, actor=users["inspector"], officers=[users["inspector"].pk],
                                    facts="现场检查", party_present=False)
    assert "第42条" in str(error.value)
    assert not case.documents.filter(kind=DocumentKind.INSPECTION_RECORD).exists()


def test_an_inspection_with_an_expired_certificate_is_refused(users):
    users["inspector2"].certificate_valid_until = date(2026, 1, 31)
    users["inspector2"].save()
    case = filed(users)
    with pytest.raises(RuleViolation) as error:
        procedure.record_inspection(case_id=case.pk, actor=users["inspector"],
                                    officers=[users["inspector"].pk, users["inspector2"].pk], facts="现场检查",
                                    party_present=False, now=at(2026, 3, 3))
    assert "第42条" in str(error.value) and users["inspector2"].certificate_number in str(error.value.fields)


def test_a_present_party_must_sign_or_refuse_before_a_witness(users):
    case = filed(users)
    with pytest.raises(InvalidInput) as error:
        procedure.record_inspection(case_id=case.pk, actor=users["inspector"],
                                    officers=[users["inspector"].pk, users["supervisor"].pk], facts="现场检查",
                                    refused=True, witness_name="")
    assert "party_signature" in error.value.fields


def test_an_interview_records_questions_and_answers(users):
    case = filed(users)
    case = procedure.record_interview(
        case_id=case.pk, actor=users["supervisor"], officers=[users["inspector"].pk, users["supervisor"].pk],
        interviewee="张三", questions=[{"q": "是否取得规划许可？", "a": "没有"}], party_present=False,
        now=at(2026, 3, 3))
    record = case.documents.get(kind=DocumentKind.INTERVIEW_RECORD)
    assert record.content["questions"] == [{"q": "是否取得规划许可？", "a": "没有"}]
    assert last_event(case).payload["document"] == record.number


# --- the order: deadline from effective service ------------------------------------------------------------------

def test_an_order_needs_an_on_site_record_first(users):
    case = filed(users)
    with pytest.raises(RuleViolation) as error:
        procedure.order(case_id=case.pk, actor=users["supervisor"], order_kind="rectification_order", period_days=5)
    assert "第54、55条" in str(error.value)


def test_an_order_deadline_runs_from_effective_service_in_working_days(users):
    case = ordered(users, days=5)
    assert case.status == Status.ORDERED and case.deadline is None  # not served yet: nothing runs
    document = case.documents.get(kind=DocumentKind.RECTIFICATION_ORDER)
    assert document.period_days == 5 and last_event(case).payload["document_sha256"] == document.sha256
    record_service(document_id=document.pk, actor=users["supervisor"], method="left_at_premises",
                   served_on=date(2026, 3, 4), witness_name="村委会主任王某", now=at(2026, 3, 4, 15))
    case.refresh_from_db()
    # Five working days after Wednesday 4 March: Wednesday 11 March.
    assert case.deadline == date(2026, 3, 11) == periods.deadline_from_days(date(2026, 3, 4), 5)
    assert verify_case_chain(case) is None


def test_an_order_served_by_public_notice_runs_only_after_its_30_days(users):
    case = ordered(users, days=5)
    document = case.documents.get(kind=DocumentKind.RECTIFICATION_ORDER)
    record_service(document_id=document.pk, actor=users["supervisor"], method="public_notice",
                   served_on=date(2026, 3, 4), publication_place="村委会公告栏", failure_reason="当事人下落不明",
                   now=at(2026, 3, 4, 15))
    case.refresh_from_db()
    effective = periods.end_of("public_notice_service", date(2026, 3, 4))
    assert effective == date(2026, 4, 3)
    assert case.deadline == periods.deadline_from_days(effective, 5)
    blocker = procedure.not_served(document, date(2026, 3, 20))
    assert "尚未有效送达" in str(blocker) and blocker.earliest == effective
    assert procedure.not_served(document, effective) is None


# --- withdrawal, the 办案期限 and late ------------------------------------------------------------------------------

def test_withdrawing_an_ordered_case_dismisses_it_as_withdrawn(users):
    case = procedure.withdraw(case_id=ordered(users).pk, actor=users["supervisor"], reason="案件不成立",
                              now=at(2026, 3, 5))
    assert (case.status, case.resolution) == (Status.DISMISSED, Resolution.WITHDRAWN)


def test_a_case_is_late_after_its_90_days_until_the_period_is_extended(users, jurisdiction):
    today = timezone.localdate()
    case = filed(users, now=timezone.now() - timedelta(days=120))
    assert Case.objects.late().filter(pk=case.pk).exists() and case.late
    supervisor = APIClient()
    supervisor.force_authenticate(users["supervisor"])
    assert [c["id"] for c in supervisor.get("/api/v1/cases/?late=true").json()["results"]] == [case.pk]
    assert supervisor.get("/api/v1/map/kpis/").json()["late"] == 1
    procedure.extend_case_period(case_id=case.pk, actor=users["supervisor"], new_end=today + timedelta(days=30),
                                 reason="案情复杂，经负责人批准延长")
    assert not Case.objects.late().filter(pk=case.pk).exists()
    assert supervisor.get("/api/v1/cases/?late=true").json()["count"] == 0
    assert last_event(Case.objects.get(pk=case.pk)).payload["new_end"] == (today + timedelta(days=30)).isoformat()


def test_a_shorter_case_period_is_refused(users):
    case = filed(users)
    with pytest.raises(InvalidInput):
        procedure.extend_case_period(case_id=case.pk, actor=users["supervisor"], new_end=date(2026, 5, 1),
                                     reason="x", now=at(2026, 3, 5))


# --- clocks --------------------------------------------------------------------------------------------------------

def test_the_case_detail_lists_its_running_clocks(users):
    case = filed(users, now=timezone.now() - timedelta(days=10))
    client = APIClient()
    client.force_authenticate(users["supervisor"])
    body = client.get(f"/api/v1/cases/{case.pk}/").json()
    (decision,) = body["clocks"]
    assert decision["name"] == "decision" and decision["start"] == (timezone.localdate() - timedelta(days=10)).isoformat()
    assert decision["end"] == case.decision_due.isoformat()
    assert decision["days_left"] == (case.decision_due - timezone.localdate()).days
    assert body["late"] is False and body["legal_basis"] == "planning_art65"


# --- 事先告知, the party's rights, review, decision ----------------------------------------------------------------

PASSED = {key: {"passed": True, "remark": ""} for key in ("subject", "procedure", "facts", "law", "documents")}


def serve(case, kind, on, users):
    document = case.documents.filter(kind=kind).order_by("-issued_at").first()
    record_service(document_id=document.pk, actor=users["supervisor"], method="left_at_premises", served_on=on,
                   witness_name="村委会主任王某", now=timezone.make_aware(datetime(on.year, on.month, on.day, 16)))
    return Case.objects.get(pk=case.pk)


def overdue(users):
    """Ordered on Tue 3 Mar with five working days, served Wed 4 Mar (deadline Wed 11 Mar), re-inspected Thu 12 Mar."""
    case = serve(ordered(users, days=5), DocumentKind.RECTIFICATION_ORDER, date(2026, 3, 4), users)
    workflow.reinspect(case_id=case.pk, actor=users["inspector"], result="not_rectified", note="未整改",
                       now=at(2026, 3, 12))
    return Case.objects.get(pk=case.pk)


def notified(users):
    case = procedure.notify_intent(case_id=overdue(users).pk, actor=users["supervisor"], facts="逾期未改正",
                                   now=at(2026, 3, 13))
    return serve(case, DocumentKind.INTENT_NOTICE, date(2026, 3, 13), users)  # Friday


def test_notice_of_intent_waits_for_the_order_to_be_served(users):
    case = ordered(users)
    blocker = procedure.notify_blocker(case, users["supervisor"], at(2026, 3, 20))
    assert "尚未有效送达" in str(blocker) and case.documents.get(kind=DocumentKind.RECTIFICATION_ORDER).number in str(
        blocker)


def test_notice_of_intent_states_the_rights_and_moves_the_case_to_notified(users):
    case = procedure.notify_intent(case_id=overdue(users).pk, actor=users["supervisor"], facts="逾期未改正",
                                   intended_decision="限期拆除", now=at(2026, 3, 13))
    assert case.status == Status.NOTIFIED
    notice = case.documents.get(kind=DocumentKind.INTENT_NOTICE)
    assert last_event(case).payload["document_sha256"] == notice.sha256
    assert notice.content["intended_decision"] == "限期拆除" and notice.content["hearing_days"] == 5


def test_a_hearing_request_within_five_working_days_moves_the_case_to_hearing(users):
    case = notified(users)
    # Served Friday 13 March: five working days end on Friday 20 March (第64条).
    with pytest.raises(RuleViolation) as error:
        procedure.request_hearing(case_id=case.pk, actor=users["supervisor"], requested_on=date(2026, 3, 23),
                                  hearing_at=at(2026, 4, 10), hearing_place="乡政府", chair=users["legal"].pk,
                                  now=at(2026, 3, 23))
    assert "第64条" in str(error.value) and "2026-03-20" in str(error.value)
    case = procedure.request_hearing(case_id=case.pk, actor=users["supervisor"], requested_on=date(2026, 3, 18),
                                     hearing_at=at(2026, 4, 10), hearing_place="乡政府", chair=users["legal"].pk,
                                     now=at(2026, 3, 18))
    assert case.status == Status.HEARING and case.documents.filter(kind=DocumentKind.HEARING_NOTICE).exists()


def test_a_hearing_needs_its_notice_served_seven_working_days_before_and_a_chair_who_did_not_investigate(users):
    case = procedure.request_hearing(case_id=notified(users).pk, actor=users["supervisor"],
                                     requested_on=date(2026, 3, 18), hearing_at=at(2026, 4, 10),
                                     hearing_place="乡政府", chair=users["legal"].pk, now=at(2026, 3, 18))
    assert "尚未有效送达" in str(procedure.hearing_blocker(case, users["supervisor"], at(2026, 3, 19)))
    case = serve(case, DocumentKind.HEARING_NOTICE, date(2026, 3, 19), users)  # Thursday
    with pytest.raises(RuleViolation) as error:  # seven working days after 19 March end on 30 March
        procedure.record_hearing(case_id=case.pk, actor=users["supervisor"], held_on=date(2026, 3, 30),
                                 chair=users["legal"].pk, summary="听证", now=at(2026, 3, 30, 16))
    assert "第64条" in str(error.value) and error.value.params["earliest"] == date(2026, 3, 31)
    with pytest.raises(RuleViolation) as error:  # the inspector who made the on-site record
        procedure.record_hearing(case_id=case.pk, actor=users["supervisor"], held_on=date(2026, 3, 31),
                                 chair=users["inspector"].pk, summary="听证", now=at(2026, 3, 31, 16))
    assert "非本案调查人员" in str(error.value)
    case = procedure.record_hearing(case_id=case.pk, actor=users["supervisor"], held_on=date(2026, 3, 31),
                                    chair=users["legal"].pk, summary="当事人称系自住", now=at(2026, 3, 31, 16))
    assert case.status == Status.NOTIFIED
    assert procedure.review_submission_blocker(case, users["supervisor"], at(2026, 4, 1)) is None


def test_review_waits_for_the_party_windows_unless_the_rights_are_waived(users):
    case = notified(users)
    blocker = procedure.review_submission_blocker(case, users["supervisor"], at(2026, 3, 16))
    assert "第44、64条" in str(blocker) and blocker.earliest == date(2026, 3, 21)
    photo = workflow.attach_photo(
        case_id=case.pk, actor=users["supervisor"], client_uuid="0b0c8a1e-5f0e-4d47-8a44-000000000099",
        file=ContentFile(b"waiver"), sha256=hashlib.sha256(b"waiver").hexdigest(), content_type="image/jpeg", size_bytes=6,
        taken_at=at(2026, 3, 16), stage="notice", now=at(2026, 3, 16))
    procedure.waive_rights(case_id=case.pk, actor=users["supervisor"], waiver_photo=photo.pk, now=at(2026, 3, 16))
    case = procedure.submit_review(case_id=case.pk, actor=users["supervisor"], now=at(2026, 3, 16, 11))
    assert case.status == Status.IN_REVIEW


def test_a_statement_records_each_point_and_whether_it_was_adopted(users):
    case = procedure.record_statement(case_id=notified(users).pk, actor=users["legal"], statement="房屋系自住",
                                      points=[{"point": "自住", "adopted": False, "reason": "不影响违法性质"}],
                                      now=at(2026, 3, 16))
    record = case.documents.get(kind=DocumentKind.STATEMENT_RECORD)
    assert record.content["points"][0]["adopted"] is False and last_event(case).payload["points"][0]["reason"]


def in_review(users):
    case = notified(users)
    return procedure.submit_review(case_id=case.pk, actor=users["supervisor"], now=at(2026, 3, 23))


def test_the_decision_needs_approval_a_collective_discussion_and_the_90_days(users):
    case = in_review(users)
    with pytest.raises(InvalidTransition) as error:
        procedure.decide(case_id=case.pk, actor=users["supervisor"], period_days=10, now=at(2026, 3, 24))
    assert "第58条" in str(error.value)
    procedure.legal_approve(case_id=case.pk, actor=users["legal"], checklist=PASSED, now=at(2026, 3, 24))
    with pytest.raises(RuleViolation) as error:
        procedure.decide(case_id=case.pk, actor=users["supervisor"], period_days=10, now=at(2026, 3, 24))
    assert "第57条" in str(error.value)
    procedure.record_collective_discussion(case_id=case.pk, actor=users["supervisor"],
                                           attendees=["乡长", "副乡长", "队长"], conclusion="同意", now=at(2026, 3, 25))
    with pytest.raises(RuleViolation) as error:  # filed 2 March: the 办案期限 ended on 1 June
        procedure.decide(case_id=case.pk, actor=users["supervisor"], period_days=10, now=at(2026, 6, 2))
    assert "第60条" in str(error.value)
    case = procedure.decide(case_id=case.pk, actor=users["supervisor"], period_days=10, now=at(2026, 3, 26))
    decision = case.documents.get(kind=DocumentKind.DEMOLITION_DECISION)
    assert case.status == Status.DECIDED and last_event(case).payload["decision_number"] == decision.number
    case = serve(case, DocumentKind.DEMOLITION_DECISION, date(2026, 3, 27), users)
    assert case.deadline == periods.deadline_from_days(date(2026, 3, 27), 10)
    assert verify_case_chain(case) is None


def test_a_rejection_sends_the_case_back_to_the_party_rights(users):
    case = in_review(users)
    checklist = {**PASSED, "procedure": {"passed": False, "remark": "告知书送达回证缺签名"}}
    case = procedure.legal_reject(case_id=case.pk, actor=users["legal"], checklist=checklist, reason="程序瑕疵",
                                  back_to=Status.NOTIFIED, now=at(2026, 3, 24))
    assert case.status == Status.NOTIFIED
    opinion = case.documents.get(kind=DocumentKind.LEGAL_REVIEW_OPINION)
    assert [i for i in opinion.content["checklist"] if not i["passed"]][0]["remark"] == "告知书送达回证缺签名"
