"""The case page as rendered: the record, the step line with its documents, the legal clocks and a form for each
action the user may take now. patrol.views serves it; the pages that act on a case and show their errors on it
(patrol.views.case_action, documents.views.record_service_page) render it again with the failed form open."""
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from patrol import ledger, presentation, procedure, selectors, steps, workflow
from patrol.choices import DEADLINE_STATUSES, PhotoStage


def render_case_page(request, pk, *, errors=None, failed_action=None, failed_service=None, status=200):
    """``errors`` (dotted field → messages, ``form`` → the message) belong to the form that failed: the action
    ``failed_action``, or the service form of the document ``failed_service`` (its id)."""
    case = get_object_or_404(selectors.case_detail_queryset(request.user), pk=pk)
    events = list(case.events.select_related("actor").order_by("seq"))
    photos = list(case.photos.all())
    by_stage = {stage: [p for p in photos if p.stage == stage] for stage in PhotoStage.values}
    today = timezone.localdate()
    # The party's deadline counts only while the case waits on it (DEADLINE_STATUSES): once the procedure moved on
    # (事先告知, review...), the legal-clock panel says what runs.
    days_left = (case.deadline - today).days if case.deadline and case.status in DEADLINE_STATUSES else None
    options = workflow.action_options(case, request.user)
    line = steps.step_line(case, events, options)
    timeline = _timeline_page(events, request.GET.get("before"))
    people = presentation.people_in(e.payload for e in timeline["events"])  # one query, however many assignments
    context = {
        "case": case,
        "events": [(e, presentation.event_label(e.action), presentation.status_label(e.from_status),
                    presentation.status_label(e.to_status), presentation.payload_lines(e.payload, people))
                   for e in timeline["events"]],
        "timeline": timeline,
        "before_photos": by_stage[PhotoStage.BEFORE] + by_stage[PhotoStage.NOTICE],
        "after_photos": by_stage[PhotoStage.AFTER] + by_stage[PhotoStage.DEMOLITION],
        "notices": case.notices.all(),
        "days_left": days_left,
        "overdue_days": -days_left if days_left is not None and days_left < 0 else None,
        # Forms for what the user may do now; the step line shows the rest of the state's actions, each with why not.
        "action_forms": [_action_form(option.spec, case, request, errors, failed_action)
                         for option in options if option.own and option.available],
        "steps": line,
        # The clocks run from the events and documents just read: no query of their own.
        "clocks": steps.clock_rows(procedure.clocks(case, today, events=events, documents=line.documents)),
        "form_error": (errors or {}).get("form") if failed_service is None else None,
        # The service forms under the step line's documents (documents' {% service_form %}) read these.
        "failed_service": failed_service,
        "service_errors": (errors or {}) if failed_service is not None else {},
        "today": today,
        "chain_ok": ledger.verify_case_chain(case, events) is None,
    }
    return render(request, "patrol/case.html", context, status=status)


# Events the record shows at a time (issue #20): the step line, the clocks and the chain check read the whole record,
# but only a page of it is formatted and sent, however long the case's history.
TIMELINE_PAGE = 50


def _timeline_page(events, before):
    """The page of ``events`` (in seq order) that ends just before seq ``before`` (the newest page without it), with
    what the links to older and newer pages need."""
    try:
        before = int(before) if before else None
    except ValueError:
        before = None
    total = len(events)
    # Positions count from 1, as seq does on an intact chain; a broken chain (shown as such) still pages.
    end = total if before is None else max(0, min(total, before - 1))
    start = max(0, end - TIMELINE_PAGE)
    page = events[start:end]
    return {
        "events": page, "total": total, "paged": total > TIMELINE_PAGE,
        "first": start + 1, "last": end,
        "older": start + 1 if start > 0 else None,  # ?before= of the page before this one
        "newer": end + TIMELINE_PAGE + 1 if end < total else None,
        "newest": end + TIMELINE_PAGE < total,
    }


def _action_form(spec, case, request, errors, failed_action):
    """What the form of one available action (its template, patrol/actions/_<name>.html) is rendered with."""
    failed = failed_action == spec.name
    return {
        "spec": spec,
        "fields": spec.input().fields,  # the input's choices (reasons, notice kinds...) fill the form's selects
        "choices": spec.form_choices(case) if spec.form_choices else {},
        "errors": (errors or {}) if failed else {},
        "data": request.POST if failed else {},
        "open": failed,
    }
