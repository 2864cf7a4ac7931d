"""The statutory procedure before the 限期拆除决定 (DOMAIN.md, "The statutory procedure"): on-site records, the
order, withdrawal, the 办案期限 — and the case's legal clocks.

Each action is a service of the shape patrol.workflow describes (keyword-only, one locked row, ``ensure_allowed``,
one CaseEvent); workflow's registry (``ACTIONS``) names them with their blockers. Every document-producing action
calls ``documents.services.issue_document`` and puts the document's number and SHA-256 in its event's payload.

This module is imported by patrol.workflow for its registry, so it imports workflow as a module and uses its
helpers at call time (as patrol.enforcement does).
"""
from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documents.choices import DocumentKind
from documents.selectors import effective_on
from documents.services import issue_document
from documents.signatures import RECORD_SIGNER_ROLES, signature_choices, signature_of
from documents.signatures import officer_signatures as officer_signatures_of
from patrol import periods
from patrol import workflow as wf
from patrol.choices import FIELD_ROLES, PhotoStage, ReinspectionResult, Resolution, Role
from patrol.choices import Status as S
from patrol.errors import InvalidInput, RuleViolation
from patrol.models import User
from patrol.officers import check_two_officers

K = DocumentKind
# 现场检查（勘验）笔录 and 询问笔录 may be made from 立案 until the decision (DOMAIN.md).
INVESTIGATING = frozenset({S.FILED, S.ORDERED, S.NOTIFIED, S.HEARING, S.IN_REVIEW, S.DECIDED})
ON_SITE_RECORDS = ("record_inspection", "record_interview")


def _document_event_payload(document, **extra):
    return {"document": document.number, "document_sha256": document.sha256, **extra}


# --- 立案 -----------------------------------------------------------------------------------------------------------

def file_case(*, case_id, actor, legal_basis, note, expected_version=None, location=None, now=None):
    """立案: under a legal basis the jurisdiction may use (it decides the route), with its 立案审批表; the 办案期限
    of 行政处罚法 第60条 starts."""
    wf._require(note, "note")
    wf._require(legal_basis, "legal_basis")
    with wf._acting("file", case_id=case_id, actor=actor, expected_version=expected_version, now=now) as case:
        if not case.jurisdiction.allows_legal_basis(legal_basis):
            raise InvalidInput(fields={"legal_basis": [_("本单位无权适用该法律依据")]})
        before = case.status
        now = now or timezone.now()
        case.status, case.legal_basis = S.FILED, legal_basis
        case.decision_due = periods.end_of("decision", timezone.localdate(now),
                                           length=case.jurisdiction.decision_period_days)
        if case.responsible_id is None:
            case.responsible = case.reported_by if case.reported_by.role == Role.INSPECTOR else None
        document = issue_document(case=case, kind=K.FILING_APPROVAL, actor=actor, now=now,
                                  content={"opinion": note})
        wf._save_and_record(case, actor=actor, action="file", from_status=before, note=note, location=location,
                         now=now, fields=["responsible", "legal_basis", "decision_due"],
                         payload={"legal_basis": legal_basis, "decision_due": case.decision_due.isoformat(),
                                  "document": document.number, "document_sha256": document.sha256})
        return case


def filing_blocker(case, user, now):
    """立案 rests on evidence of the site (#15): the jurisdiction's minimum of 现场照片 taken before anything changed,
    the same number the field page asks for when a finding is logged (Jurisdiction.finding_min_photos)."""
    needed = case.jurisdiction.finding_min_photos
    if needed and case.photos.filter(stage=PhotoStage.BEFORE).count() < needed:
        return wf.Blocker(_("立案须有至少 %(n)s 张现场照片（违法建设现状），请先上传照片") % {"n": needed})
    return None


# --- service (送达) as the procedure sees it ---------------------------------------------------------------------

def latest_document(case, kinds):
    """The case's latest document of one of ``kinds``, with its services (for effective_on), or None."""
    return case.documents.filter(kind__in=kinds).prefetch_related("services").order_by("-issued_at", "-pk").first()


def effectively_served_on(document):
    """The first day any service of ``document`` took effect (possibly still to come: 公告送达), or None."""
    return effective_on(document) if document is not None else None


def waiting_on(document, missing, today):
    """``not_served`` for a document that may not be issued yet: ``missing`` (the reason) while there is none."""
    return wf.Blocker(missing) if document is None else not_served(document, today)


