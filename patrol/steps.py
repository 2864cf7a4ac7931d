"""The procedure of one case as a step line (the case page): the steps done, with their dates and documents, the
current step, and the next steps — who may take each, and what blocks it now with the earliest day.

Built from what the page has read once — the case's events and the action options of patrol.workflow — and the
case's documents with their services (documents.selectors.case_documents: three queries), so the page costs the same
however long the record.
"""
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from documents.choices import SERVED_KINDS
from documents.selectors import case_documents, deadline_on, effective_on
from patrol import presentation
from patrol.choices import AppealKind, AppealOutcome, CourtRuling, LegalBasis, ReinspectionResult

# Events that are not steps of the procedure: evidence added, services (shown under the document they served), notes,
# assignment, corrections and imports.
NOT_STEPS = frozenset({"comment", "assign", "add_photo", "add_video", "add_signature", "record_service",
                       "record_postal_receipt", "admin_correct", "synthetic_import", "migrate_procedure"})
# Actions open in every state: the case page offers them, but they are not a next step of the procedure.
NOT_NEXT = frozenset({"comment", "assign"})
# What a done step decided, read from its event, shown beside its name: the basis filed under, a re-inspection's
# result, an appeal's kind and outcome, the court's ruling.
OUTCOMES = {"legal_basis": LegalBasis, "result": ReinspectionResult, "kind": AppealKind, "outcome": AppealOutcome,
            "ruling": CourtRuling}


def _outcome(payload):
    for key, choices in OUTCOMES.items():
        value = (payload or {}).get(key)
        if value in choices.values:
            return str(choices(value).label)
    return ""


@dataclass
class StepDocument:
    """A document of a done step: the PDF as issued, its deadline, and how and when it took effect on the party."""

    document: object
    services: list
    effective_on: date | None
    deadline: date | None
    needs_service: bool

    @property
    def unserved(self):
        return self.needs_service and not self.services


@dataclass
class DoneStep:
    action: str
    label: str
    at: object  # the event's moment
    actor: object
    from_label: str
    to_label: str
    changed_status: bool
    outcome: str = ""
    documents: list = field(default_factory=list)


@dataclass
class CurrentStep:
    status: str
    label: str
    since: date | None


@dataclass
class NextStep:
    action: str
    label: str
    available: bool
    own: bool  # the user's role may take it (else the reason names the role that may)
    reason: str | None
    earliest: date | None


@dataclass
class StepLine:
    done: list
    current: CurrentStep
    next: list
    other_documents: list  # documents no step names (issued before #13, or by an import)
    documents: list  # every document read (service receipts aside), in issue order, with its services


def _step_document(document):
    services = list(document.services.all())
    return StepDocument(document=document, services=services, effective_on=effective_on(document),
                        deadline=deadline_on(document), needs_service=document.kind in SERVED_KINDS)


def document_named(payload):
    """The number of the document an event issued or served. The statutory procedure's events name it as a string
    ("document": number), the enforcement steps' as an object ({"kind", "number", "sha256"}); the record is
    append-only, so both shapes stay and are read here."""
    named = (payload or {}).get("document")
    return named.get("number") if isinstance(named, dict) else named


def step_line(case, events, options, documents=None):
    """The step line of ``case`` from its ``events`` (in order) and the user's ``options`` (workflow.action_options);
    ``documents`` as documents.selectors.case_documents gives them (read here when not given)."""
    documents = list(case_documents(case) if documents is None else documents)
    by_number = {document.number: _step_document(document) for document in documents}
    named = set()
    done = []
    since = None
    for event in events:
        if event.from_status != event.to_status:
            since = timezone.localdate(event.created_at)
        if event.action in NOT_STEPS:
            continue
        number = document_named(event.payload)
        step_documents = [by_number[number]] if number in by_number else []
        named.update(d.document.number for d in step_documents)
        done.append(DoneStep(action=event.action, label=str(presentation.event_label(event.action)),
                             at=event.created_at, actor=event.actor, from_label=presentation.status_label(
                                 event.from_status), to_label=presentation.status_label(event.to_status),
                             changed_status=event.from_status != event.to_status, outcome=_outcome(event.payload),
                             documents=step_documents))
    current = CurrentStep(status=case.status, label=case.get_status_display(), since=since)
    upcoming = [NextStep(action=option.spec.name, label=str(option.spec.label), available=option.available,
                         own=option.own, reason=str(option.blocker.reason) if option.blocker else None,
                         earliest=option.blocker.earliest if option.blocker else None)
                for option in options if option.spec.name not in NOT_NEXT]
    others = [d for number, d in by_number.items() if number not in named]
    return StepLine(done=done, current=current, next=upcoming, other_documents=others, documents=documents)


# The clocks that bind the authority: once passed, the authority is late (行政处罚法 第60、61条; 行政强制法 第53条). The
# others are the party's windows and waiting periods: once passed, they are simply over, and the next step may follow.
AUTHORITY_DEADLINES = frozenset({"decision", "decision_service", "court_application"})


@dataclass
class ClockRow:
    name: str
    label: str
    source: str
    start: date
    end: date
    days_left: int
    extended: bool
    state: str  # running, ends_today, over (a window that closed), overdue (the authority is late)

    @property
    def days_past(self):
        return -self.days_left


def clock_rows(clocks):
    """procedure.clocks(case) as the legal-clock panel shows them: each with its state."""
    rows = []
    for clock in clocks:
        days_left = clock["days_left"]
        if days_left > 0:
            state = "running"
        elif days_left == 0:
            state = "ends_today"
        else:
            state = "overdue" if clock["name"] in AUTHORITY_DEADLINES else "over"
        rows.append(ClockRow(name=clock["name"], label=clock["label"], source=clock["source"], start=clock["start"],
                             end=clock["end"], days_left=days_left, extended=clock["extended"], state=state))
    return rows
