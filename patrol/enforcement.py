"""After the 限期拆除决定: appeals, 催告, the enforcement decision and its 公告 (route ``self``) or the application
to the court (route ``court``), the demolition and 结案 (DOMAIN.md, "The statutory procedure").

One service per action, as in patrol.workflow, whose registry (``ACTIONS``) names them with their blockers. Each
blocker says why the step may not be taken now, naming the article, and the earliest day when time is the reason.
Every period runs from the *effective* service of the document it depends on (documents.selectors.effective_on);
until that document is effectively served, the step that waits on it is blocked with that reason.

This module is imported by patrol.workflow for its registry, so it imports workflow as a module and uses its
helpers at call time.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from documents.choices import DocumentKind
from documents.models import Document
from documents.selectors import deadline_on, effective_on
from documents.services import issue_document
from patrol import periods
from patrol import workflow as wf
from patrol.choices import (
    LEGAL_BASIS_RULES,
    AppealKind,
    AppealOutcome,
    CourtRuling,
    EnforcementRoute,
    LegalBasis,
    PhotoStage,
    Resolution,
    Status,
)
from patrol.errors import InvalidInput, RuleViolation
from videos.models import Video

K = DocumentKind
S = Status

# The states in which a 复议 or 诉讼 may be recorded: a decision exists and is not yet carried out (DOMAIN.md).
APPEALABLE = frozenset({S.DECIDED, S.REMINDED, S.ENFORCEMENT_DECIDED, S.ANNOUNCED})


def _iso(day):
    return day.isoformat() if day else None


# --- what the record says: documents and their effective service --------------------------------------------

def latest_document(case, kind):
    """The case's latest document of ``kind`` with its services (for effective_on), or None."""
    return (Document.objects.filter(case=case, kind=kind).prefetch_related("services")
            .order_by("-issued_at", "-pk").first())


@dataclass(frozen=True)
class Served:
    """A document and the day it took effect on the party (None while no service has taken effect)."""

    document: Document | None
    on: date | None

    @property
    def deadline(self):
        return deadline_on(self.document, self.on) if self.document is not None and self.on else None


def served(case, kind):
    document = latest_document(case, kind)
    return Served(document, effective_on(document) if document is not None else None)


def _not_served(kind):
    return wf.Blocker(_("《%(document)s》尚未送达生效：送达后才开始计算期限") % {"document": K(kind).label})


def _last_event(case, action, after=None):
    events = case.events.filter(action=action)
    if after is not None:
        events = events.filter(created_at__gte=after)
    return events.order_by("-seq").first()


def appeal_windows_end(case, decision_served_on):
    """The last day the party may still challenge the 限期拆除决定: the later of the 复议 window (60 days) and the
    time to sue (6 months, or 15 days under 土地管理法 第83条), from effective service of the decision.

    When an appeal was decided and the decision stands, the windows are over the day its outcome was recorded,
    except that after a 复议 the party may still sue within 15 days (行政诉讼法 第45条).
    """
    rule = LEGAL_BASIS_RULES[case.legal_basis or LegalBasis.PLANNING_ART65]
    end = max(periods.end_of("reconsideration", decision_served_on),
              periods.end_of(rule.litigation_period, decision_served_on))
    outcome = _last_event(case, "record_appeal_outcome")
    if outcome is not None:
        decided_on = date.fromisoformat(outcome.payload["decided_on"])
        if outcome.payload.get("kind") == AppealKind.RECONSIDERATION:
            end = periods.end_of("litigation_after_reconsideration", decided_on)
        else:
            end = decided_on
    return end


# --- blockers -----------------------------------------------------------------------------------------------

def reminder_blocker(case, user, now):
    """催告 (行政强制法 第35条) only after the decision's deadline and the appeal windows passed unused."""
    today = now.date()
    decision = served(case, K.DEMOLITION_DECISION)
    if decision.document is None:
        return wf.Blocker(_("尚无限期拆除决定书，不能催告（行政强制法第三十五条）"))
    if decision.on is None:
        return _not_served(K.DEMOLITION_DECISION)
    deadline = decision.deadline
    if deadline is not None and today <= deadline:
        return wf.Blocker(_("限期拆除决定的履行期限至 %(date)s 届满，届满前不得催告（行政强制法第三十五条）") % {
            "date": _iso(deadline)}, deadline + timedelta(days=1))
    windows_end = appeal_windows_end(case, decision.on)
    if today <= windows_end:
        return wf.Blocker(_("当事人申请行政复议、提起行政诉讼的期限至 %(date)s 届满，届满前不得催告和强制执行"
                            "（行政强制法第四十四条、第五十三条）") % {"date": _iso(windows_end)},
                          windows_end + timedelta(days=1))
    return None


