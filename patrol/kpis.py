"""The KPIs leaders read (DOMAIN.md, "What leaders measure"), defined once for the map, the summaries and the
exports."""
from django.db.models import Count, Q

from patrol.choices import OPEN_STATUSES, Status
from patrol.models import overdue_q


def case_kpis(queryset, today):
    """The KPI strip of the map page (DOMAIN.md, What leaders measure) for a filtered set of cases."""
    month_start = today.replace(day=1)
    counts = {f"status_{value}": Count("pk", filter=Q(status=value)) for value in Status.values}
    kpi = queryset.aggregate(
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("pk", filter=overdue_q(today)),
        closed_this_month=Count("pk", filter=Q(status=Status.CLOSED, closed_at__date__gte=month_start)),
        filed=Count("pk", filter=~Q(status__in=[Status.REPORTED, Status.DISMISSED])),
        closed=Count("pk", filter=Q(status=Status.CLOSED)),
        **counts,
    )
    kpi["by_status"] = {value: kpi.pop(f"status_{value}") for value in Status.values}
    # 整改率: closed ÷ filed.
    kpi["rectification_rate"] = round(100 * kpi["closed"] / kpi["filed"]) if kpi["filed"] else None
    return kpi
