"""公示及时率 (DOMAIN.md "What leaders measure", 执法公示): defined here once; the summaries and the map's KPI strip
show it.

For a period [start, end] of local dates and a jurisdiction:

- ``disclosure_due`` 应公示: decisions whose last day to publish (``due_on``) falls in the period and has come
  (a decision revoked before it was ever published is not due: it is never put up);
- ``disclosure_on_time`` 按时公示: those of them published on or before that day (local date);
- ``disclosure_rate`` 公示及时率: on time ÷ due, in percent (None when nothing was due);
- ``disclosure_held_overdue`` 暂缓超期: entries held back by a supervisor and still not public after their last day
  (now, whatever the period) — the flag the issue asks for.
"""
from django.db.models import Count, F, Q
from django.utils import timezone

from disclosure.models import PublishedDecision

KEYS = ("disclosure_due", "disclosure_on_time", "disclosure_rate", "disclosure_held_overdue")


def _percent(part, whole):
    return round(100 * part / whole, 1) if whole else None


def timeliness(jurisdiction, period, today=None, campaign=None):
    """The numbers above for ``period`` (a patrol.kpis.Period); a campaign's are its cases' decisions only."""
    today = today or timezone.localdate()
    last = min(period.end, today)
    never_up = Q(withdrawn_at__isnull=False, published_at__isnull=True)
    due = Q(due_on__gte=period.start, due_on__lte=last) & ~never_up
    entries = PublishedDecision.objects.filter(jurisdiction=jurisdiction)
    if campaign is not None:
        entries = entries.filter(document__case__campaign=campaign)
    sums = entries.aggregate(
        due=Count("pk", filter=due),
        on_time=Count("pk", filter=due & Q(published_at__date__lte=F("due_on"))),
        held_overdue=Count("pk", filter=Q(held_back_at__isnull=False, published_at__isnull=True, due_on__lt=today)
                           & ~never_up),
    )
    return {"disclosure_due": sums["due"], "disclosure_on_time": sums["on_time"],
            "disclosure_rate": _percent(sums["on_time"], sums["due"]),
            "disclosure_held_overdue": sums["held_overdue"]}


def add_to_summary(numbers, scope, period, today):
    """Put 公示及时率 and the late holds into a summary's overall figures (patrol.kpis.build_summary's shape), for the
    period and the previous one, with the change: the summaries show them beside the case KPIs."""
    overall = numbers["overall"]
    current = timeliness(scope.jurisdiction, period, today, scope.campaign)
    previous = timeliness(scope.jurisdiction, period.previous, today, scope.campaign)
    for key in ("disclosure_rate", "disclosure_held_overdue"):
        overall["current"][key], overall["previous"][key] = current[key], previous[key]
        before = previous[key]
        overall["change"][key] = (None if current[key] is None or before is None
                                  else round(current[key] - before, 1))
    return numbers
