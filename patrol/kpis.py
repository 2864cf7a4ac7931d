"""The KPIs leaders read (DOMAIN.md, "What leaders measure"), defined once: the summaries (summaries.services),
the map's KPI strip (api.map, patrol.map_views) and the exports all count with the measures below.

What each number means, for a period [start, end] of local dates (Asia/Shanghai) and a scope (a campaign: its
cases and its campaign patrols; a jurisdiction: all of its cases and patrols):

- ``new_findings`` 新发现线索: cases registered (``created_at``) in the period;
- ``filed`` 立案: cases whose ``file`` event falls in the period;
- ``closed`` 结案: cases closed (status ``closed``; dismissed ones are not) in the period;
- ``rectification_rate`` 整改率: closed ÷ filed, in percent, over the cases filed in the period: those of them
  closed by the period's end ÷ all of them. (Closures of cases filed earlier count in ``closed``, not here, so
  the rate never exceeds 100 % and reads as the share of the period's cases put right.)
- ``on_time_rate`` 按期结案率: closed on time ÷ closed; on time means the local date of ``closed_at`` is on or
  before the case's deadline (the last one: an extended deadline replaces the first);
- ``overdue_now`` 当前逾期: waiting on a deadline (ordered, decided, reminded, announced) that passed before the
  day the summary is built (the previous
  figure is the one the previous summary of the same scope and kind stored);
- ``late_now`` 超过办案期限: filed, not yet decided, and past the 办案期限 (90 days from 立案 unless extended with a
  recorded reason, 行政处罚法 第60条) before the day the summary is built (``late_q``);
- ``demolished_area_m2`` 拆除面积: estimated area of the cases closed in the period as ``forcibly_demolished``
  or ``demolished_by_party``;
- ``mean_days_to_close`` 平均办结天数: mean of ``closed_at − created_at`` over the cases closed in the period;
- ``patrols`` / ``patrol_km`` 巡查次数 / 巡查里程: patrols started in the period and their distance;
- ``villages_not_patrolled`` 近7日未巡查村: villages of the scope with no patrol (of any kind) in the 7 days up
  to the end of the period.

Each is given overall, by village, by category and by inspector (the responsible inspector of a case; the
patrolling inspector of a patrol), for the period and the previous period of the same length, with the change.
The case figures of all three breakdowns come from one query grouped by (village, category, inspector) and
are added up here over those groups (dozens or hundreds of rows, never the cases); every figure is a count or
a sum, so the totals are exact.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal

from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    FloatField,
    Func,
    Max,
    OuterRef,
    Q,
    Sum,
)
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from gis.models import Village
from patrol.choices import OPEN_STATUSES, Category, Resolution, Role, Status
from patrol.models import Campaign, Case, CaseEvent, Patrol, User, late_q, overdue_q

DEMOLISHED = [Resolution.FORCIBLY_DEMOLISHED, Resolution.DEMOLISHED_BY_PARTY]
RECENT_PATROL_DAYS = 7
CHART_WEEKS = 12
OVERDUE_LIST_LIMIT = 100

TIME_TO_CLOSE = ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField())


def local_midnight(day):
    return timezone.make_aware(datetime.combine(day, clock.min))


@dataclass(frozen=True)
class Period:
    """Local dates, both inclusive."""

    start: date
    end: date

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError("a period ends on or after its start")

    @property
    def days(self):
        return (self.end - self.start).days + 1

    @property
    def previous(self):
        """The period of the same length just before this one."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def bounds(self):
        """[start, end) as aware datetimes: local midnight of the first day and of the day after the last."""
        return local_midnight(self.start), local_midnight(self.end + timedelta(days=1))

    def as_json(self):
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "days": self.days}