def not_served(document, today):
    """Why a step that waits on ``document`` cannot be taken yet: it is not effectively served; or None."""
    effective = effectively_served_on(document)
    if effective is not None and effective <= today:
        return None
    title = f"《{document.get_kind_display()}》（{document.number}）"
    if effective is None:
        return wf.Blocker(_("%(document)s尚未有效送达") % {"document": title})
    # 公告送达 takes effect 30 days after publication (民事诉讼法 第95条).
    return wf.Blocker(_("%(document)s尚未有效送达，%(date)s 起生效") % {"document": title, "date": effective.isoformat()},
                   effective)


# --- officers and the party's signature ----------------------------------------------------------------------

def _officers(case, officer_ids, today):
    officers = list(User.objects.filter(pk__in=officer_ids or [], jurisdiction=case.jurisdiction, is_active=True,
                                        role__in=FIELD_ROLES))
    if len(officers) != len(set(officer_ids or [])):
        raise InvalidInput(fields={"officers": [_("请选择本辖区的执法人员")]})
    check_two_officers(officers, today)  # 行政处罚法 第42条 (409)
    return officers


def _signatures(case, present, *, party_present, party_signature, signature_photo, refused, witness_name,
                officer_signatures):
    """The party's signature — drawn on the phone (a Signature's client_uuid, documents.signatures) or a photo of
    it — or the refusal before a witness (DOMAIN.md, "Evidence rules"), and the officers' signatures drawn on the
    phone. Returns what the event records, the signatures the record places, and the signature photo."""
    places = officer_signatures_of(case, officer_signatures, present)
    party = signature_of(case, party_signature, roles=RECORD_SIGNER_ROLES, field="party_signature")
    signed, photo = {"party_present": bool(party_present)}, None
    if not party_present:
        if party is not None:
            raise InvalidInput(fields={"party_signature": [_("当事人不在场，不能附当事人签名")]})
    elif party is not None:
        places["party_signature"] = party
        signed.update({"refused": True, "witness": party.witness_name} if party.refused
                      else {"signature_sha256": party.sha256})
    elif signature_photo:
        photo = wf._case_photos(case, [signature_photo])[0]
        signed["signature_sha256"] = photo.sha256
    elif refused and (witness_name or "").strip():
        signed.update(refused=True, witness=witness_name.strip())
    else:
        raise InvalidInput(fields={"party_signature": [_("须有当事人签名（在手机上签名或签名照片），或注明拒绝签名并由见证人在场")]})
    if places:
        signed["signatures"] = {place: {"client_uuid": str(s.client_uuid), "sha256": s.sha256}
                                for place, s in places.items()}
    return signed, places, photo


# A phone's clock a little ahead of the server's is not a record from the future.
CLOCK_SKEW = timedelta(minutes=5)


def _when_and_where(case, started_at, ended_at, place, now):
    """The time and place a record prints: as sent (a record made offline keeps the time it was made on site), by
    default the moment the server takes it and the case's place."""
    ended_at = ended_at or (now if started_at is None or started_at <= now else started_at)
    started_at = started_at or ended_at
    if ended_at > now + CLOCK_SKEW:
        raise InvalidInput(fields={"ended_at": [_("笔录时间不能晚于现在")]})
    if started_at > ended_at:
        raise InvalidInput(fields={"ended_at": [_("结束时间须晚于开始时间")]})
    if started_at < case.created_at - CLOCK_SKEW:
        raise InvalidInput(fields={"started_at": [_("笔录时间不能早于案件登记时间")]})
    return {"started_at": started_at.isoformat(), "ended_at": ended_at.isoformat(),
            **({"record_place": place.strip()} if (place or "").strip() else {})}


def _offline_id(client_uuid):
    return {"client_uuid": str(client_uuid)} if client_uuid else {}


def _signed_content(signed):
    return {"party_signature": "refused" if signed.get("refused") else "", "witness": signed.get("witness", "")}