def _reminder_waits(case, today, article):
    """What keeps a step after the 催告 waiting: its service, its deadline, and the party's statement (第36条)."""
    reminder = served(case, K.REMINDER)
    if reminder.document is None:
        return None, wf.Blocker(_("尚未催告（行政强制法第三十五条）"))
    if reminder.on is None:
        return reminder, _not_served(K.REMINDER)
    deadline = reminder.deadline
    if deadline is not None and today <= deadline:
        return reminder, wf.Blocker(_("催告书的履行期限至 %(date)s 届满，届满前不得%(step)s（%(article)s）") % {
            "date": _iso(deadline), "step": article[0], "article": article[1]}, deadline + timedelta(days=1))
    return reminder, None


def enforcement_decision_blocker(case, user, now):
    """强制拆除决定 (第37条) after the 催告's deadline, once the party could be heard (第36条)."""
    today = now.date()
    reminder, blocker = _reminder_waits(case, today, (_("作出强制执行决定"), _("行政强制法第三十七条")))
    if blocker:
        return blocker
    statement = _last_event(case, "record_statement", after=reminder.document.issued_at)
    if statement is None:
        window_end = periods.end_of("statement", reminder.on, length=case.jurisdiction.statement_window_days)
        if today <= window_end:
            return wf.Blocker(_("当事人陈述、申辩的期限至 %(date)s 届满；期满前须听取并记录其陈述申辩后才能作出"
                                "强制执行决定（行政强制法第三十六条）") % {"date": _iso(window_end)},
                              window_end + timedelta(days=1))
    return None


def announcement_blocker(case, user, now):
    """公告 (第44条) of a decision that reached the party."""
    decision = served(case, K.ENFORCEMENT_DECISION)
    if decision.document is None:
        return wf.Blocker(_("尚无强制拆除决定书（行政强制法第三十七条）"))
    if decision.on is None:
        return _not_served(K.ENFORCEMENT_DECISION)
    return None


def court_application_blocker(case, user, now):
    """申请法院强制执行: ten days after the 催告 was served (第54条), within three months of the end of the appeal
    windows (第53条)."""
    today = now.date()
    reminder = served(case, K.REMINDER)
    if reminder.document is None:
        return wf.Blocker(_("尚未催告（行政强制法第五十四条）"))
    if reminder.on is None:
        return _not_served(K.REMINDER)
    wait = periods.clock("reminder_wait", reminder.on)
    if not wait.is_over(today):
        return wf.Blocker(_("催告书送达十日后才能申请人民法院强制执行，最早 %(date)s（行政强制法第五十四条）") % {
            "date": _iso(wait.first_day_after)}, wait.first_day_after)
    decision = served(case, K.DEMOLITION_DECISION)
    if decision.on is None:
        return _not_served(K.DEMOLITION_DECISION)
    windows_end = appeal_windows_end(case, decision.on)
    if today <= windows_end:
        return wf.Blocker(_("当事人申请行政复议、提起行政诉讼的期限至 %(date)s 届满，届满后才能申请人民法院强制执行"
                            "（行政强制法第五十三条）") % {"date": _iso(windows_end)}, windows_end + timedelta(days=1))
    application = periods.clock("court_application", windows_end)
    if application.is_over(today):
        return wf.Blocker(_("申请人民法院强制执行的期限已于 %(date)s 届满（行政强制法第五十三条）") % {
            "date": _iso(application.end)})
    return None


