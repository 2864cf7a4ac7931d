"""The statutory case workflow (DOMAIN.md, "Case states and actions"): one service per action.

``ACTIONS``, at the end of this module, is the registry of case actions, defined once: each entry names the
states and roles it is for, its service, its input (patrol.action_inputs), what may block it now (a blocker),
the stage of the photos a form may add, and its form (``patrol/actions/_<name>.html``). The API, the case page
and the tests read only the registry. Every service locks the case row, checks jurisdiction, state, role and
blocker through ``ensure_allowed``, changes the case, writes exactly one CaseEvent, and queues follow-up work
after commit. Nothing else changes a case's status.
"""
import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Callable

from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from core.queue import enqueue_on_commit
from gis.models import Village
from patrol import action_inputs as inputs
from patrol import ledger
from patrol.choices import (
    FIELD_ROLES,
    OPEN_STATUSES,
    PRE_DECISION_STATUSES,
    DismissReason,
    PhotoStage,
    ReinspectionResult,
    Resolution,
    Role,
    Status,
)
from patrol.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotAllowed,
    NotFound,
    RuleViolation,
    StaleCase,
    dotted_fields,
)
from patrol.models import Case, Photo
from patrol.notifications import notify_assignment
from patrol.selectors import field_users
from patrol.sequences import case_reference, take_next_number

S = Status
SUPERVISOR = frozenset({Role.SUPERVISOR})
LEGAL = frozenset({Role.LEGAL_REVIEWER})
ALL_STATUSES = frozenset(S.values)


# --- the shape of the registry -------------------------------------------------------------------

@dataclass(frozen=True)
class Blocker:
    """Why an action of the case's state is not possible now, and the earliest day it may be when time is the
    reason (None when only another step or another person can lift it)."""

    reason: str
    earliest: date | None = None

    def __str__(self):
        return str(self.reason)


@dataclass(frozen=True)
class ActionSpec:
    """One case action. ``blocker(case, user, now)`` returns a Blocker or None; ``requires(case)`` returns why the
    case is not in the situation the action is for (beyond its status), or None."""

    name: str
    label: str
    from_statuses: frozenset
    roles: frozenset
    service: Callable
    input: type[inputs.ActionInput]
    blocker: Callable | None = None
    requires: Callable | None = None
    photo_stage: str | None = None  # photos added with the page's form are stored at this stage; None: no photos
    photo_field: str = "photos"  # the input field (dotted) that receives the ids of those photos
    form_choices: Callable | None = None  # form_choices(case): what the form offers beyond the input's choices

    @property
    def template(self):
        return f"patrol/actions/_{self.name}.html"

    def arguments(self, data):
        """The service's keyword arguments from a client's ``data``, or InvalidInput naming each field (dotted)."""
        body = self.input(data=data)
        if not body.is_valid():
            raise InvalidInput(fields=dotted_fields(body.errors))
        return self.input.service_arguments(body.validated_data)

    def with_photos(self, data, photo_ids):
        """``data`` with the ids of photos just stored for this action put where its input takes them."""
        if not photo_ids:
            return data
        return self.input.with_photo_ids(data, self.photo_field, photo_ids)


@dataclass(frozen=True)
class ActionOption:
    """An action of the case's state, with what blocks this user from taking it now (None: available).

    ``own`` says whether the user's role is one that may take it: another role's action is listed too (the team
    sees the whole next step), blocked by the role, as its refusal (403) would say."""

    spec: ActionSpec
    blocker: Blocker | None
    own: bool = True

    @property
    def available(self):
        return self.blocker is None


def action_spec(name):
    spec = ACTIONS.get(name)
    if spec is None:
        raise NotFound(_("没有这个操作：%(action)s") % {"action": name})
    return spec


# --- what may be done, and why not ---------------------------------------------------------------

def _moment(now):
    return timezone.localtime(now or timezone.now())