@dataclass(frozen=True)
class Scope:
    """A campaign (its cases and its campaign patrols) or a whole jurisdiction."""

    jurisdiction: object
    campaign: object = None

    @classmethod
    def for_campaign(cls, campaign):
        return cls(campaign.jurisdiction, campaign)

    @classmethod
    def of(cls, summary):
        return cls(summary.jurisdiction, summary.campaign)

    @property
    def key(self):
        return f"campaign-{self.campaign.pk}" if self.campaign else f"jurisdiction-{self.jurisdiction.pk}"

    @property
    def name(self):
        return self.campaign.name if self.campaign else self.jurisdiction.name

    def cases(self):
        cases = Case.objects.for_jurisdiction(self.jurisdiction)
        return cases.filter(campaign=self.campaign) if self.campaign else cases

    def patrols(self):
        patrols = Patrol.objects.for_jurisdiction(self.jurisdiction)
        return patrols.filter(campaign=self.campaign) if self.campaign else patrols


def current_period(campaign, today=None):
    """A campaign's own period up to today (its whole period once it has ended)."""
    today = today or timezone.localdate()
    return Period(campaign.starts_on, min(max(today, campaign.starts_on), campaign.ends_on))


# --- the numbers ------------------------------------------------------------------------------------------


def build_summary(scope, period, *, now=None):
    """The KPIs of ``scope`` for ``period`` and the previous period, as a JSON-ready dict (about 8 queries)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    previous = period.previous
    cur_lo, cur_hi = period.bounds()
    prev_lo, prev_hi = previous.bounds()

    case_rows = _case_groups(scope, period, today)
    patrol_rows = list(
        scope.patrols().filter(started_at__gte=prev_lo, started_at__lt=cur_hi).values("inspector_id").annotate(
            cur_patrols=Count("pk", filter=Q(started_at__gte=cur_lo)),
            cur_metres=Sum("distance_m", filter=Q(started_at__gte=cur_lo)),
            prev_patrols=Count("pk", filter=Q(started_at__lt=prev_hi)),
            prev_metres=Sum("distance_m", filter=Q(started_at__lt=prev_hi)),
        ).order_by())
    village_patrols = _village_patrols(scope, period)
    villages = _villages(scope)
    user_ids = {row["responsible_id"] for row in case_rows} | {row["inspector_id"] for row in patrol_rows}
    people = {pk: (f"{last}{first}".strip() or username) for pk, last, first, username in User.objects.filter(
        Q(pk__in=[pk for pk in user_ids if pk is not None])
        | Q(jurisdiction=scope.jurisdiction, role=Role.INSPECTOR, is_active=True)
    ).values_list("pk", "last_name", "first_name", "username")}

    # Add the (village, category, inspector) groups up into the three breakdowns and the total.
    overall, by_village, by_category, by_inspector = {}, {}, {}, {}
    for row in case_rows:
        for into in (overall, by_village.setdefault(row["village_id"], {}),
                     by_category.setdefault(row["category"], {}), by_inspector.setdefault(row["responsible_id"], {})):
            _add(into, row)
    for row in patrol_rows:
        _add(overall, row)
        _add(by_inspector.setdefault(row["inspector_id"], {}), row)

    recent_since = cur_hi - timedelta(days=RECENT_PATROL_DAYS)
    recent_since_before = prev_hi - timedelta(days=RECENT_PATROL_DAYS)
    village_entries = []
    not_patrolled, not_patrolled_before = [], 0
    scope_villages = {pk for pk, (name, in_scope) in villages.items() if in_scope}
    for village_id in sorted(scope_villages | set(by_village), key=lambda pk: (villages.get(pk, ("~",))[0], pk or 0)):
        name = villages[village_id][0] if village_id in villages else _("（未定位到村）")
        patrols = village_patrols.get(village_id, {})
        last, last_before = patrols.get("last_patrol"), patrols.get("last_patrol_before")
        recently = last is not None and last >= recent_since
        if village_id in scope_villages:
            if not recently:
                not_patrolled.append({"id": village_id, "name": name, "last_patrol": _iso_local(last)})
            if last_before is None or last_before < recent_since_before:
                not_patrolled_before += 1
        entry = _with_kpis({"id": village_id, "name": name, "last_patrol": _iso_local(last),
                            "patrolled_recently": recently}, by_village.get(village_id, {}),
                           {"cur_patrols": patrols.get("cur_patrols", 0),
                            "prev_patrols": patrols.get("prev_patrols", 0),
                            "cur_metres": patrols.get("cur_metres") or 0.0,
                            "prev_metres": patrols.get("prev_metres") or 0.0})
        village_entries.append(entry)

    overall_entry = _with_kpis({}, overall, {}, villages_not_patrolled=(len(not_patrolled), not_patrolled_before))
    inspector_ids = sorted(set(by_inspector) | set(people), key=lambda pk: (pk is None, people.get(pk, ""), pk or 0))
    return {
        "version": 1,
        "scope": {"type": "campaign" if scope.campaign else "jurisdiction",
                  "id": scope.campaign.pk if scope.campaign else scope.jurisdiction.pk, "name": scope.name,
                  "jurisdiction": {"id": scope.jurisdiction.pk, "code": scope.jurisdiction.code,
                                   "name": scope.jurisdiction.name}},
        "period": period.as_json(),
        "previous_period": previous.as_json(),
        "as_of": today.isoformat(),
        "generated_at": now.isoformat(),
        "overall": overall_entry,
        "by_village": village_entries,
        "by_category": [_with_kpis({"id": value}, by_category.get(value, {}), {}) for value in Category.values],
        "by_inspector": [
            _with_kpis({"id": pk, "name": people.get(pk) or _("（未指派）")}, by_inspector.get(pk, {}), {})
            for pk in inspector_ids],
        "villages_not_patrolled": not_patrolled,
        "overdue_cases": _overdue_cases(scope, today),
        "weekly": _weekly(scope, period),
    }


def with_filing(cases):
    """``cases`` joined to their 立案 event, which ``period_measures`` reads. A case is filed once (reported →
    filed), so the join adds no rows."""
    return cases.annotate(filing=FilteredRelation("events", condition=Q(events__action="file")))


def overdue_measure(today):
    """The figures of the day rather than of a period: overdue (a deadline passed) and late (the 办案期限 passed)."""
    return {"overdue_now": Count("pk", filter=overdue_q(today)), "late_now": Count("pk", filter=late_q(today))}


def period_measures(period, label):
    """The aggregates, named ``{label}_…``, that every case KPI of ``period`` is computed from (``period_kpis``),
    over cases ``with_filing``."""
    lo, hi = period.bounds()
    closed = Q(status=Status.CLOSED, closed_at__gte=lo, closed_at__lt=hi)
    filed = Q(filing__created_at__gte=lo, filing__created_at__lt=hi)
    return {
        f"{label}_new": Count("pk", filter=Q(created_at__gte=lo, created_at__lt=hi)),
        f"{label}_filed": Count("pk", filter=filed),
        # 整改率's numerator: of the cases filed in the period, those closed by its end.
        f"{label}_filed_closed": Count("pk", filter=filed & Q(status=Status.CLOSED, closed_at__lt=hi)),
        f"{label}_closed": Count("pk", filter=closed),
        # On time: closed on or before the (last) deadline, by the local date of closing.
        f"{label}_on_time": Count("pk", filter=closed & Q(closed_at__date__lte=F("deadline"))),
        f"{label}_demolished_m2": Sum("estimated_area_m2", filter=closed & Q(resolution__in=DEMOLISHED)),
        f"{label}_days_to_close": Sum(TIME_TO_CLOSE, filter=closed),
    }


def this_month(today):
    """The map strip's default period: the month so far."""
    return Period(today.replace(day=1), today)