def demolition_blocker(case, user, now):
    """强制拆除: after the 公告's deadline (route self) or the court's ruling (route court); never at night or on a
    rest day or holiday (行政强制法 第43条)."""
    today = now.date()
    if case.status == S.ANNOUNCED and case.deadline is not None and today <= case.deadline:
        return wf.Blocker(_("公告限期自行拆除的期限至 %(date)s 届满，届满前不得强制拆除（行政强制法第四十四条）") % {
            "date": _iso(case.deadline)}, case.deadline + timedelta(days=1))
    jurisdiction = case.jurisdiction
    if not periods.is_working_day(today):
        return wf.Blocker(_("法定节假日和休息日不得实施强制执行（行政强制法第四十三条）"),
                          periods.next_working_day_on_or_after(today + timedelta(days=1)))
    starts, ends = jurisdiction.enforcement_day_starts, jurisdiction.enforcement_day_ends
    if not (starts <= now.time() < ends):
        too_early = now.time() < starts
        return wf.Blocker(_("夜间不得实施强制执行（允许时段 %(start)s–%(end)s，行政强制法第四十三条）") % {
            "start": starts.strftime("%H:%M"), "end": ends.strftime("%H:%M")},
            today if too_early else periods.next_working_day_on_or_after(today + timedelta(days=1)))
    return None


def _route(case):
    """The case's enforcement route; a case filed before legal bases existed counts as 城乡规划法 第65条, as the
    periods do (patrol.periods.running_clocks)."""
    return LEGAL_BASIS_RULES[case.legal_basis or LegalBasis.PLANNING_ART65].route


def route_self(case):
    if _route(case) != EnforcementRoute.SELF:
        return _("本案依法应申请人民法院强制执行（%(basis)s），行政机关不能自行强制拆除") % {
            "basis": case.get_legal_basis_display() or "—"}
    return None


def route_court(case):
    if _route(case) != EnforcementRoute.COURT:
        return _("本案由行政机关依法自行强制执行（%(basis)s），不申请人民法院强制执行") % {
            "basis": case.get_legal_basis_display() or "—"}
    return None


# --- the services -------------------------------------------------------------------------------------------

def _document_payload(document):
    return {"document": {"kind": document.kind, "number": document.number, "sha256": document.sha256}}


def _not_after_today(day, field, now):
    if day > timezone.localdate(now):
        raise InvalidInput(fields={field: [_("日期不能晚于今天")]})


def record_appeal(*, case_id, actor, kind, body, filed_on, note="", expected_version=None, location=None, now=None):
    """复议/诉讼: the party challenged the decision; nothing may be enforced while it runs (行政强制法 第39、44条)."""
    wf._require(body, "body")
    now = now or timezone.now()
    _not_after_today(filed_on, "filed_on", now)
    with wf._acting("record_appeal", case_id=case_id, actor=actor, expected_version=expected_version,
                    now=now) as case:
        before = case.status
        case.status = S.SUSPENDED
        wf._save_and_record(case, actor=actor, action="record_appeal", from_status=before, note=note,
                            location=location, now=now,
                            payload={"kind": kind, "body": body, "filed_on": filed_on.isoformat(),
                                     "resume_status": before})
        return case


def record_appeal_outcome(*, case_id, actor, outcome, decided_on, reference="", note="", expected_version=None,
                          location=None, now=None):
    """The 复议决定 or the judgment: the decision stands (upheld, changed) and the case goes back to where it was,
    or it was revoked and the case ends (``revoked``)."""
    now = now or timezone.now()
    _not_after_today(decided_on, "decided_on", now)
    with wf._acting("record_appeal_outcome", case_id=case_id, actor=actor, expected_version=expected_version,
                    now=now) as case:
        appeal = _last_event(case, "record_appeal")
        if appeal is None:  # only a case suspended before #13 (by a comment) has none
            raise RuleViolation(_("没有登记的复议或诉讼"))
        if decided_on < date.fromisoformat(appeal.payload["filed_on"]):
            raise InvalidInput(fields={"decided_on": [_("结果日期不能早于申请日期")]})
        before, fields = case.status, []
        if outcome == AppealOutcome.REVOKED:
            case.status, case.resolution, case.closed_at = S.CLOSED, Resolution.REVOKED, now
            fields = ["resolution", "closed_at"]
        else:
            case.status = appeal.payload["resume_status"]
        wf._save_and_record(case, actor=actor, action="record_appeal_outcome", from_status=before, note=note,
                            location=location, now=now,
                            payload={"outcome": outcome, "kind": appeal.payload["kind"],
                                     "decided_on": decided_on.isoformat(), "reference": reference},
                            fields=fields)
        return case