def ensure_allowed(case, user, spec, now=None):
    """The one check of every action: jurisdiction, state, role, then what blocks it now.

    The services call it on the locked row; the API and the case page call it before reading the body, so the
    answer names the real obstacle (404, 409, 403, 409) rather than a field.
    """
    if case.jurisdiction_id != user.jurisdiction_id:
        raise NotFound()
    if case.status not in spec.from_statuses:
        raise InvalidTransition(_("案件当前状态为“%(status)s”，不能%(action)s") % {
            "status": case.get_status_display(), "action": spec.label})
    if user.role not in spec.roles:
        raise NotAllowed(_("%(role)s不能%(action)s") % {"role": user.get_role_display(), "action": spec.label})
    missing = spec.requires(case) if spec.requires else None
    if missing:
        raise InvalidTransition(missing)
    blocker = spec.blocker(case, user, _moment(now)) if spec.blocker else None
    if blocker:
        raise RuleViolation(blocker.reason, earliest=blocker.earliest)


def role_blocker(spec):
    """Why a user of another role may not take ``spec``: who may (the refusal is 403)."""
    roles = str(pgettext("list separator", "、")).join(str(Role(role).label) for role in Role.values
                                                      if role in spec.roles)
    return Blocker(_("仅%(roles)s可以%(action)s") % {"roles": roles, "action": spec.label})


def action_options(case, user, now=None):
    """Every action of the case's state, in registry order, each with what blocks ``user`` now.

    The checks run in the order of ``ensure_allowed``, so the reason is what a refusal would say: another role's
    action is blocked by the role (403; its own blockers are not asked, they are about its user), then the case's
    situation (``requires``: the route, an approval), then the action's blocker with its earliest day.
    """
    if user.jurisdiction_id != case.jurisdiction_id:
        return []
    now = _moment(now)
    options = []
    for spec in ACTIONS.values():
        if case.status not in spec.from_statuses:
            continue
        if user.role not in spec.roles:
            options.append(ActionOption(spec, role_blocker(spec), own=False))
            continue
        missing = spec.requires(case) if spec.requires else None
        if missing:
            options.append(ActionOption(spec, Blocker(missing)))
            continue
        options.append(ActionOption(spec, spec.blocker(case, user, now) if spec.blocker else None))
    return options


def available_actions(case, user, now=None):
    """The actions ``user`` may take on ``case`` now, in registry order."""
    return [option.spec for option in action_options(case, user, now) if option.available]


def run_action(*, case, actor, action, data, expected_version=None, now=None):
    """Take ``action`` on ``case`` with a client's ``data`` (a request body or a form): check, validate, act."""
    spec = action_spec(action)
    ensure_allowed(case, actor, spec, now)
    return spec.service(case_id=case.pk, actor=actor, expected_version=expected_version, now=now,
                        **spec.arguments(data))


# --- actions recorded offline on the phone (the field page's case store and outbox) ------------------------------

# What the field page lets an inspector record on a case kept on the phone, without network: re-inspections, and the
# on-site records with the signatures drawn on the phone (static/js/field/records.js).
OFFLINE_ACTIONS = ("reinspect", "record_inspection", "record_interview")


def offline_actions(case, user, now=None):
    """The actions of OFFLINE_ACTIONS ``user`` may take on ``case`` now (what the phone offers offline), checked as
    ``ensure_allowed`` checks them, without asking the other actions of the state (their blockers read the record)."""
    if case.jurisdiction_id != user.jurisdiction_id:
        return []
    now = _moment(now)
    names = []
    for name in OFFLINE_ACTIONS:
        spec = ACTIONS[name]
        if case.status not in spec.from_statuses or user.role not in spec.roles:
            continue
        if (spec.requires and spec.requires(case)) or (spec.blocker and spec.blocker(case, user, now)):
            continue
        names.append(name)
    return names


def earlier_submission(case, action, client_uuid):
    """The event ``action`` wrote for ``client_uuid`` on ``case``, if it was recorded already (a resend)."""
    return case.events.filter(action=action, payload__client_uuid=str(client_uuid)).order_by("seq").first()


def changed_only_by_own_evidence(case, since_version, actor, *, photo_ids=(), signature_uuids=()):
    """Whether every change of ``case`` since ``since_version`` is one of ``photo_ids`` or ``signature_uuids`` added by
    ``actor``.

    An action recorded offline uploads its evidence first — a re-inspection its photos, an on-site record the
    signatures drawn on the phone — and then the action with the version the phone read: each upload bumped the
    version, yet nothing the inspector did not see happened to the case. Any other change — another user's action, a
    photo or signature the action does not carry — makes the version stale (412)."""
    if since_version >= case.version or since_version < 1:
        return False
    own = {("add_photo", str(uuid)) for uuid in Photo.objects.filter(
        case=case, pk__in=list(photo_ids or []), uploaded_by=actor).values_list("client_uuid", flat=True)}
    own |= {("add_signature", str(uuid)) for uuid in signature_uuids or ()}
    since = list(case.events.filter(seq__gt=since_version).values_list("action", "actor_id", "payload"))
    return len(since) == case.version - since_version and all(
        actor_id == actor.pk and (action, payload.get("photo" if action == "add_photo" else "signature")) in own
        for action, actor_id, payload in since)