# Which cases each measure of ``period_measures`` can count: those registered, closed or filed (立案) in the period.
# Each is an index range ((jurisdiction, created_at), the closed cases' (jurisdiction, closed_at) with the columns the
# measures read, the file events' created_at), so the KPI strip reads the period's cases, not the jurisdiction's
# joined to their events (issue #20). A measure not named here is counted over all three.
MEASURE_CASES = {"new": "registered", "filed": "filed", "filed_closed": "filed", "closed": "closed",
                 "on_time": "closed", "demolished_m2": "closed", "days_to_close": "closed"}


def period_sums(cases, period, label, *, filed=None):
    """The aggregates of ``period_measures(period, label)`` over ``cases``, each counted over the cases it can
    count (MEASURE_CASES), which gives the same numbers as over all of ``cases``.

    ``filed``: (filed, filed and closed by the period's end) of all of ``cases`` when the caller has them
    (patrol.rollup.filings, for a whole jurisdiction); otherwise they are counted here."""
    lo, hi = period.bounds()
    plain = with_filing(cases.order_by())
    subsets = {
        "registered": plain.filter(created_at__gte=lo, created_at__lt=hi),
        "closed": plain.filter(status=Status.CLOSED, closed_at__gte=lo, closed_at__lt=hi),
        "filed": plain.filter(filing__created_at__gte=lo, filing__created_at__lt=hi),
    }
    measures = period_measures(period, label)
    groups = {}
    for name, measure in measures.items():
        groups.setdefault(MEASURE_CASES.get(name.removeprefix(f"{label}_")), {})[name] = measure
    sums = {}
    if filed is not None:
        groups.pop("filed", None)
        sums[f"{label}_filed"], sums[f"{label}_filed_closed"] = filed
    for subset, chosen in groups.items():
        if subset is None:
            registered, closed, filings = (subsets[key].values("pk") for key in ("registered", "closed", "filed"))
            sums.update(plain.filter(pk__in=registered.union(closed, filings)).aggregate(**chosen))
        else:
            sums.update(subsets[subset].aggregate(**chosen))
    return sums