def record_inspection(*, case_id, actor, officers, facts, measurements="", photos=(), party_present=True,
                      party_signature=None, officer_signatures=(), signature_photo=None, refused=False,
                      witness_name="", started_at=None, ended_at=None, place="", client_uuid=None,
                      expected_version=None, location=None, now=None):
    """现场检查（勘验）笔录: two officers with valid certificates (行政处罚法 第42、55条), the facts, the party's signature
    or refusal before a witness, the officers' signatures. ``client_uuid``: made on the phone that recorded it offline
    (workflow.earlier_submission recognises it sent again)."""
    wf._require(facts, "facts")
    with wf._acting("record_inspection", case_id=case_id, actor=actor, expected_version=expected_version,
                 now=now) as case:
        now = now or timezone.now()
        present = _officers(case, officers, timezone.localdate(now))
        signed, places, photo = _signatures(
            case, present, party_present=party_present, party_signature=party_signature,
            signature_photo=signature_photo, refused=refused, witness_name=witness_name,
            officer_signatures=officer_signatures)
        attached = wf._case_photos(case, photos)
        document = issue_document(case=case, kind=K.INSPECTION_RECORD, actor=actor, now=now, content={
            "officers": present, "findings": facts, "measurements": measurements,
            **_when_and_where(case, started_at, ended_at, place, now),
            "photo_count": len(attached), "photo_hashes": [p.sha256 for p in attached], **_signed_content(signed)},
            images={"party_signature": photo}, signatures=places)
        wf._save_and_record(case, actor=actor, action="record_inspection", from_status=case.status, note=facts,
                         location=location, now=now, payload=_document_event_payload(
                             document, officers=[o.certificate_number for o in present],
                             photos=[p.sha256 for p in attached], **signed, **_offline_id(client_uuid)))
        return case


def record_interview(*, case_id, actor, officers, interviewee, questions, relation="", party_present=True,
                     party_signature=None, officer_signatures=(), signature_photo=None, refused=False,
                     witness_name="", started_at=None, ended_at=None, place="", client_uuid=None,
                     expected_version=None, location=None, now=None):
    """询问笔录: two officers (第42条), the interviewee, questions and answers, signature or refusal; ``client_uuid`` as
    for record_inspection."""
    wf._require(interviewee, "interviewee")
    wf._require(questions, "questions")
    with wf._acting("record_interview", case_id=case_id, actor=actor, expected_version=expected_version,
                 now=now) as case:
        now = now or timezone.now()
        present = _officers(case, officers, timezone.localdate(now))
        signed, places, photo = _signatures(
            case, present, party_present=party_present, party_signature=party_signature,
            signature_photo=signature_photo, refused=refused, witness_name=witness_name,
            officer_signatures=officer_signatures)
        qa = [{"q": item["q"], "a": item["a"]} for item in questions]
        document = issue_document(case=case, kind=K.INTERVIEW_RECORD, actor=actor, now=now, content={
            "officers": present, "interviewee": {"name": interviewee, "relation": relation}, "questions": qa,
            **_when_and_where(case, started_at, ended_at, place, now), **_signed_content(signed)},
            images={"party_signature": photo}, signatures=places)
        wf._save_and_record(case, actor=actor, action="record_interview", from_status=case.status, location=location,
                         now=now, payload=_document_event_payload(
                             document, officers=[o.certificate_number for o in present], interviewee=interviewee,
                             questions=len(qa), **signed, **_offline_id(client_uuid)))
        return case


# --- the order ---------------------------------------------------------------------------------------------------

def order_blocker(case, user, now):
    """An order rests on the facts found: at least one on-site record first (行政处罚法 第54、55条)."""
    if not case.events.filter(action__in=ON_SITE_RECORDS).exists():
        return wf.Blocker(_("须先制作现场检查（勘验）笔录或询问笔录（行政处罚法 第54、55条）"))
    return None


ORDER_KINDS = (K.STOP_CONSTRUCTION_ORDER, K.RECTIFICATION_ORDER)


def order(*, case_id, actor, order_kind, period_days, note="", expected_version=None, location=None, now=None):
    """责令停止建设 / 责令限期改正 (城乡规划法 第64、65条): the notice with its period; the deadline is set when the
    notice is effectively served (documents.services), since it runs from that day (行政强制法 第69条)."""
    if order_kind not in ORDER_KINDS:
        raise InvalidInput(fields={"order_kind": [_("请选择通知书种类")]})
    if not isinstance(period_days, int) or period_days < 1:
        raise InvalidInput(fields={"period_days": [_("期限天数须为正整数")]})
    with wf._acting("order", case_id=case_id, actor=actor, expected_version=expected_version, now=now) as case:
        now = now or timezone.now()
        document = issue_document(case=case, kind=order_kind, actor=actor, now=now, period_days=period_days,
                                  content={"note": note} if note else {})
        before = case.status
        case.status, case.deadline = S.ORDERED, None
        wf._save_and_record(case, actor=actor, action="order", from_status=before, note=note, location=location,
                         now=now, fields=["deadline"],
                         payload=_document_event_payload(document, order_kind=order_kind, period_days=period_days))
        return case


# --- withdrawal and the 办案期限 ----------------------------------------------------------------------------------