def _last_event(case, action):
    return case.events.filter(action=action).order_by("-seq").first()


# --- the common frame of every action ------------------------------------------------------------

@contextmanager
def _acting(action, *, case_id, actor, expected_version=None, now=None):
    """Lock the case and check version, jurisdiction, state, role and blockers; yield the locked case."""
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("jurisdiction").filter(pk=case_id).first()
        if case is None or case.jurisdiction_id != actor.jurisdiction_id:
            raise NotFound()
        if expected_version is not None and case.version != expected_version:
            raise StaleCase()
        ensure_allowed(case, actor, ACTIONS[action], now)
        yield case


def _save_and_record(case, *, actor, action, from_status, note="", payload=None, location=None, now=None,
                     fields=()):
    now = now or timezone.now()
    case.version += 1
    case.updated_at = now
    case.save(update_fields=["version", "updated_at", "status", *fields])
    return ledger.record_event(case=case, actor=actor, action=action, from_status=from_status,
                               to_status=case.status, note=note, payload=payload, location=location, at=now)


def _require(value, field, message=None):
    if value in (None, "", [], ()):
        raise InvalidInput(fields={field: [message or _("此项为必填项")]})
    return value


def _case_photos(case, photo_ids, *, stage=None):
    photo_ids = list(photo_ids or [])
    photos = list(Photo.objects.filter(case=case, pk__in=photo_ids))
    if len(photos) != len(set(photo_ids)):
        raise InvalidInput(fields={"photos": [_("照片不属于本案件")]})
    if stage and not any(p.stage == stage for p in photos):
        raise InvalidInput(fields={"photos": [_("须附“%(stage)s”阶段的照片") % {"stage": PhotoStage(stage).label}]})
    return photos


# --- reporting a finding ---------------------------------------------------------------------------

FINDING_FIELDS = ("category", "stage", "estimated_area_m2", "floors", "structure", "address", "description",
                  "party_name", "party_phone", "accuracy_m", "location_source")


def submission_hash(*, location, observed_at, campaign_id, patrol_id, **fields):
    """What makes two submissions of one ``client_uuid`` "the same content"."""
    content = {k: (str(v) if v is not None else None) for k, v in fields.items()}
    content.update(location=[round(location.x, 7), round(location.y, 7)],
                   observed_at=observed_at.isoformat() if observed_at else None,
                   campaign=campaign_id, patrol=patrol_id)
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def village_for_point(jurisdiction, point):
    return Village.objects.filter(jurisdiction=jurisdiction, boundary__intersects=point).order_by("pk").first()


def nearest_village(jurisdiction, point):
    village = (Village.objects.filter(jurisdiction=jurisdiction)
               .annotate(distance=Distance("boundary", point)).order_by("distance").first())
    return (village, village.distance.m) if village else (None, None)


