"""Pages. Each page reads through patrol.selectors, so it only ever sees the user's jurisdiction."""
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils import timezone

from patrol import selectors
from patrol.choices import OPEN_STATUSES, Role, Status

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
        "by_status": [(label, by_status.get(value, 0)) for value, label in Status.choices],
    })