def case_kpis(cases, today, period=None, *, now_counts=None, filed=None):
    """The map's KPI strip for a filtered set of cases: open and overdue now, counts by status, and the case KPIs
    of ``period`` (this month unless given), with the same measures and formulas as a summary's.

    ``now_counts``: ({status: count}, overdue) of all of ``cases`` when the caller has them (patrol.rollup, for a
    whole jurisdiction); otherwise they are counted here. ``filed``: the same for the period's filings
    (patrol.rollup.filings).
    """
    period = period or this_month(today)
    sums = period_sums(cases, period, "cur", filed=filed)
    if now_counts is None:
        by_status = {f"status_{value}": Count("pk", filter=Q(status=value)) for value in Status.values}
        counted = cases.order_by().aggregate(**overdue_measure(today), **by_status)
        now_counts = ({value: counted[f"status_{value}"] for value in Status.values}, counted["overdue_now"])
        late = counted["late_now"]
    else:
        # The rollup keeps statuses and overdue; late (办案期限 passed, 行政处罚法 第60条) is one indexed count.
        late = cases.order_by().filter(late_q(today)).count()
    statuses, overdue = now_counts
    numbers = {key: value for key, value in period_kpis(sums, "cur").items() if key in CASE_PERIOD_KPIS}
    return {"period": period.as_json(), "open": sum(statuses.get(value, 0) for value in OPEN_STATUSES),
            "overdue": overdue, "late": late, **numbers,
            "by_status": {value: statuses.get(value, 0) for value in Status.values}}


def _case_groups(scope, period, today):
    """One grouped query: every case measure for both periods, per (village, category, responsible inspector)."""
    measures = {**overdue_measure(today), **period_measures(period, "cur"), **period_measures(period.previous, "prev")}
    since = period.previous.bounds()[0]
    # Only cases that can count: registered, filed or closed (status closed: the measures count no other) since the
    # previous period began, or open with a deadline passed (a superset of overdue now), or late now — each set read
    # from an index alone, and their union joined to the 立案 events. (As one OR over the join, the database joined
    # every case of the jurisdiction to its events first: seconds at a million cases, issue #20.) The filed set is
    # the 立案 events' case ids alone: the outer query keeps the scope's cases, so it need not look each case up.
    cases = scope.cases().order_by()
    relevant = cases.filter(created_at__gte=since).values("pk").union(
        cases.filter(status=Status.CLOSED, closed_at__gte=since).values("pk"),
        cases.filter(status__in=OPEN_STATUSES, deadline__lt=today).values("pk"),
        cases.filter(late_q(today)).values("pk"),
        CaseEvent.objects.filter(action="file", created_at__gte=since).order_by().values("case_id"))
    return list(
        with_filing(scope.cases().filter(pk__in=relevant))
        .values("village_id", "category", "responsible_id")
        .annotate(**measures)
        .order_by()
    )