def report_finding(*, actor, client_uuid, location, category, stage, observed_at=None, campaign=None, patrol=None,
                   now=None, **fields):
    """Log a finding as a new case (status ``reported``); safe to call again with the same ``client_uuid``.

    Returns ``(case, created)``. The same ``client_uuid`` with the same content returns the existing case;
    with different content it raises Conflict.
    """
    if actor.role not in FIELD_ROLES:
        raise NotAllowed(_("只有执法队员和中队长可以登记线索"))
    if not isinstance(location, Point):
        raise InvalidInput(fields={"location": [_("缺少位置")]})
    if not (-180 <= location.x <= 180 and -90 <= location.y <= 90):
        raise InvalidInput(fields={"location": [_("经纬度超出范围")]})
    location.srid = 4326
    now = now or timezone.now()
    extra = {k: fields.get(k) for k in FINDING_FIELDS if k in fields}
    # The hash covers what the client sent, not defaults filled in here, so a retry hashes the same.
    digest = submission_hash(location=location, observed_at=observed_at, campaign_id=getattr(campaign, "pk", None),
                             patrol_id=getattr(patrol, "pk", None), category=category, stage=stage, **extra)
    observed_at = observed_at or now

    # No look-up first: a retry is rare, and the unique client_uuid turns it away below (IntegrityError).
    jurisdiction = actor.jurisdiction
    village = village_for_point(jurisdiction, location)
    if village is None:
        nearest, distance = nearest_village(jurisdiction, location)
        message = _("该位置不在本辖区任何行政村内")
        if nearest is not None:
            message = _("该位置不在本辖区任何行政村内（最近的是%(village)s，相距 %(km).1f 公里）") % {
                "village": nearest.name, "km": distance / 1000}
        raise InvalidInput(fields={"location": [message]})
    for related, name in ((campaign, "campaign"), (patrol, "patrol")):
        if related is not None and related.jurisdiction_id != jurisdiction.pk:
            raise InvalidInput(fields={name: [_("不在您的辖区内")]})

    try:
        with transaction.atomic():
            year = timezone.localtime(now).year
            seq = take_next_number(jurisdiction=jurisdiction, scope="case", year=year)
            case = Case.objects.create(
                client_uuid=client_uuid, jurisdiction=jurisdiction, year=year, seq=seq,
                reference=case_reference(jurisdiction.code, year, seq), location=location, village=village,
                category=category, stage=stage, campaign=campaign, patrol=patrol, reported_by=actor,
                responsible=actor if actor.role == Role.INSPECTOR else None, observed_at=observed_at,
                created_at=now, updated_at=now, submission_hash=digest,
                **{k: v for k, v in extra.items() if v is not None},
            )
            ledger.record_event(case=case, actor=actor, action="report", from_status="", to_status=case.status,
                                first=True,
                                payload={"category": category, "stage": stage, "village": village.name},
                                location=location, at=now)
    except IntegrityError:
        # Another request with the same client_uuid won the race; answer as a retry would be answered.
        existing = Case.objects.filter(client_uuid=client_uuid).first()
        if existing is None:
            raise
        return _same_submission(existing, actor, digest), False
    return case, True


def _same_submission(existing, actor, digest):
    if existing.jurisdiction_id != actor.jurisdiction_id or existing.submission_hash != digest:
        raise Conflict(_("该编号（client_uuid）已用于另一条内容不同的线索"))
    return existing


# --- the actions -----------------------------------------------------------------------------------

def dismiss_case(*, case_id, actor, reason, duplicate_of=None, note="", expected_version=None, location=None,
                 now=None):
    """不予立案."""
    if reason not in DismissReason.values:
        raise InvalidInput(fields={"reason": [_("请选择不予立案的理由")]})
    with _acting("dismiss", case_id=case_id, actor=actor, expected_version=expected_version, now=now) as case:
        original = None
        if reason == DismissReason.DUPLICATE:
            original = Case.objects.filter(pk=duplicate_of, jurisdiction=case.jurisdiction).exclude(pk=case.pk).first()
            if original is None:
                raise InvalidInput(fields={"duplicate_of": [_("请指定本辖区内被重复的原案件")]})
        before = case.status
        now = now or timezone.now()
        case.status, case.resolution, case.closed_at, case.duplicate_of = S.DISMISSED, reason, now, original
        _save_and_record(case, actor=actor, action="dismiss", from_status=before, note=note, location=location,
                         now=now, payload={"reason": reason, "duplicate_of": original.reference if original else None},
                         fields=["resolution", "closed_at", "duplicate_of"])
        return case


def reinspect(*, case_id, actor, result, note, photos=(), client_uuid=None, expected_version=None, location=None,
              now=None):
    """复查: rectified closes the case (with ``after`` photos); otherwise it stays in rectification.

    ``client_uuid`` is made on the phone that recorded it offline: it goes into the event, so that the same
    re-inspection sent again (an answer lost on the way back) is recognised (``earlier_submission``)."""
    if result not in ReinspectionResult.values:
        raise InvalidInput(fields={"result": [_("请选择复查结果")]})
    _require(note, "note")
    with _acting("reinspect", case_id=case_id, actor=actor, expected_version=expected_version, now=now) as case:
        attached = _case_photos(case, photos, stage=PhotoStage.AFTER if result == ReinspectionResult.RECTIFIED
                                else None)
        before = case.status
        now = now or timezone.now()
        fields = []
        if result == ReinspectionResult.RECTIFIED:
            case.status, case.resolution, case.closed_at = S.CLOSED, Resolution.RECTIFIED_BY_PARTY, now
            fields = ["resolution", "closed_at"]
        payload = {"result": result, "photos": [p.sha256 for p in attached],
                   "overdue": case.deadline is not None and case.deadline < timezone.localdate(now)}
        if client_uuid:
            payload["client_uuid"] = str(client_uuid)
        _save_and_record(case, actor=actor, action="reinspect", from_status=before, note=note, location=location,
                         now=now, payload=payload, fields=fields)
        return case


