"""执法公示 from the case record (国办发〔2018〕118号): the daily run and the supervisor's hold.

``run_daily`` (queued by beat as ``worker.tasks.publish_disclosures``) does, for every jurisdiction and safe to run
twice:

1. ``register_decisions``: an entry, with its masked snapshot, for every decision of a published kind that has none;
2. ``refresh_statuses``: each entry's status from its case (in force, revoked, carried out);
3. ``withdraw_revoked``: a revoked decision's entry is withdrawn — the public list keeps one line saying so and when
   (118号文: within three days; the daily run does it the next day);
4. ``publish_pending``: every entry neither held back nor withdrawn is published from the day after its decision,
   well inside its window (7 working days, 20 for other decisions, counted on the 调休 calendar of patrol.periods):
   the supervisor has the decision's day to hold one back before it is public;
5. ``take_down_expired``: entries public for the jurisdiction's retention (5 years by default; the natural-person
   retention where one is set) are taken down.
"""
import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from disclosure.choices import PUBLICATION_WINDOW_DAYS, PUBLISHED_KINDS, DecisionStatus
from disclosure.masking import mask_party, mask_text, party_is_natural_person
from disclosure.models import PublishedDecision
from documents.choices import DocumentKind
from documents.models import Document
from gis.models import Jurisdiction
from patrol.choices import Category, Resolution, Role, Status
from patrol.errors import InvalidInput, NotAllowed, NotFound, RuleViolation
from patrol.kpis import local_midnight
from patrol.models import CaseEvent
from patrol.periods import add_months, add_working_days

logger = logging.getLogger(__name__)
K = DocumentKind

# What a decision orders when its content does not say it in its own words (the wording of its template).
DEFAULT_DECISION = {
    K.DEMOLITION_DECISION: "责令当事人限期自行拆除违法建设，并清理现场",
    K.ENFORCEMENT_DECISION: "对逾期未拆除的违法建设依法实施强制拆除",
    K.STOP_CONSTRUCTION_ORDER: "责令当事人立即停止建设",
    K.RECTIFICATION_ORDER: "责令当事人限期改正",
}
# A case closed this way carried the decision out (the party did, or the body did).
CARRIED_OUT = {Resolution.FORCIBLY_DEMOLISHED, Resolution.DEMOLISHED_BY_PARTY, Resolution.RECTIFIED_BY_PARTY}


def due_on(kind, decided_on):
    """The last day a decision of ``kind`` made on ``decided_on`` may be published on: the window's working days
    after it (patrol.periods, the State Council's 调休 calendar)."""
    return add_working_days(decided_on, PUBLICATION_WINDOW_DAYS[kind])


def _deadline_words(document):
    if document.period_days:
        return f"，期限为自送达之日起{document.period_days}日内"
    if document.deadline:
        return f"，期限至{document.deadline.year}年{document.deadline.month}月{document.deadline.day}日"
    return ""


def snapshot(document):
    """The masked fields of an entry, from the document as issued and its case's village and category."""
    case = document.case
    content = document.content or {}
    party = (content.get("party") or {}).get("name") or case.party_name
    village = case.village
    category = case.category
    facts = "，".join(part for part in [
        (content.get("building") or {}).get("category") or (Category(category).label if category else ""),
        (content.get("legal_basis") or {}).get("violation", ""),
        case.description,
    ] if part)
    decision = (content.get("decision") or DEFAULT_DECISION.get(document.kind, "")) + _deadline_words(document)
    return {
        "party": mask_party(party),
        "party_is_person": party_is_natural_person(party) or not party,
        "village": village,
        "village_name": village.name if village else "",
        "category": category,
        "facts": mask_text(facts, party),
        "legal_basis": str((content.get("legal_basis") or {}).get("articles", "")),
        "decision": mask_text(decision, party),
    }


def register_decisions(now=None):
    """An entry for every decision of a published kind that has none yet; returns how many were made. In batches
    of 500 rows (one INSERT each): the first run on a database with years of decisions registers them all at once.
    A decision another run registered meanwhile is skipped (``ignore_conflicts`` on the one-to-one)."""
    now = now or timezone.now()
    documents = (Document.objects.filter(kind__in=PUBLISHED_KINDS, disclosure__isnull=True)
                 .select_related("case", "case__village").order_by("pk"))
    made, batch = 0, []
    for document in documents.iterator(chunk_size=500):
        batch.append(PublishedDecision(
            document=document, jurisdiction_id=document.case.jurisdiction_id, kind=document.kind,
            number=document.number, decided_on=document.issued_on, due_on=due_on(document.kind, document.issued_on),
            created_at=now, updated_at=timezone.now(), **snapshot(document)))
        if len(batch) == 500:
            made += len(PublishedDecision.objects.bulk_create(batch, ignore_conflicts=True))
            batch = []
    if batch:
        made += len(PublishedDecision.objects.bulk_create(batch, ignore_conflicts=True))
    return made


def _revoked_on(case_id):
    event = (CaseEvent.objects.filter(case_id=case_id, action="record_appeal_outcome", payload__outcome="revoked")
             .order_by("-seq").only("payload", "created_at").first())
    if event is None:
        return None
    return timezone.localdate(event.created_at)