class MetresInside(Func):
    """Geodesic metres of a track inside a boundary: the length of their intersection on the spheroid."""

    output_field = FloatField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="ST_Length(ST_Intersection(%(expressions)s)::geography)",
                           **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="GeodesicLength(Intersection(%(expressions)s))",
                           **extra_context)


def _village_patrols(scope, period):
    """Per village: patrols of the scope in both periods with the distance walked inside the village, and the last
    patrol of any kind before each period's end.

    A patrol's distance counts in each village by the part of its track inside that village's boundary (issue #18:
    every village showed 0 km while the patrols' total was right), computed by the database.
    """
    cur_lo, cur_hi = period.bounds()
    prev_lo, prev_hi = period.previous.bounds()
    of_scope = Q(patrol__campaign=scope.campaign) if scope.campaign else Q()
    in_current = of_scope & Q(patrol__started_at__gte=cur_lo)
    in_previous = of_scope & Q(patrol__started_at__gte=prev_lo, patrol__started_at__lt=prev_hi)
    inside = MetresInside("patrol__track", "village__boundary")
    through = Patrol.villages.through
    rows = (through.objects.filter(patrol__jurisdiction=scope.jurisdiction, patrol__started_at__lt=cur_hi)
            .values("village_id").annotate(
                cur_patrols=Count("patrol_id", filter=in_current),
                prev_patrols=Count("patrol_id", filter=in_previous),
                cur_metres=Sum(inside, filter=in_current & Q(patrol__track__isnull=False)),
                prev_metres=Sum(inside, filter=in_previous & Q(patrol__track__isnull=False)),
                last_patrol=Max("patrol__started_at"),
                last_patrol_before=Max("patrol__started_at", filter=Q(patrol__started_at__lt=prev_hi)),
            ).order_by())
    return {row["village_id"]: row for row in rows}


def _villages(scope):
    """{id: (name, in scope)}: a campaign's villages, or all of the jurisdiction's when it names none."""
    villages = Village.objects.filter(jurisdiction=scope.jurisdiction)
    if scope.campaign is None:
        return {pk: (name, True) for pk, name in villages.values_list("pk", "name")}
    chosen = Campaign.villages.through.objects.filter(campaign_id=scope.campaign.pk, village_id=OuterRef("pk"))
    rows = list(villages.annotate(chosen=Exists(chosen)).values_list("pk", "name", "chosen"))
    every = not any(chosen for _pk, _name, chosen in rows)
    return {pk: (name, every or chosen) for pk, name, chosen in rows}


def _overdue_cases(scope, today):
    # The (jurisdiction, deadline) index hands a jurisdiction's cases over in deadline order; a campaign's are
    # scattered through it, and walking it past every older deadline of the jurisdiction took 0.8 s at a million
    # cases against 40 ms for sorting the campaign's overdue cases (bench/summary.py). NULLS FIRST, which that
    # index cannot give, makes PostgreSQL sort; it changes nothing else (a case without a deadline is never overdue).
    deadline_first = F("deadline").asc(nulls_first=True) if scope.campaign is not None else "deadline"
    rows = (scope.cases().overdue(today)
            .order_by(deadline_first, "pk")
            .values_list("pk", "reference", "village__name", "address", "deadline", "responsible__last_name",
                         "responsible__first_name", "responsible__username")[:OVERDUE_LIST_LIMIT])
    return [{"id": pk, "reference": reference, "village": village or "", "address": address,
             "deadline": deadline.isoformat(), "days_overdue": (today - deadline).days,
             "responsible": f"{last or ''}{first or ''}".strip() or (username or "")}
            for pk, reference, village, address, deadline, last, first, username in rows]