def extend_deadline(*, case_id, actor, deadline, reason, expected_version=None, location=None, now=None):
    """延期."""
    _require(reason, "reason")
    _require(deadline, "deadline")
    with _acting("extend_deadline", case_id=case_id, actor=actor, expected_version=expected_version, now=now) as case:
        if deadline <= case.deadline:
            raise InvalidInput(fields={"deadline": [_("新期限须晚于原期限 %(old)s") % {"old": case.deadline}]})
        before, old = case.status, case.deadline
        case.deadline = deadline
        _save_and_record(case, actor=actor, action="extend_deadline", from_status=before, note=reason,
                         location=location, now=now,
                         payload={"old_deadline": old.isoformat(), "deadline": deadline.isoformat()},
                         fields=["deadline"])
        return case


def legalize(*, case_id, actor, permit_number, expected_version=None, location=None, now=None):
    """补办手续: the party obtained the permit; the case closes."""
    _require(permit_number, "permit_number")
    with _acting("legalize", case_id=case_id, actor=actor, expected_version=expected_version, now=now) as case:
        before = case.status
        now = now or timezone.now()
        case.status, case.resolution, case.closed_at = S.CLOSED, Resolution.LEGALIZED, now
        _save_and_record(case, actor=actor, action="legalize", from_status=before, location=location, now=now,
                         payload={"permit_number": permit_number}, fields=["resolution", "closed_at"])
        return case


def comment(*, case_id, actor, note, photos=(), expected_version=None, location=None, now=None):
    """备注 (an appeal is ``record_appeal``, not a comment: it suspends enforcement)."""
    _require(note, "note")
    with _acting("comment", case_id=case_id, actor=actor, expected_version=expected_version, now=now) as case:
        attached = _case_photos(case, photos)
        _save_and_record(case, actor=actor, action="comment", from_status=case.status, note=note, location=location,
                         now=now, payload={"photos": [p.sha256 for p in attached]})
        return case


def assign(*, case_id, actor, inspector, expected_version=None, location=None, now=None):
    """指派 the responsible inspector."""
    with _acting("assign", case_id=case_id, actor=actor, expected_version=expected_version, now=now) as case:
        target = field_users(case.jurisdiction).filter(pk=getattr(inspector, "pk", inspector)).first()
        if target is None:
            raise InvalidInput(fields={"inspector": [_("请选择本辖区的执法队员")]})
        case.responsible = target
        event = _save_and_record(case, actor=actor, action="assign", from_status=case.status, location=location,
                                 now=now, payload={"inspector": target.username}, fields=["responsible"])
        if target.pk != actor.pk:
            notify_assignment(case, target, event)
        return case


def attach_photo(*, case_id, actor, client_uuid, file, sha256, content_type, size_bytes, taken_at, stage,
                 location=None, accuracy_m=None, exif=None, width=None, height=None, now=None):
    """Store one photo as evidence, record it on the case, and have its thumbnail and watermarked display copy
    made after commit."""
    spec_roles = ACTIONS["comment"].roles
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=case_id).first()
        if case is None or case.jurisdiction_id != actor.jurisdiction_id:
            raise NotFound()
        if actor.role not in spec_roles:
            raise NotAllowed()
        now = now or timezone.now()
        photo = Photo(client_uuid=client_uuid, case=case, sha256=sha256, content_type=content_type,
                      size_bytes=size_bytes, taken_at=taken_at, location=location, accuracy_m=accuracy_m, stage=stage,
                      exif=exif or {}, width=width, height=height, uploaded_by=actor, uploaded_at=now)
        photo.file.save("upload", file, save=False)
        photo.save()
        _save_and_record(case, actor=actor, action="add_photo", from_status=case.status, location=location, now=now,
                         payload={"photo": str(client_uuid), "sha256": sha256, "stage": stage,
                                  "taken_at": taken_at.isoformat()})
        # Named, not imported: the worker's tasks call the domain, never the other way round. Whichever way the
        # photo came (the phone's outbox, a form of the case page, the demo), its thumbnail is made in seconds;
        # the sweep only catches what a broker outage lost.
        enqueue_on_commit("worker.tasks.make_thumbnail", photo.pk)
        enqueue_on_commit("worker.tasks.make_display_copy", photo.pk)
        return photo


