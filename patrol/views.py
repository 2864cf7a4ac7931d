"""Pages. Each page reads through patrol.selectors, so it only ever sees the user's jurisdiction."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError

from api.actions import check_action_allowed, run_action
from patrol import ledger, presentation, selectors, workflow
from patrol.choices import (
    OPEN_STATUSES,
    DismissReason,
    NoticeKind,
    PhotoStage,
    ReinspectionResult,
    Role,
    ServiceMethod,
    Status,
)
from patrol.errors import DomainError, StaleCase
from patrol.models import Case, User

MAP_ROLES = {Role.SUPERVISOR, Role.LEGAL_REVIEWER, Role.LEADER}


@login_required
def home(request):
    """The landing page by role: inspectors go to the field page, desk roles to the map."""
    role = request.user.role
    if role == Role.INSPECTOR:
        return redirect("field")
    if role in MAP_ROLES:
        return redirect("map")
    if request.user.is_staff:
        return redirect("admin:index")
    return render(request, "patrol/no_role.html", status=403)


@login_required
def field_page(request):
    today = timezone.localdate()
    mine = selectors.cases_for(request.user).filter(reported_by=request.user)
    context = {
        "today_count": mine.filter(created_at__date=today).count(),
        "recent_cases": mine.select_related("village").order_by("-created_at")[:10],
        "due_cases": selectors.cases_for(request.user)
        .filter(responsible=request.user, status=Status.RECTIFYING)
        .select_related("village").order_by("deadline")[:10],
        "today": today,
    }
    return render(request, "patrol/field.html", context)


@login_required
def map_page(request):
    today = timezone.localdate()
    month_start = today.replace(day=1)
    cases = selectors.cases_for(request.user)
    kpi = cases.aggregate(
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("pk", filter=Q(status=Status.RECTIFYING, deadline__lt=today)),
        closed_this_month=Count("pk", filter=Q(status=Status.CLOSED, closed_at__date__gte=month_start)),
        filed=Count("pk", filter=~Q(status__in=[Status.REPORTED, Status.DISMISSED])),
        closed=Count("pk", filter=Q(status=Status.CLOSED)),
    )
    kpi["rectification_rate"] = round(100 * kpi["closed"] / kpi["filed"]) if kpi["filed"] else None
    by_status = dict(cases.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return render(request, "patrol/map.html", {
        "kpi": kpi,
        "todo": _todo_cases(request.user, cases, today),
        "by_status": [(label, by_status.get(value, 0)) for value, label in Status.choices],
    })


def _todo_cases(user, cases, today):
    """What waits for this role: filing and overdue cases for supervisors, escalations for legal review."""
    overdue = Q(status=Status.RECTIFYING, deadline__lt=today)
    if user.role == Role.SUPERVISOR:
        waiting = Q(status__in=[Status.REPORTED, Status.ENFORCEMENT_DECIDED]) | overdue
    elif user.role == Role.LEGAL_REVIEWER:
        waiting = Q(status=Status.ESCALATED)
    else:
        waiting = overdue
    return cases.filter(waiting).select_related("village").order_by("deadline", "created_at")[:20]


@login_required
def case_page(request, pk, errors=None, failed_action=None, status=200):
    case = get_object_or_404(selectors.case_detail_queryset(request.user), pk=pk)
    events = list(case.events.select_related("actor").order_by("seq"))
    photos = list(case.photos.all())
    by_stage = {stage: [p for p in photos if p.stage == stage] for stage in PhotoStage.values}
    days_left = (case.deadline - timezone.localdate()).days if case.deadline and case.is_open else None
    actions = workflow.available_actions(case, request.user)
    context = {
        "case": case,
        "events": [(e, presentation.event_label(e.action), presentation.status_label(e.from_status),
                    presentation.status_label(e.to_status), presentation.payload_lines(e.payload)) for e in events],
        "before_photos": by_stage[PhotoStage.BEFORE] + by_stage[PhotoStage.NOTICE],
        "after_photos": by_stage[PhotoStage.AFTER] + by_stage[PhotoStage.DEMOLITION],
        "notices": case.notices.all(),
        "days_left": days_left,
        "overdue_days": -days_left if days_left is not None and days_left < 0 else None,
        "actions": actions,
        "errors": errors or {},
        "failed_action": failed_action,
        "form_data": request.POST if failed_action else {},
        "choices": {
            "dismiss_reasons": DismissReason.choices,
            "notice_kinds": [(k, NoticeKind(k).label) for k in (NoticeKind.STOP_CONSTRUCTION, NoticeKind.RECTIFY,
                                                                 NoticeKind.DEMOLISH_WITHIN_DEADLINE)],
            "service_methods": ServiceMethod.choices,
            "results": ReinspectionResult.choices,
            "inspectors": User.objects.filter(jurisdiction=case.jurisdiction, is_active=True,
                                              role__in=[Role.INSPECTOR, Role.SUPERVISOR]).order_by("username"),
        },
        "today": timezone.localdate(),
        "earliest_demolition": workflow.earliest_demolition_date(case),
        "chain_ok": ledger.verify_case_chain(case, events) is None,
    }
    return render(request, "patrol/case.html", context, status=status)


@login_required
@require_POST
def case_action(request, pk, action):
    """The case page's forms: the same body validation and service as the API, errors shown on the page."""
    case = get_object_or_404(selectors.cases_for(request.user), pk=pk)
    data = {key: value for key, value in request.POST.items() if key not in ("csrfmiddlewaretoken", "version")}
    for list_field in ("photos",):
        data.pop(list_field, None)
    if any(key.startswith("service.") for key in data):
        data["service"] = {key.split(".", 1)[1]: data.pop(key) for key in list(data) if key.startswith("service.")}
        data["service"] = {k: v for k, v in data["service"].items() if v != ""}
    data = {k: v for k, v in data.items() if v != ""}
    try:
        expected_version = int(request.POST.get("version", ""))
    except ValueError:
        expected_version = -1
    try:
        # Photos and the action succeed or fail together, on the version of the case the user saw.
        with transaction.atomic():
            locked = Case.objects.select_for_update().get(pk=case.pk)
            if locked.version != expected_version:
                raise StaleCase()
            check_action_allowed(locked, request.user, action)
            photo_ids = _store_uploaded_photos(request, locked, action)
            if action == "issue_notice" and photo_ids:
                # The photo of the served or posted notice is part of the service record (送达).
                data.setdefault("service", {})["photo"] = photo_ids[0]
                photo_ids = []
            current_version = Case.objects.values_list("version", flat=True).get(pk=case.pk)
            run_action(case=locked, user=request.user, action=action, data=data, expected_version=current_version,
                       extra_photos=photo_ids)
    except ValidationError as exc:
        return case_page(request, pk, errors=_form_errors(exc.detail), failed_action=action, status=400)
    except DomainError as exc:
        errors = {"form": [str(exc.message)],
                  **{k.replace(".", "_"): [str(m) for m in v] for k, v in exc.fields.items()}}
        return case_page(request, pk, errors=errors, failed_action=action, status=exc.http_status)
    messages.success(request, _("已%(action)s") % {"action": workflow.ACTIONS[action].label})
    return redirect("case", pk=pk)