def _weekly(scope, period):
    """New findings and closures per week (Monday to Sunday), for the weeks up to the end of the period."""
    last_monday = period.end - timedelta(days=period.end.weekday())
    first_monday = last_monday - timedelta(weeks=CHART_WEEKS - 1)
    if scope.campaign is not None:
        first_monday = max(first_monday, scope.campaign.starts_on - timedelta(days=scope.campaign.starts_on.weekday()))
        first_monday = min(first_monday, last_monday)
    lo, hi = local_midnight(first_monday), period.bounds()[1]
    found = (scope.cases().filter(created_at__gte=lo, created_at__lt=hi).annotate(week=TruncWeek("created_at"))
             .values("week").annotate(n=Count("pk")).order_by())
    closed = (scope.cases().filter(status=Status.CLOSED, closed_at__gte=lo, closed_at__lt=hi)
              .annotate(week=TruncWeek("closed_at")).values("week").annotate(n=Count("pk")).order_by())
    found = {timezone.localtime(row["week"]).date(): row["n"] for row in found}
    closed = {timezone.localtime(row["week"]).date(): row["n"] for row in closed}
    weeks = []
    monday = first_monday
    while monday <= last_monday:
        weeks.append({"week": monday.isoformat(), "new_findings": found.get(monday, 0), "closed": closed.get(monday, 0)})
        monday += timedelta(weeks=1)
    return weeks


def _add(into, row):
    for key, value in row.items():
        if key in ("village_id", "category", "responsible_id", "inspector_id") or value is None:
            continue
        into[key] = into[key] + value if key in into else value


def _percent(part, whole):
    return round(100 * part / whole, 1) if whole else None


# The KPIs of a period that are counted over cases (the others count patrols).
CASE_PERIOD_KPIS = ("new_findings", "filed", "closed", "closed_on_time", "rectification_rate", "on_time_rate",
                    "demolished_area_m2", "mean_days_to_close")


def period_kpis(sums, period_label):
    """The KPIs of one period from the sums of ``period_measures`` (and of the patrols), named as in DOMAIN.md."""
    def get(name, default=0):
        value = sums.get(f"{period_label}_{name}")
        return default if value is None else value

    closed, filed, on_time = get("closed"), get("filed"), get("on_time")
    days = get("days_to_close", None)
    return {
        "new_findings": get("new"),
        "filed": filed,
        "closed": closed,
        "closed_on_time": on_time,
        "rectification_rate": _percent(get("filed_closed"), filed),
        "on_time_rate": _percent(on_time, closed),
        "demolished_area_m2": float(round(Decimal(get("demolished_m2")), 1)),
        "mean_days_to_close": round(days.total_seconds() / 86400 / closed, 1) if closed and days is not None else None,
        "patrols": get("patrols"),
        "patrol_km": round(get("metres") / 1000, 1),
    }


def _with_kpis(entry, case_sums, patrol_sums, villages_not_patrolled=None):
    sums = {**case_sums, **patrol_sums}
    current, previous = period_kpis(sums, "cur"), period_kpis(sums, "prev")
    current["overdue_now"], previous["overdue_now"] = sums.get("overdue_now", 0), None
    current["late_now"], previous["late_now"] = sums.get("late_now", 0), None
    if villages_not_patrolled is not None:
        current["villages_not_patrolled"], previous["villages_not_patrolled"] = villages_not_patrolled
    change = {key: (round(value - previous[key], 1) if isinstance(value, float) else value - previous[key])
              if value is not None and previous.get(key) is not None else None for key, value in current.items()}
    return {**entry, "current": current, "previous": previous, "change": change}


def _iso_local(moment):
    return timezone.localtime(moment).date().isoformat() if moment else None