def withdraw(*, case_id, actor, reason, expected_version=None, location=None, now=None):
    """撤销立案: the case does not stand (案件不成立 …); it ends as ``withdrawn``."""
    wf._require(reason, "reason")
    with wf._acting("withdraw", case_id=case_id, actor=actor, expected_version=expected_version, now=now) as case:
        before = case.status
        now = now or timezone.now()
        case.status, case.resolution, case.closed_at = S.DISMISSED, Resolution.WITHDRAWN, now
        wf._save_and_record(case, actor=actor, action="withdraw", from_status=before, note=reason, location=location,
                         now=now, payload={"reason": Resolution.WITHDRAWN.value}, fields=["resolution", "closed_at"])
        return case


def extend_case_period(*, case_id, actor, new_end, reason, expected_version=None, location=None, now=None):
    """延长办案期限 (行政处罚法 第60条 "法律、法规、规章另有规定的除外"): a supervisor records the reason and the new end."""
    wf._require(reason, "reason")
    wf._require(new_end, "new_end")
    with wf._acting("extend_case_period", case_id=case_id, actor=actor, expected_version=expected_version,
                 now=now) as case:
        old = case.decision_due
        if old is not None and new_end <= old:
            raise InvalidInput(fields={"new_end": [_("新的办案期限须晚于原期限 %(old)s") % {"old": old.isoformat()}]})
        case.decision_due = new_end
        wf._save_and_record(case, actor=actor, action="extend_case_period", from_status=case.status, note=reason,
                         location=location, now=now, fields=["decision_due"],
                         payload={"old_end": old.isoformat() if old else None, "new_end": new_end.isoformat()})
        return case


# --- 事先告知 and the party's rights (行政处罚法 第44、45、63、64条) -----------------------------------------------------

def _last_event(case, action):
    return case.events.filter(action=action).order_by("-seq").first()


def missed_deadline_blocker(case, today):
    """Why the party cannot yet be said to have failed to comply (城乡规划法 第64、65条): the order's deadline has not
    passed, or no re-inspection after it found the building still there; or None."""
    if case.deadline is None or case.deadline >= today:
        return wf.Blocker(_("整改期限（%(deadline)s）尚未届满（城乡规划法 第65条）") % {"deadline": case.deadline},
                          case.deadline + timedelta(days=1) if case.deadline else None)
    last = _last_event(case, "reinspect")
    # A re-inspection made before the current deadline (or before it was extended) cannot show that the party failed
    # to comply by that deadline.
    if last is None or timezone.localdate(last.created_at) <= case.deadline:
        return wf.Blocker(_("整改期限届满后须先复查，确认未整改（城乡规划法 第65条）"))
    if last.payload.get("result") == ReinspectionResult.RECTIFIED:
        return wf.Blocker(_("最近一次复查结果为已整改"))
    return None


def notify_blocker(case, user, now):
    """事先告知 only once the order's deadline passed and the re-inspection after it found no rectification."""
    today = now.date()
    order_document = latest_document(case, ORDER_KINDS)
    if case.deadline is None and order_document is not None:
        return not_served(order_document, today) or wf.Blocker(_("整改期限尚未确定"))
    return missed_deadline_blocker(case, today)


def deadline_set_blocker(case, user, now):
    """A deadline can be extended once it runs: from the effective service of the order (行政强制法 第69条)."""
    if case.deadline is not None:
        return None
    order_document = latest_document(case, ORDER_KINDS)
    if order_document is not None:
        return not_served(order_document, now.date()) or wf.Blocker(_("整改期限尚未确定"))
    return wf.Blocker(_("整改期限尚未确定"))


def notify_intent(*, case_id, actor, facts, intended_decision="", expected_version=None, location=None, now=None):
    """行政处罚事先告知书: the facts, the basis, the intended decision, the rights to 陈述申辩 and 听证 (第44、63、64条)."""
    wf._require(facts, "facts")
    with wf._acting("notify_intent", case_id=case_id, actor=actor, expected_version=expected_version,
                 now=now) as case:
        now = now or timezone.now()
        document = issue_document(case=case, kind=K.INTENT_NOTICE, actor=actor, now=now, content={
            "facts": facts, "intended_decision": intended_decision or "限期拆除上述违法建设"})
        before = case.status
        case.status = S.NOTIFIED
        wf._save_and_record(case, actor=actor, action="notify_intent", from_status=before, note=facts, location=location,
                         now=now, payload=_document_event_payload(document, intended_decision=intended_decision))
        return case


def _intent(case):
    return latest_document(case, [K.INTENT_NOTICE])


def _intent_windows(case, served_on):
    """The last day of the 陈述申辩 window and of the hearing request (第64条), from effective service."""
    statement = periods.clock("statement", served_on, length=case.jurisdiction.statement_window_days)
    hearing = periods.clock("hearing_request", served_on)
    return statement, hearing