PHOTO_STAGE_FOR_ACTION = {"reinspect": PhotoStage.AFTER, "execute_demolition": PhotoStage.DEMOLITION,
                          "comment": PhotoStage.BEFORE, "issue_notice": PhotoStage.NOTICE}


def _store_uploaded_photos(request, case, action):
    files = request.FILES.getlist("photo_files")
    if not files:
        return []
    from patrol.photos import store_uploaded_photo

    stage = PHOTO_STAGE_FOR_ACTION.get(action, PhotoStage.BEFORE)
    return [store_uploaded_photo(case=case, actor=request.user, upload=f, stage=stage).pk for f in files]


def _form_errors(detail):
    errors = {}
    for key, value in detail.items():
        if isinstance(value, dict):
            for sub, messages_ in _form_errors(value).items():
                errors[f"{key}_{sub}"] = messages_
        else:
            errors[key] = [str(v) for v in (value if isinstance(value, list) else [value])]
    return errors


@login_required
def notice_print(request, pk, notice_pk):
    """The notice in the layout of an official enforcement document, for printing."""
    notice = get_object_or_404(selectors.notices_for(request.user).select_related("case__jurisdiction",
                                                                                  "case__village"),
                               pk=notice_pk, case_id=pk)
    case = notice.case
    village = case.village.name if case.village else ""
    place = case.address if case.address.startswith(village) else f"{village}{case.address}"
    return render(request, "patrol/notice_print.html", {"notice": notice, "case": case, "place": place,
                                                        "jurisdiction": case.jurisdiction})