# --- the registry ---------------------------------------------------------------------------------

# After the helpers above exist: patrol.procedure (before the decision) and patrol.enforcement (after it) use them
# through this module, and the registry names their services.
from patrol import enforcement, procedure  # noqa: E402


def _assignable_inspectors(case):
    return {"inspectors": field_users(case.jurisdiction)}


P = procedure
E = enforcement
file_case = P.file_case  # 立案 issues its 立案审批表, as the procedure's other documents are issued
REVIEWERS = frozenset({Role.SUPERVISOR, Role.LEGAL_REVIEWER})

# In the order of DOMAIN.md's table (the case page lists the steps in this order).
ACTIONS = {
    spec.name: spec
    for spec in [
        ActionSpec("file", _("立案"), frozenset({S.REPORTED}), SUPERVISOR, file_case, inputs.FileBody,
                   blocker=P.filing_blocker),
        ActionSpec("dismiss", _("不予立案"), frozenset({S.REPORTED}), SUPERVISOR, dismiss_case, inputs.DismissBody),
        # 行政处罚法 第42、55条: on-site records name two officers with their 执法证号.
        ActionSpec("record_inspection", _("现场检查（勘验）笔录"), P.INVESTIGATING, FIELD_ROLES, P.record_inspection,
                   inputs.RecordInspectionBody, photo_stage=PhotoStage.BEFORE, form_choices=P.record_choices),
        ActionSpec("record_interview", _("询问笔录"), P.INVESTIGATING, FIELD_ROLES, P.record_interview,
                   inputs.RecordInterviewBody, form_choices=P.record_choices),
        ActionSpec("order", _("责令停止建设或限期改正"), frozenset({S.FILED}), SUPERVISOR, P.order, inputs.OrderBody,
                   blocker=P.order_blocker),
        ActionSpec("reinspect", _("复查"), frozenset({S.ORDERED, S.DECIDED, S.REMINDED, S.ANNOUNCED}), FIELD_ROLES,
                   reinspect, inputs.ReinspectBody, photo_stage=PhotoStage.AFTER),
        ActionSpec("extend_deadline", _("延期"), frozenset({S.ORDERED}), SUPERVISOR, extend_deadline,
                   inputs.ExtendDeadlineBody, blocker=P.deadline_set_blocker),
        ActionSpec("legalize", _("补办手续"), frozenset({S.ORDERED, S.NOTIFIED}), SUPERVISOR, legalize,
                   inputs.LegalizeBody),
        ActionSpec("notify_intent", _("事先告知"), frozenset({S.ORDERED}), SUPERVISOR, P.notify_intent,
                   inputs.NotifyIntentBody, blocker=P.notify_blocker),
        ActionSpec("record_statement", _("陈述申辩"), frozenset({S.NOTIFIED, S.REMINDED}), REVIEWERS,
                   P.record_statement, inputs.RecordStatementBody),
        ActionSpec("request_hearing", _("申请听证"), frozenset({S.NOTIFIED}), SUPERVISOR, P.request_hearing,
                   inputs.RequestHearingBody, blocker=P.hearing_request_blocker, form_choices=P.chair_choices),
        ActionSpec("waive_rights", _("放弃陈述申辩和听证"), frozenset({S.NOTIFIED}), SUPERVISOR, P.waive_rights,
                   inputs.WaiveRightsBody, photo_stage=PhotoStage.NOTICE, photo_field="waiver_photo"),
        ActionSpec("record_hearing", _("听证"), frozenset({S.HEARING}), SUPERVISOR, P.record_hearing,
                   inputs.RecordHearingBody, blocker=P.hearing_blocker, form_choices=P.chair_choices),
        ActionSpec("submit_review", _("提交法制审核"), frozenset({S.NOTIFIED}), SUPERVISOR, P.submit_review,
                   inputs.SubmitReviewBody, blocker=P.review_submission_blocker),
        ActionSpec("legal_approve", _("法制审核通过"), frozenset({S.IN_REVIEW}), LEGAL, P.legal_approve,
                   inputs.LegalApproveBody, blocker=P.four_eyes_blocker, requires=P.not_approved_yet,
                   form_choices=P.checklist_choices),
        ActionSpec("legal_reject", _("法制审核不通过"), frozenset({S.IN_REVIEW}), LEGAL, P.legal_reject,
                   inputs.LegalRejectBody, blocker=P.four_eyes_blocker, requires=P.not_approved_yet,
                   form_choices=P.checklist_choices),
        ActionSpec("record_collective_discussion", _("集体讨论"), frozenset({S.IN_REVIEW}), SUPERVISOR,
                   P.record_collective_discussion, inputs.RecordCollectiveDiscussionBody, requires=P.needs_approval),
        ActionSpec("decide", _("作出限期拆除决定"), frozenset({S.IN_REVIEW}), SUPERVISOR, P.decide, inputs.DecideBody,
                   blocker=P.decision_blocker, requires=P.needs_approval),
        # After the 限期拆除决定: patrol.enforcement (行政强制法 第35–44条, 第53–58条).
        ActionSpec("record_appeal", _("登记复议或诉讼"), E.APPEALABLE, REVIEWERS, E.record_appeal,
                   inputs.RecordAppealBody),
        ActionSpec("record_appeal_outcome", _("登记复议或诉讼结果"), frozenset({S.SUSPENDED}), LEGAL,
                   E.record_appeal_outcome, inputs.RecordAppealOutcomeBody),
        ActionSpec("issue_reminder", _("催告"), frozenset({S.DECIDED}), SUPERVISOR, E.issue_reminder,
                   inputs.IssueReminderBody, blocker=E.reminder_blocker),
        ActionSpec("decide_enforcement", _("作出强制拆除决定"), frozenset({S.REMINDED}), SUPERVISOR,
                   E.decide_enforcement, inputs.DecideEnforcementBody, requires=E.route_self,
                   blocker=E.enforcement_decision_blocker),
        ActionSpec("announce", _("发布强制拆除公告"), frozenset({S.ENFORCEMENT_DECIDED}), SUPERVISOR, E.announce,
                   inputs.AnnounceBody, requires=E.route_self, blocker=E.announcement_blocker,
                   photo_stage=PhotoStage.NOTICE, photo_field="photo"),
        ActionSpec("apply_to_court", _("申请法院强制执行"), frozenset({S.REMINDED}), SUPERVISOR, E.apply_to_court,
                   inputs.ApplyToCourtBody, requires=E.route_court, blocker=E.court_application_blocker),
        ActionSpec("record_court_ruling", _("登记法院裁定"), frozenset({S.COURT_PENDING}), LEGAL,
                   E.record_court_ruling, inputs.RecordCourtRulingBody),
        ActionSpec("execute_demolition", _("强制拆除"), frozenset({S.ANNOUNCED, S.COURT_GRANTED}), SUPERVISOR,
                   E.execute_demolition, inputs.ExecuteDemolitionBody, blocker=E.demolition_blocker,
                   photo_stage=PhotoStage.DEMOLITION),
        ActionSpec("close", _("结案"), frozenset({S.EXECUTED}), SUPERVISOR, E.close_case, inputs.CloseBody),
        ActionSpec("withdraw", _("撤销立案"), frozenset({S.FILED, S.ORDERED}), SUPERVISOR, P.withdraw,
                   inputs.WithdrawBody),
        # 行政处罚法 第60条: the 办案期限 may be extended only with a recorded reason.
        ActionSpec("extend_case_period", _("延长办案期限"), frozenset(PRE_DECISION_STATUSES) | {S.HEARING},
                   SUPERVISOR, P.extend_case_period, inputs.ExtendCasePeriodBody),
        ActionSpec("comment", _("备注"), ALL_STATUSES, frozenset({Role.INSPECTOR, Role.SUPERVISOR, Role.LEGAL_REVIEWER}),
                   comment, inputs.CommentBody, photo_stage=PhotoStage.BEFORE),
        ActionSpec("assign", _("指派"), frozenset(OPEN_STATUSES), SUPERVISOR, assign, inputs.AssignBody,
                   form_choices=_assignable_inspectors),
    ]
}