def _after(case, action, document):
    """Whether ``action`` was recorded after ``document`` was issued."""
    return case.events.filter(action=action, created_at__gte=document.issued_at).exists()


def record_statement(*, case_id, actor, statement, points, expected_version=None, location=None, now=None):
    """陈述申辩笔录: what the party said and, for each point, whether it was adopted and why (第45条: no heavier
    decision because the party argued; 行政强制法 第36条)."""
    wf._require(statement, "statement")
    wf._require(points, "points")
    if any(not (p.get("point") and p.get("reason")) for p in points):
        raise InvalidInput(fields={"points": [_("每一项陈述申辩意见都须写明是否采纳及理由")]})
    with wf._acting("record_statement", case_id=case_id, actor=actor, expected_version=expected_version,
                 now=now) as case:
        now = now or timezone.now()
        listed = [{"point": p["point"], "adopted": bool(p["adopted"]), "reason": p["reason"]} for p in points]
        document = issue_document(case=case, kind=K.STATEMENT_RECORD, actor=actor, now=now, content={
            "statement": statement, "points": listed})
        wf._save_and_record(case, actor=actor, action="record_statement", from_status=case.status, note=statement,
                         location=location, now=now,
                         payload=_document_event_payload(document, points=listed))
        return case


def hearing_request_blocker(case, user, now):
    document = _intent(case)
    waiting = waiting_on(document, _("尚未送达事先告知书"), now.date())
    if waiting:
        return waiting
    _statement, hearing = _intent_windows(case, effectively_served_on(document))
    if hearing.is_over(now.date()):
        return wf.Blocker(_("听证申请期限已于 %(date)s 届满（行政处罚法 第64条）") % {"date": hearing.end.isoformat()})
    return None


def _investigators(case):
    """Who investigated the case: the officers and authors of its on-site records, and the responsible inspector."""
    certificates, people = set(), {case.responsible_id}
    for event in case.events.filter(action__in=ON_SITE_RECORDS):
        people.add(event.actor_id)
        certificates.update(event.payload.get("officers") or [])
    return people, certificates


def _chair(case, chair_id):
    chair = User.objects.filter(pk=chair_id, jurisdiction=case.jurisdiction, is_active=True).first()
    if chair is None:
        raise InvalidInput(fields={"chair": [_("请选择本单位的听证主持人")]})
    people, certificates = _investigators(case)
    if chair.pk in people or (chair.certificate_number and chair.certificate_number in certificates):
        # 行政处罚法 第64条(四): 听证由行政机关指定的非本案调查人员主持.
        raise RuleViolation(_("听证主持人须为非本案调查人员（行政处罚法 第64条）"), fields={"chair": [str(chair)]})
    return chair


def request_hearing(*, case_id, actor, requested_on, hearing_at, hearing_place, chair, expected_version=None,
                    location=None, now=None):
    """申请听证: the party asked within five working days of effective service of the 告知书 (第64条); the hearing
    notice (听证通知书) names the time, the place and a chair who did not investigate the case."""
    wf._require(hearing_place, "hearing_place")
    with wf._acting("request_hearing", case_id=case_id, actor=actor, expected_version=expected_version,
                 now=now) as case:
        now = now or timezone.now()
        served_on = effectively_served_on(_intent(case))
        _statement, window = _intent_windows(case, served_on)
        if requested_on < served_on or requested_on > min(window.end, timezone.localdate(now)):
            raise RuleViolation(_("听证申请须在事先告知书送达后五个工作日内（%(end)s 前）提出（行政处罚法 第64条）") % {
                "end": window.end.isoformat()}, fields={"requested_on": [window.end.isoformat()]})
        presiding = _chair(case, chair)
        document = issue_document(case=case, kind=K.HEARING_NOTICE, actor=actor, now=now, content={
            "requested_on": requested_on.isoformat(), "hearing_at": hearing_at.isoformat(),
            "hearing_place": hearing_place, "chair": str(presiding)})
        before = case.status
        case.status = S.HEARING
        wf._save_and_record(case, actor=actor, action="request_hearing", from_status=before, location=location, now=now,
                         payload=_document_event_payload(document, requested_on=requested_on.isoformat(),
                                                         hearing_at=hearing_at.isoformat(), chair=presiding.pk))
        return case


def hearing_blocker(case, user, now):
    return waiting_on(latest_document(case, [K.HEARING_NOTICE]), _("尚未送达听证通知书"), now.date())