def refresh_statuses(now=None):
    """Each entry's status from its case; returns how many changed. Reads only the entries whose status can move
    (those not yet revoked), with their case's status and resolution."""
    now = now or timezone.now()
    changed = 0
    rows = (PublishedDecision.objects.exclude(status=DecisionStatus.REVOKED).filter(taken_down_at__isnull=True)
            .values_list("pk", "status", "document__case_id", "document__case__status", "document__case__resolution"))
    for pk, status, case_id, case_status, resolution in rows.iterator(chunk_size=2000):
        if resolution == Resolution.REVOKED:
            new, extra = DecisionStatus.REVOKED, {"revoked_on": _revoked_on(case_id) or timezone.localdate(now)}
        elif case_status == Status.EXECUTED or resolution in CARRIED_OUT:
            new, extra = DecisionStatus.CARRIED_OUT, {}
        else:
            new, extra = DecisionStatus.IN_FORCE, {}
        if new != status:
            PublishedDecision.objects.filter(pk=pk).update(status=new, updated_at=timezone.now(), **extra)
            changed += 1
    return changed


def withdraw_revoked(now=None):
    """Withdraw every revoked decision's entry (published or not: a revoked decision is never put up)."""
    now = now or timezone.now()
    return PublishedDecision.objects.filter(status=DecisionStatus.REVOKED, withdrawn_at__isnull=True).update(
        withdrawn_at=now, updated_at=timezone.now())


def publish_pending(now=None):
    """Publish the entries waiting, from the day after their decision, unless held back or withdrawn."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    return PublishedDecision.objects.pending().filter(held_back_at__isnull=True, decided_on__lt=today).update(
        published_at=now, updated_at=timezone.now())


def take_down_expired(now=None):
    """Take down entries public for longer than their jurisdiction keeps them; returns how many."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    taken = 0
    for jurisdiction in Jurisdiction.objects.only("pk", "disclosure_retention_years",
                                                  "disclosure_retention_years_person"):
        general = jurisdiction.disclosure_retention_years
        person = jurisdiction.disclosure_retention_years_person or general
        # Published on day P, kept N years: taken down on P + N years (patrol.periods.add_months, 民法典 第202条).
        for is_person, years in ((True, person), (False, general)):
            last_kept = add_months(today, -12 * years)
            taken += PublishedDecision.objects.filter(
                jurisdiction=jurisdiction, party_is_person=is_person, taken_down_at__isnull=True,
                published_at__lt=local_midnight(last_kept + timedelta(days=1))).update(
                    taken_down_at=now, updated_at=timezone.now())
    return taken


def run_daily(now=None):
    """The daily run (see the module's docstring); returns what each step did."""
    now = now or timezone.now()
    result = {"registered": register_decisions(now), "refreshed": refresh_statuses(now),
              "withdrawn": withdraw_revoked(now), "published": publish_pending(now),
              "taken_down": take_down_expired(now)}
    logger.info("执法公示 daily run: %s", result)
    return result


# --- the supervisor's hold --------------------------------------------------------------------------------

def _locked_entry(entry_id, actor):
    """The entry, locked, if ``actor`` may hold it: a supervisor of its jurisdiction, or IT in the admin (acting on
    a supervisor's instruction, for any jurisdiction)."""
    entry = PublishedDecision.objects.select_for_update().filter(pk=entry_id).first()
    it_admin = actor.role == Role.ADMIN and actor.is_staff
    if entry is None or not (it_admin or entry.jurisdiction_id == getattr(actor, "jurisdiction_id", None)):
        raise NotFound()
    if not (it_admin or actor.role == Role.SUPERVISOR):
        raise NotAllowed()
    return entry


def hold_back(*, entry_id, actor, reason, now=None):
    """暂缓公示: a supervisor keeps an entry off the public pages (or takes it off) with a recorded reason. An entry
    held past its last day to publish is counted in the KPIs (disclosure.kpis)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(fields={"reason": [_("请填写暂缓公示的理由")]})
    now = now or timezone.now()
    with transaction.atomic():
        entry = _locked_entry(entry_id, actor)
        if entry.withdrawn_at or entry.taken_down_at:
            raise RuleViolation(_("该决定已撤回或已撤下，无需暂缓公示"))
        if entry.held_back_at:
            raise RuleViolation(_("该决定已暂缓公示"))
        entry.held_back_at, entry.held_back_by, entry.held_back_reason = now, actor, reason
        entry.updated_at = timezone.now()
        entry.save(update_fields=["held_back_at", "held_back_by", "held_back_reason", "updated_at"])
    return entry


def release(*, entry_id, actor, now=None):
    """End a hold: the entry is published by the next daily run (or shown again if it was public). The hold stays
    on record in ``hold_history``."""
    now = now or timezone.now()
    with transaction.atomic():
        entry = _locked_entry(entry_id, actor)
        if not entry.held_back_at:
            raise RuleViolation(_("该决定未暂缓公示"))
        entry.hold_history = [*entry.hold_history, {
            "held_back_at": entry.held_back_at.isoformat(), "held_back_by": entry.held_back_by_id,
            "reason": entry.held_back_reason, "released_at": now.isoformat(), "released_by": actor.pk}]
        entry.held_back_at, entry.held_back_by, entry.held_back_reason = None, None, ""
        entry.updated_at = timezone.now()
        entry.save(update_fields=["hold_history", "held_back_at", "held_back_by", "held_back_reason", "updated_at"])
    return entry