def issue_reminder(*, case_id, actor, deadline_days, manner="", note="", expected_version=None, location=None,
                   now=None):
    """催告 (行政强制法 第35条): in writing, with the deadline, how to comply, and the right to 陈述申辩; it must then
    be served (POST /api/v1/documents/{id}/services/), and its deadline runs from effective service."""
    with wf._acting("issue_reminder", case_id=case_id, actor=actor, expected_version=expected_version,
                    now=now) as case:
        document = issue_document(case=case, kind=K.REMINDER, actor=actor, period_days=deadline_days, now=now,
                                  content={"manner": manner})
        before = case.status
        case.status, case.deadline = S.REMINDED, None  # known once the 催告书 is served
        wf._save_and_record(case, actor=actor, action="issue_reminder", from_status=before, note=note,
                            location=location, now=now, fields=["deadline"],
                            payload={**_document_payload(document), "deadline_days": deadline_days,
                                     "manner": manner})
        return case


def decide_enforcement(*, case_id, actor, manner="", execution_from=None, statement_summary="", note="",
                       expected_version=None, location=None, now=None):
    """强制拆除决定 (行政强制法 第37条), route self; served like the 催告书."""
    now = now or timezone.now()
    if execution_from is not None and execution_from < timezone.localdate(now):
        raise InvalidInput(fields={"execution_from": [_("执行日期不能早于今天")]})
    with wf._acting("decide_enforcement", case_id=case_id, actor=actor, expected_version=expected_version,
                    now=now) as case:
        document = issue_document(case=case, kind=K.ENFORCEMENT_DECISION, actor=actor, now=now, content={
            "manner": manner, "execution_from": _iso(execution_from), "statement_summary": statement_summary})
        before = case.status
        case.status = S.ENFORCEMENT_DECIDED
        wf._save_and_record(case, actor=actor, action="decide_enforcement", from_status=before, note=note,
                            location=location, now=now, payload=_document_payload(document))
        return case


def announce(*, case_id, actor, posted_on, place, photo, deadline_days, note="", expected_version=None,
             location=None, now=None):
    """强制拆除公告 (行政强制法 第44条): posted where the building stands, with a deadline to demolish voluntarily."""
    wf._require(place, "place")
    now = now or timezone.now()
    _not_after_today(posted_on, "posted_on", now)
    with wf._acting("announce", case_id=case_id, actor=actor, expected_version=expected_version, now=now) as case:
        decision = served(case, K.ENFORCEMENT_DECISION)
        if posted_on < decision.on:
            raise InvalidInput(fields={"posted_on": [_("公告日期不能早于强制拆除决定书送达生效之日 %(date)s") % {
                "date": _iso(decision.on)}]})
        posted_photo = wf._case_photos(case, [photo])[0]
        deadline = periods.deadline_from_days(posted_on, deadline_days)
        document = issue_document(case=case, kind=K.ENFORCEMENT_ANNOUNCEMENT, actor=actor, now=now, deadline=deadline,
                                  content={"posting_place": place, "posted_on": posted_on.isoformat()})
        before = case.status
        case.status, case.deadline, case.enforcement_announced_on = S.ANNOUNCED, deadline, posted_on
        wf._save_and_record(case, actor=actor, action="announce", from_status=before, note=note, location=location,
                            now=now, fields=["deadline", "enforcement_announced_on"],
                            payload={**_document_payload(document), "posted_on": posted_on.isoformat(),
                                     "place": place, "photo": posted_photo.sha256, "deadline": deadline.isoformat()})
        return case


def apply_to_court(*, case_id, actor, court="", note="", expected_version=None, location=None, now=None):
    """申请人民法院强制执行 (行政强制法 第53–55条), route court."""
    with wf._acting("apply_to_court", case_id=case_id, actor=actor, expected_version=expected_version,
                    now=now) as case:
        court = court or case.jurisdiction.court
        wf._require(court, "court", _("请填写受理申请的人民法院"))
        document = issue_document(case=case, kind=K.COURT_ENFORCEMENT_APPLICATION, actor=actor, now=now,
                                  content={"court": court})
        before = case.status
        case.status, case.deadline = S.COURT_PENDING, None
        wf._save_and_record(case, actor=actor, action="apply_to_court", from_status=before, note=note,
                            location=location, now=now, fields=["deadline"],
                            payload={**_document_payload(document), "court": court})
        return case