def record_hearing(*, case_id, actor, held_on, chair, summary, expected_version=None, location=None, now=None):
    """听证笔录: held no sooner than seven (working) days after the notice was served, chaired by someone who did not
    investigate the case (第64条); back to ``notified`` for the review."""
    wf._require(summary, "summary")
    with wf._acting("record_hearing", case_id=case_id, actor=actor, expected_version=expected_version,
                 now=now) as case:
        now = now or timezone.now()
        served_on = effectively_served_on(latest_document(case, [K.HEARING_NOTICE]))
        notice_period = periods.clock("hearing_notice", served_on)
        if held_on < notice_period.first_day_after:
            raise RuleViolation(_("听证通知须于举行听证七日前送达，最早可于 %(date)s 举行听证（行政处罚法 第64条）") % {
                "date": notice_period.first_day_after.isoformat()}, earliest=notice_period.first_day_after)
        if held_on > timezone.localdate(now):
            raise InvalidInput(fields={"held_on": [_("听证日期不能晚于今天")]})
        presiding = _chair(case, chair)
        document = issue_document(case=case, kind=K.HEARING_RECORD, actor=actor, now=now, content={
            "chair": str(presiding), "investigation": summary, "hearing_at": held_on.isoformat()})
        before = case.status
        case.status = S.NOTIFIED
        wf._save_and_record(case, actor=actor, action="record_hearing", from_status=before, note=summary,
                         location=location, now=now,
                         payload=_document_event_payload(document, held_on=held_on.isoformat(), chair=presiding.pk))
        return case


def waive_rights(*, case_id, actor, waiver_photo, note="", expected_version=None, location=None, now=None):
    """放弃陈述申辩和听证: the party's signed waiver, photographed."""
    wf._require(waiver_photo, "waiver_photo")
    with wf._acting("waive_rights", case_id=case_id, actor=actor, expected_version=expected_version, now=now) as case:
        photo = wf._case_photos(case, [waiver_photo])[0]
        wf._save_and_record(case, actor=actor, action="waive_rights", from_status=case.status, note=note,
                         location=location, now=now, payload={"waiver_sha256": photo.sha256})
        return case


def review_submission_blocker(case, user, now):
    """提交法制审核 once the party's rights are spent: the windows are over, or waived, or the hearing was held."""
    document = _intent(case)
    waiting = waiting_on(document, _("尚未送达事先告知书"), now.date())
    if waiting:
        return waiting
    if _after(case, "waive_rights", document) or _after(case, "record_hearing", document):
        return None
    statement, hearing = _intent_windows(case, effectively_served_on(document))
    last = max(statement.end, hearing.end)
    if now.date() <= last:
        return wf.Blocker(_("陈述申辩和听证申请期限尚未届满，最早可于 %(date)s 提交法制审核（行政处罚法 第44、64条）") % {
            "date": (last + timedelta(days=1)).isoformat()}, last + timedelta(days=1))
    return None


def submit_review(*, case_id, actor, note="", expected_version=None, location=None, now=None):
    """提交法制审核 (行政处罚法 第58条)."""
    with wf._acting("submit_review", case_id=case_id, actor=actor, expected_version=expected_version, now=now) as case:
        before = case.status
        case.status = S.IN_REVIEW
        wf._save_and_record(case, actor=actor, action="submit_review", from_status=before, note=note, location=location,
                         now=now)
        return case


# --- 法制审核, 集体讨论, 决定 (行政处罚法 第57、58、60条) ---------------------------------------------------------------

# As the 法制审核意见书 prints them (always Chinese); the form shows them translated.
CHECKLIST_LABELS = {"subject": "主体与职权", "procedure": "程序", "facts": "事实与证据", "law": "法律适用与裁量",
                    "documents": "文书"}
_CHECKLIST_LABELS_FOR_TRANSLATION = (_("主体与职权"), _("程序"), _("事实与证据"), _("法律适用与裁量"), _("文书"))
# ``escalate`` is how cases recorded before #13 went to review (migrated from ``escalated`` to ``in_review``).
PROPOSALS = ("submit_review", "escalate")
REVIEW_EVENTS = (*PROPOSALS, "legal_approve", "legal_reject")


def _last_review_event(case):
    return case.events.filter(action__in=REVIEW_EVENTS).order_by("-seq").first()


def approved(case):
    last = _last_review_event(case)
    return last is not None and last.action == "legal_approve"


def not_approved_yet(case):
    return None if not approved(case) else _("法制审核已通过")


def needs_approval(case):
    return None if approved(case) else _("须先通过法制审核（行政处罚法 第58条）")


def four_eyes_blocker(case, user, now):
    """重大执法决定法制审核: never by the one who submitted the case for review."""
    proposal = case.events.filter(action__in=PROPOSALS).order_by("-seq").first()
    if proposal is not None and proposal.actor_id == user.pk:
        return wf.Blocker(_("不能审核自己提交的案件（行政处罚法 第58条）"))
    return None


def _checklist(checklist):
    items = []
    for key, label in CHECKLIST_LABELS.items():
        item = (checklist or {}).get(key)
        if item is None:
            raise InvalidInput(fields={f"checklist.{key}": [_("此项为必填项")]})
        if not item.get("passed") and not item.get("remark"):
            raise InvalidInput(fields={f"checklist.{key}": [_("未通过的审核项须写明意见")]})
        items.append({"key": key, "label": label, "passed": bool(item.get("passed")), "remark": item.get("remark", "")})
    return items


def _review_document(case, actor, now, items, conclusion):
    proposal = case.events.filter(action__in=PROPOSALS).order_by("-seq").first()
    return issue_document(case=case, kind=K.LEGAL_REVIEW_OPINION, actor=actor, now=now, content={
        "checklist": items, "conclusion": conclusion, "reviewer": str(actor),
        "proposer": str(proposal.actor) if proposal and proposal.actor else ""})


def legal_approve(*, case_id, actor, checklist, note="", expected_version=None, location=None, now=None):
    """法制审核通过: the five points each passed or remarked on (第58条); the decision may follow."""
    items = _checklist(checklist)
    with wf._acting("legal_approve", case_id=case_id, actor=actor, expected_version=expected_version, now=now) as case:
        now = now or timezone.now()
        document = _review_document(case, actor, now, items, note or "同意作出限期拆除决定。")
        wf._save_and_record(case, actor=actor, action="legal_approve", from_status=case.status, note=note,
                         location=location, now=now, payload=_document_event_payload(document, checklist=items))
        return case


def legal_reject(*, case_id, actor, checklist, reason, back_to, expected_version=None, location=None, now=None):
    """法制审核不通过: back to rectification (``ordered``) or to the party's rights (``notified``)."""
    items = _checklist(checklist)
    wf._require(reason, "reason")
    if back_to not in (S.ORDERED, S.NOTIFIED):
        raise InvalidInput(fields={"back_to": [_("请选择退回的环节")]})
    with wf._acting("legal_reject", case_id=case_id, actor=actor, expected_version=expected_version, now=now) as case:
        now = now or timezone.now()
        document = _review_document(case, actor, now, items, reason)
        before = case.status
        case.status = back_to
        wf._save_and_record(case, actor=actor, action="legal_reject", from_status=before, note=reason, location=location,
                         now=now, payload=_document_event_payload(document, checklist=items, back_to=back_to))
        return case


def is_major(case):
    return case.jurisdiction.is_major_case(area_m2=case.estimated_area_m2, demolition=True)


def record_collective_discussion(*, case_id, actor, attendees, conclusion, expected_version=None, location=None,
                                 now=None):
    """集体讨论 of the body's leaders (行政处罚法 第57条)."""
    wf._require(conclusion, "conclusion")
    if len([a for a in attendees or [] if str(a).strip()]) < 3:
        raise InvalidInput(fields={"attendees": [_("集体讨论须有三名以上负责人参加")]})
    with wf._acting("record_collective_discussion", case_id=case_id, actor=actor, expected_version=expected_version,
                 now=now) as case:
        now = now or timezone.now()
        document = issue_document(case=case, kind=K.COLLECTIVE_DISCUSSION_RECORD, actor=actor, now=now, content={
            "attendees": list(attendees), "conclusion": conclusion, "chair": str(actor)})
        wf._save_and_record(case, actor=actor, action="record_collective_discussion", from_status=case.status,
                         note=conclusion, location=location, now=now,
                         payload=_document_event_payload(document, attendees=list(attendees)))
        return case


def decision_blocker(case, user, now):
    approval = _last_review_event(case)
    if is_major(case) and not case.events.filter(action="record_collective_discussion",
                                                 seq__gt=approval.seq if approval else 0).exists():
        return wf.Blocker(_("重大案件须经负责人集体讨论决定（行政处罚法 第57条）"))
    if case.decision_due is not None and now.date() > case.decision_due:
        return wf.Blocker(_("已超过办案期限（%(date)s），未依法延长，不能作出决定（行政处罚法 第60条）") % {
            "date": case.decision_due.isoformat()})
    return None