def record_court_ruling(*, case_id, actor, ruling, ruling_number, ruled_on, note="", expected_version=None,
                        location=None, now=None):
    """The court's 裁定 (行政强制法 第57–58条): 准予执行, or not, which ends the case (``court_refused``)."""
    now = now or timezone.now()
    _not_after_today(ruled_on, "ruled_on", now)
    with wf._acting("record_court_ruling", case_id=case_id, actor=actor, expected_version=expected_version,
                    now=now) as case:
        applied = _last_event(case, "apply_to_court")
        if applied is not None and ruled_on < timezone.localdate(applied.created_at):
            raise InvalidInput(fields={"ruled_on": [_("裁定日期不能早于申请日期")]})
        before, fields = case.status, []
        if ruling == CourtRuling.GRANTED:
            case.status = S.COURT_GRANTED
        else:
            case.status, case.resolution, case.closed_at = S.CLOSED, Resolution.COURT_REFUSED, now
            fields = ["resolution", "closed_at"]
        wf._save_and_record(case, actor=actor, action="record_court_ruling", from_status=before, note=note,
                            location=location, now=now, fields=fields,
                            payload={"ruling": ruling, "ruling_number": ruling_number,
                                     "ruled_on": ruled_on.isoformat()})
        return case


def execute_demolition(*, case_id, actor, execution, photos, videos, property_handling="", note="",
                       expected_version=None, location=None, now=None):
    """强制拆除, with photos and the body-camera videos of it (执法全过程音像记录) and its 执行笔录."""
    wf._require(execution, "execution")
    wf._require(photos, "photos", _("须附拆除现场照片"))
    wf._require(videos, "videos", _("须附执法记录仪视频（执法全过程音像记录）"))
    with wf._acting("execute_demolition", case_id=case_id, actor=actor, expected_version=expected_version,
                    now=now) as case:
        attached = wf._case_photos(case, photos, stage=PhotoStage.DEMOLITION)
        recorded = list(Video.objects.filter(case=case, pk__in=list(videos)).order_by("pk"))
        if len(recorded) != len(set(videos)):
            raise InvalidInput(fields={"videos": [_("视频不属于本案件")]})
        document = issue_document(case=case, kind=K.EXECUTION_RECORD, actor=actor, now=now, content={
            "execution": execution, "property_handling": property_handling,
            "videos": [{"name": v.filename or str(v.client_uuid), "sha256": v.sha256} for v in recorded]})
        before = case.status
        case.status, case.deadline = S.EXECUTED, None
        wf._save_and_record(case, actor=actor, action="execute_demolition", from_status=before, note=note,
                            location=location, now=now, fields=["deadline"],
                            payload={**_document_payload(document), "photos": [p.sha256 for p in attached],
                                     "videos": [v.sha256 for v in recorded]})
        return case


def close_case(*, case_id, actor, result="", note="", expected_version=None, location=None, now=None):
    """结案 after a forced demolition, with its 结案审批表."""
    now = now or timezone.now()
    with wf._acting("close", case_id=case_id, actor=actor, expected_version=expected_version, now=now) as case:
        record = latest_document(case, K.EXECUTION_RECORD)
        # A document is Chinese whatever the UI language of the supervisor who closes the case.
        with translation.override("zh-hans"):
            resolution = str(Resolution.FORCIBLY_DEMOLISHED.label)
        document = issue_document(case=case, kind=K.CLOSING_APPROVAL, actor=actor, now=now, content={
            "resolution": resolution, "result": result,
            "execution": record.content.get("execution", "") if record else ""})
        before = case.status
        case.status, case.resolution, case.closed_at = S.CLOSED, Resolution.FORCIBLY_DEMOLISHED, now
        wf._save_and_record(case, actor=actor, action="close", from_status=before, note=note, location=location,
                            now=now, fields=["resolution", "closed_at"], payload=_document_payload(document))
        return case