def decide(*, case_id, actor, period_days, note="", expected_version=None, location=None, now=None):
    """限期拆除决定 (城乡规划法 第65条 …): the decision with its period (running from effective service), the
    reconsideration body and the court with their windows printed; within the 办案期限 (第60条)."""
    if not isinstance(period_days, int) or period_days < 1:
        raise InvalidInput(fields={"period_days": [_("期限天数须为正整数")]})
    with wf._acting("decide", case_id=case_id, actor=actor, expected_version=expected_version, now=now) as case:
        now = now or timezone.now()
        document = issue_document(case=case, kind=K.DEMOLITION_DECISION, actor=actor, now=now,
                                  period_days=period_days, content={"note": note} if note else {})
        before = case.status
        case.status, case.deadline = S.DECIDED, None
        wf._save_and_record(case, actor=actor, action="decide", from_status=before, note=note, location=location,
                         now=now, fields=["deadline"],
                         payload=_document_event_payload(document, decision_number=document.number,
                                                         period_days=period_days))
        return case


# --- the legal clocks ----------------------------------------------------------------------------------------------

def _event_day(events, action):
    days = [timezone.localdate(created_at) for name, created_at, _payload in events if name == action]
    return days[-1] if days else None


def case_dates(case, events=None, documents=None):
    """The dated facts the case's clocks run from (patrol.periods.CaseDates), from its record and documents.

    ``events`` (the case's CaseEvents in order) and ``documents`` (in issue order, services prefetched) are read here
    unless the caller has them already (the case page)."""
    if events is None:
        events = list(case.events.order_by("seq").values_list("action", "created_at", "payload"))
    else:
        events = [(event.action, event.created_at, event.payload) for event in events]
    if documents is None:
        documents = list(case.documents.prefetch_related("services").order_by("issued_at", "pk"))

    def served(kind):
        effective = [min((s.effective_on for s in d.services.all() if s.effective_on), default=None)
                     for d in documents if d.kind == kind]
        effective = [d for d in effective if d is not None]
        return effective[-1] if effective else None

    extensions = [payload.get("new_end") for name, _at, payload in events if name == "extend_case_period"]
    hearing_held = [payload.get("held_on") for name, _at, payload in events if name == "record_hearing"]
    filed_on = _event_day(events, "file")
    return periods.CaseDates(
        filed_on=filed_on,
        decision_extended_to=date.fromisoformat(extensions[-1]) if extensions else None,
        decided_on=_event_day(events, "decide"),
        intent_served_on=served(K.INTENT_NOTICE),
        review_submitted_on=_event_day(events, "submit_review"),
        hearing_notice_served_on=served(K.HEARING_NOTICE),
        hearing_held_on=date.fromisoformat(hearing_held[-1]) if hearing_held and hearing_held[-1] else None,
        decision_served_on=served(K.DEMOLITION_DECISION),
        appeal_filed_on=_event_day(events, "record_appeal"),
        reminder_served_on=served(K.REMINDER),
        court_applied_on=_event_day(events, "apply_to_court"),
    )


def clocks(case, today=None, events=None, documents=None):
    """The case's running legal periods: name, label, start, end, days left (DOMAIN.md, "Legal periods");
    ``events`` and ``documents`` as ``case_dates`` takes them."""
    if case.status in (S.CLOSED, S.DISMISSED, S.REPORTED):
        return []
    today = today or timezone.localdate()
    jurisdiction = case.jurisdiction
    running = periods.running_clocks(case_dates(case, events, documents), legal_basis=case.legal_basis or None,
                                     decision_days=jurisdiction.decision_period_days,
                                     statement_days=jurisdiction.statement_window_days)
    return [{"name": c.name, "label": str(c.period.label), "source": str(c.period.source), "start": c.start,
             "end": c.end, "days_left": c.days_left(today), "extended": c.extended} for c in running]


# --- what the forms offer ------------------------------------------------------------------------------------------

def officer_choices(case):
    return {"officers": User.objects.filter(jurisdiction=case.jurisdiction, is_active=True, role__in=FIELD_ROLES)
            .exclude(certificate_number="").order_by("username")}


def record_choices(case):
    """An on-site record's form: the officers, and the signatures taken on the phone not yet in a document. Read
    once per case instance: the case page shows the two record forms, which offer the same."""
    if "_record_choices" not in case.__dict__:
        officers = officer_choices(case)
        case.__dict__["_record_choices"] = {**officers, "officers": list(officers["officers"]),
                                            **signature_choices(case)}
    return case.__dict__["_record_choices"]


def chair_choices(case):
    return {"chairs": User.objects.filter(jurisdiction=case.jurisdiction, is_active=True).exclude(
        role=Role.LEADER).order_by("username")}


def checklist_choices(case):
    return {"checklist": [(key, _(label)) for key, label in CHECKLIST_LABELS.items()]}
