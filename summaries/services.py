"""Summaries (汇总报告): the KPIs leaders read (DOMAIN.md, "What leaders measure"), built with a few grouped
SQL aggregates, stored with their charts and ledger, and emailed once per recipient and period.

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
- ``overdue_now`` 当前逾期: waiting on a deadline (ordered, decided, reminded, announced) that passed before the day the summary is built (the previous
  figure is the one the previous summary of the same scope and kind stored);
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
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from io import BytesIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, DurationField, Exists, ExpressionWrapper, F, FilteredRelation, Max, OuterRef, Q, Sum
from django.db.models.functions import TruncWeek
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from gis.models import Village
from patrol.choices import DEADLINE_STATUSES, OPEN_STATUSES, CampaignStatus, Category, Resolution, Role, Status, SummarySchedule
from patrol.errors import InvalidInput, NotAllowed, NotFound
from patrol.models import Campaign, Case, Patrol, User, overdue_q
from core.queue import enqueue_on_commit
from exports.formats import write_ledger_xlsx
from notifications.models import Delivery
from notifications.services import record_email
from summaries import charts
from summaries.models import JurisdictionSummarySchedule, Summary

logger = logging.getLogger(__name__)

DEMOLISHED = [Resolution.FORCIBLY_DEMOLISHED, Resolution.DEMOLISHED_BY_PARTY]
RECENT_PATROL_DAYS = 7
CHART_WEEKS = 12
OVERDUE_LIST_LIMIT = 100
# Scheduled summaries go out at 08:00 local time: daily for the day before, weekly on Monday for the week
# before (Monday to Sunday), monthly on the 1st for the month before (patrol.choices.SummarySchedule).
SEND_AT = clock(8, 0)
# A closed campaign gets its close-out report if it ended within this many days (not every old campaign
# the first time this runs).
CLOSEOUT_WITHIN_DAYS = 30
# A requested summary still not built after this long lost its task (broker down, worker died): queue it again.
REQUEUE_AFTER = timedelta(minutes=2)

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
                            "prev_patrols": patrols.get("prev_patrols", 0)})
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


def _case_groups(scope, period, today):
    """One grouped query: every case measure for both periods, per (village, category, responsible inspector)."""
    measures = {"overdue_now": Count("pk", filter=overdue_q(today))}
    for label, part in (("cur", period), ("prev", period.previous)):
        lo, hi = part.bounds()
        closed = Q(status=Status.CLOSED, closed_at__gte=lo, closed_at__lt=hi)
        filed = Q(filing__created_at__gte=lo, filing__created_at__lt=hi)
        measures.update({
            f"{label}_new": Count("pk", filter=Q(created_at__gte=lo, created_at__lt=hi)),
            f"{label}_filed": Count("pk", filter=filed),
            # 整改率's numerator: of the cases filed in the period, those closed by its end.
            f"{label}_filed_closed": Count("pk", filter=filed & Q(status=Status.CLOSED, closed_at__lt=hi)),
            f"{label}_closed": Count("pk", filter=closed),
            # On time: closed on or before the (last) deadline, by the local date of closing.
            f"{label}_on_time": Count("pk", filter=closed & Q(closed_at__date__lte=F("deadline"))),
            f"{label}_demolished_m2": Sum("estimated_area_m2", filter=closed & Q(resolution__in=DEMOLISHED)),
            f"{label}_days_to_close": Sum(TIME_TO_CLOSE, filter=closed),
        })
    since = period.previous.bounds()[0]
    # Only cases that can count: registered, filed or closed since the previous period began, or waiting on a deadline.
    relevant = (Q(created_at__gte=since) | Q(closed_at__gte=since) | Q(status__in=DEADLINE_STATUSES)
                | Q(filing__created_at__gte=since))
    return list(
        scope.cases()
        # A case is filed once (reported → filed), so this join adds no rows.
        .annotate(filing=FilteredRelation("events", condition=Q(events__action="file")))
        .filter(relevant)
        .values("village_id", "category", "responsible_id")
        .annotate(**measures)
        .order_by()
    )


def _village_patrols(scope, period):
    """Per village: patrols of the scope in both periods, and the last patrol of any kind before each period's end."""
    cur_lo, cur_hi = period.bounds()
    prev_lo, prev_hi = period.previous.bounds()
    of_scope = Q(patrol__campaign=scope.campaign) if scope.campaign else Q()
    through = Patrol.villages.through
    rows = (through.objects.filter(patrol__jurisdiction=scope.jurisdiction, patrol__started_at__lt=cur_hi)
            .values("village_id").annotate(
                cur_patrols=Count("patrol_id", filter=of_scope & Q(patrol__started_at__gte=cur_lo)),
                prev_patrols=Count("patrol_id", filter=of_scope & Q(patrol__started_at__gte=prev_lo,
                                                                     patrol__started_at__lt=prev_hi)),
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
    rows = (scope.cases().filter(overdue_q(today))
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


def _kpis(sums, period_label):
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
    current, previous = _kpis(sums, "cur"), _kpis(sums, "prev")
    current["overdue_now"], previous["overdue_now"] = sums.get("overdue_now", 0), None
    if villages_not_patrolled is not None:
        current["villages_not_patrolled"], previous["villages_not_patrolled"] = villages_not_patrolled
    change = {key: (round(value - previous[key], 1) if isinstance(value, float) else value - previous[key])
              if value is not None and previous.get(key) is not None else None for key, value in current.items()}
    return {**entry, "current": current, "previous": previous, "change": change}


def _iso_local(moment):
    return timezone.localtime(moment).date().isoformat() if moment else None


# --- presentation (emails and pages) ----------------------------------------------------------------------

KPI_LABELS = {
    "new_findings": gettext_lazy("新发现线索"),
    "filed": pgettext_lazy("a count of cases", "立案"),  # "Filed", not the action "File"
    "closed": gettext_lazy("结案"),
    "rectification_rate": gettext_lazy("整改率"),
    "on_time_rate": gettext_lazy("按期结案率"),
    "overdue_now": gettext_lazy("当前逾期"),
    "demolished_area_m2": gettext_lazy("拆除面积（㎡）"),
    "mean_days_to_close": gettext_lazy("平均办结天数"),
    "patrols": gettext_lazy("巡查次数"),
    "patrol_km": gettext_lazy("巡查里程（公里）"),
    "villages_not_patrolled": gettext_lazy("近7日未巡查村"),
}
OVERALL_KPIS = list(KPI_LABELS)
CASE_KPIS = ["new_findings", "filed", "closed", "rectification_rate", "on_time_rate", "overdue_now",
             "demolished_area_m2", "mean_days_to_close"]
GROUP_KPIS = {"by_village": CASE_KPIS + ["patrols"], "by_category": CASE_KPIS,
              "by_inspector": CASE_KPIS + ["patrols", "patrol_km"]}
GROUP_TITLES = {"by_village": gettext_lazy("分村情况"), "by_category": gettext_lazy("分类别情况"),
                "by_inspector": gettext_lazy("分执法队员情况")}
PERCENT_KPIS = {"rectification_rate", "on_time_rate"}


def format_value(key, value):
    if value is None:
        return "—"
    if key in PERCENT_KPIS:
        return f"{value:.1f}%"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def format_change(key, value):
    if value is None:
        return "—"
    if value == 0:
        return "0"
    text = f"{value:+.1f}" if isinstance(value, float) else f"{value:+d}"
    return text


def overall_rows(numbers):
    overall = numbers["overall"]
    return [{"key": key, "label": KPI_LABELS[key],
             "current": format_value(key, overall["current"].get(key)),
             "previous": format_value(key, overall["previous"].get(key)),
             "change": format_change(key, overall["change"].get(key))} for key in OVERALL_KPIS]


def group_tables(numbers):
    """The three breakdowns as tables: a title, column labels, and rows of (value, change) cells."""
    tables = []
    for dimension, keys in GROUP_KPIS.items():
        rows = []
        for entry in numbers[dimension]:
            name = Category(entry["id"]).label if dimension == "by_category" else entry["name"]
            rows.append({"name": name, "flag": dimension == "by_village" and not entry.get("patrolled_recently"),
                         "cells": [{"label": KPI_LABELS[key], "value": format_value(key, entry["current"].get(key)),
                                    "change": format_change(key, entry["change"].get(key))} for key in keys]})
        tables.append({"key": dimension, "title": GROUP_TITLES[dimension],
                       "columns": [KPI_LABELS[key] for key in keys], "rows": rows})
    return tables


SUBJECTS = {
    ("campaign", Summary.Kind.DAILY): gettext_lazy("%(jurisdiction)s 专项整治行动日报（%(start)s 至 %(end)s）"),
    ("campaign", Summary.Kind.WEEKLY): gettext_lazy("%(jurisdiction)s 专项整治行动周报（%(start)s 至 %(end)s）"),
    ("campaign", Summary.Kind.MONTHLY): gettext_lazy("%(jurisdiction)s 专项整治行动月报（%(start)s 至 %(end)s）"),
    ("campaign", Summary.Kind.CLOSEOUT): gettext_lazy("%(jurisdiction)s 专项整治行动总结报告（%(start)s 至 %(end)s）"),
    ("campaign", Summary.Kind.ON_DEMAND): gettext_lazy("%(jurisdiction)s 专项整治行动汇总（%(start)s 至 %(end)s）"),
    ("jurisdiction", Summary.Kind.DAILY): gettext_lazy("%(jurisdiction)s 巡查执法日报（%(start)s 至 %(end)s）"),
    ("jurisdiction", Summary.Kind.WEEKLY): gettext_lazy("%(jurisdiction)s 巡查执法周报（%(start)s 至 %(end)s）"),
    ("jurisdiction", Summary.Kind.MONTHLY): gettext_lazy("%(jurisdiction)s 巡查执法月报（%(start)s 至 %(end)s）"),
    ("jurisdiction", Summary.Kind.CLOSEOUT): gettext_lazy("%(jurisdiction)s 巡查执法总结（%(start)s 至 %(end)s）"),
    ("jurisdiction", Summary.Kind.ON_DEMAND): gettext_lazy("%(jurisdiction)s 巡查执法汇总（%(start)s 至 %(end)s）"),
}


def summary_title(summary):
    """The subject line, in the active language."""
    template = SUBJECTS[("campaign" if summary.campaign_id else "jurisdiction", summary.kind)]
    return str(template) % {"jurisdiction": summary.jurisdiction.name, "start": summary.period_start.isoformat(),
                            "end": summary.period_end.isoformat()}


def summary_context(summary):
    """What the email and the page show of a built summary."""
    numbers = summary.numbers
    return {
        "summary": summary,
        "title": summary_title(summary),
        "scope_name": numbers["scope"]["name"],
        "numbers": numbers,
        "overall": overall_rows(numbers),
        "tables": group_tables(numbers),
        "overdue_cases": numbers["overdue_cases"],
        "overdue_more": max(0, numbers["overall"]["current"]["overdue_now"] - len(numbers["overdue_cases"])),
        "villages_not_patrolled": numbers["villages_not_patrolled"],
        "ledger_rows": summary.files.get("ledger_rows"),
        "summary_path": reverse("summary", args=[summary.pk]),
    }


# --- recording, building and sending ----------------------------------------------------------------------


def request_summary(*, scope, kind, period, requested_by=None):
    """Record that this summary is wanted; idempotent. Returns ``(summary, created)``; the caller queues it."""
    summary, created = Summary.objects.get_or_create(
        jurisdiction=scope.jurisdiction, campaign=scope.campaign, kind=kind, period_start=period.start,
        period_end=period.end, defaults={"requested_by": requested_by})
    return summary, created


def queue_summary(summary):
    """Send ``send_summary`` after commit; if the broker is down, ``request_due_summaries`` queues it later."""
    enqueue_on_commit("worker.tasks.send_summary", summary.pk)


def produce_summary(summary_id, *, now=None):
    """Build the summary if it is not built yet and record one email per recipient that has none; return the
    ids of its emails still to send. Safe to run twice, and in two workers at once: the summary row is locked
    and every email is keyed by scope, kind, period and recipient, all in one transaction."""
    with transaction.atomic():
        summary = (Summary.objects.select_for_update(of=("self",)).select_related("jurisdiction", "campaign")
                   .filter(pk=summary_id).first())
        if summary is None:
            return []
        recipients = list(recipients_for(summary))
        if summary.status == Summary.Status.REQUESTED:
            _build(summary, recipients, now=now)
        for user in recipients:
            with translation.override(user.language):
                attachments = _attachments(summary, user)
                delivery = record_email(
                    key=f"summary:{summary.scope_key}:{summary.kind}:{summary.period_start}:{summary.period_end}"
                        f":{user.pk}",
                    recipient=user.email, language=user.language, subject=summary_title(summary),
                    template="summary", context=_email_context(summary, attachments), attachments=attachments)
            if delivery is not None:
                summary.deliveries.add(delivery)
    return list(summary.deliveries.filter(status=Delivery.Status.PENDING).values_list("pk", flat=True))


def recipients_for(summary):
    if summary.campaign_id:
        users = summary.campaign.recipients.all()
    else:
        schedule = JurisdictionSummarySchedule.objects.filter(jurisdiction_id=summary.jurisdiction_id).first()
        users = schedule.recipients.all() if schedule else User.objects.none()
    # Never outside the jurisdiction, whatever the admin picked.
    return users.filter(is_active=True, jurisdiction_id=summary.jurisdiction_id).exclude(email="").order_by("pk")


def _build(summary, recipients, *, now=None):
    scope, period = Scope.of(summary), Period(summary.period_start, summary.period_end)
    numbers = build_summary(scope, period, now=now)
    earlier = (Summary.objects.filter(jurisdiction_id=summary.jurisdiction_id, campaign_id=summary.campaign_id,
                                      kind=summary.kind, period_end=period.start - timedelta(days=1),
                                      status=Summary.Status.READY).values_list("numbers", flat=True).first())
    if earlier:
        overall = numbers["overall"]
        overall["previous"]["overdue_now"] = earlier["overall"]["current"]["overdue_now"]
        overall["change"]["overdue_now"] = overall["current"]["overdue_now"] - overall["previous"]["overdue_now"]
    summary.numbers = numbers
    summary.files = _render_files(summary, scope, period, {settings.LANGUAGE_CODE, *(u.language for u in recipients)})
    summary.status, summary.built_at, summary.last_error = Summary.Status.READY, timezone.now(), ""
    summary.save(update_fields=["numbers", "files", "status", "built_at", "last_error"])


def _folder(summary):
    return f"summaries/{summary.jurisdiction.code}/{summary.pk}"


def _store(name, data):
    # The same name every time, so a rebuild after a crash replaces its files instead of adding new ones.
    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(data))


def _render_files(summary, scope, period, languages):
    folder = _folder(summary)
    files = {"charts": {}}
    for language in sorted(languages):
        with translation.override(language):
            files["charts"][language] = {
                "weekly": _store(f"{folder}/{language}-weekly.png", charts.weekly_chart(summary.numbers["weekly"])),
                "villages": _store(f"{folder}/{language}-villages.png",
                                   charts.village_chart(summary.numbers["by_village"])),
            }
    with translation.override(settings.LANGUAGE_CODE):
        data, rows = _ledger_xlsx(summary, scope, period)
    files["ledger"] = _store(f"{folder}/ledger.xlsx", data)
    files["ledger_rows"] = rows
    return files


def ledger_cases(scope, period):
    """A campaign's ledger holds all its cases; a jurisdiction's, those registered or closed in the period and
    those still open."""
    if scope.campaign is not None:
        return scope.cases()
    lo, hi = period.bounds()
    return scope.cases().filter(Q(created_at__gte=lo, created_at__lt=hi) | Q(closed_at__gte=lo, closed_at__lt=hi)
                                | Q(status__in=OPEN_STATUSES))


def _ledger_xlsx(summary, scope, period):
    # The ledger page's own Excel format (exports.formats).
    out = BytesIO()
    title = _("%(scope)s 案件台账（%(start)s 至 %(end)s）") % {
        "scope": scope.name, "start": period.start.isoformat(), "end": period.end.isoformat()}
    rows = write_ledger_xlsx(ledger_cases(scope, period).order_by("created_at", "pk"), out,
                             site_url=settings.SITE_URL, title=title)
    return out.getvalue(), rows


def chart_cid(summary, name):
    """The Content-ID of a chart inside the summary's email: stable, so the HTML recorded with the email and the
    image part built when it is sent always agree."""
    return f"{name}.summary-{summary.pk}@xuncha"


def _attachments(summary, user):
    """The email's files: the charts, shown inline in the HTML body (by Content-ID), and the ledger attached."""
    charts_ = summary.files.get("charts", {})
    chosen = charts_.get(user.language) or charts_.get(settings.LANGUAGE_CODE) or {}
    period = f"{summary.period_start:%Y%m%d}-{summary.period_end:%Y%m%d}"
    attachments = [
        {"name": f"{_('每周新发现与结案')}-{period}.png", "path": chosen["weekly"], "mimetype": "image/png",
         "cid": chart_cid(summary, "weekly")},
        {"name": f"{_('各村情况')}-{period}.png", "path": chosen["villages"], "mimetype": "image/png",
         "cid": chart_cid(summary, "villages")},
    ] if chosen else []
    if summary.files.get("ledger"):
        attachments.append({"name": f"{_('案件台账')}-{summary.jurisdiction.code}-{period}.xlsx",
                            "path": summary.files["ledger"],
                            "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    return attachments


def _email_context(summary, attachments):
    """The page's context, plus the inline charts (``cid`` and ``title``) the HTML email shows."""
    titles = {chart_cid(summary, "weekly"): _("每周新发现与结案"),
              chart_cid(summary, "villages"): _("各村本期新发现、结案与当前逾期")}
    charts_ = [{"cid": item["cid"], "title": titles[item["cid"]]} for item in attachments if item.get("cid")]
    return {**summary_context(summary), "inline_charts": charts_}


def delivery_state(summary):
    """"sent", "failed", "sending" or "none", from the summary's emails (a failed one shows on the page)."""
    statuses = {delivery.status for delivery in summary.deliveries.all()}  # prefetched on lists
    if not statuses:
        return "none"
    if Delivery.Status.FAILED in statuses:
        return "failed"
    return "sent" if statuses == {Delivery.Status.SENT} else "sending"


# --- the schedule -----------------------------------------------------------------------------------------


def due_period(schedule, now):
    """The latest period whose scheduled summary is due by ``now`` (sent at 08:00 local time), or None."""
    local = timezone.localtime(now)
    today, sent_today = local.date(), local.time() >= SEND_AT
    if schedule == SummarySchedule.DAILY:
        day = today - timedelta(days=1 if sent_today else 2)
        return Period(day, day)
    if schedule == SummarySchedule.WEEKLY:
        monday = today - timedelta(days=today.weekday())
        if monday == today and not sent_today:
            monday -= timedelta(weeks=1)
        return Period(monday - timedelta(weeks=1), monday - timedelta(days=1))
    if schedule == SummarySchedule.MONTHLY:
        first = today.replace(day=1)
        if today.day == 1 and not sent_today:
            first = (first - timedelta(days=1)).replace(day=1)
        end = first - timedelta(days=1)
        return Period(end.replace(day=1), end)
    return None


def request_due_summaries(now=None):
    """Record (once) and queue every summary now due; requeue those whose task was lost. Returns the new ones.

    Run by beat every few minutes. The schedules are read from the database each time, so a change made in
    the app or the admin counts at once; two beat processes, or a run missed while beat was down, are harmless.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    wanted = []
    for campaign in (Campaign.objects.filter(status=CampaignStatus.ACTIVE)
                     .exclude(summary_schedule=SummarySchedule.NONE).select_related("jurisdiction")):
        period = due_period(campaign.summary_schedule, now)
        if period.end >= campaign.starts_on and period.start <= campaign.ends_on:
            wanted.append((Scope.for_campaign(campaign), campaign.summary_schedule, period))
    for campaign in (Campaign.objects.filter(status=CampaignStatus.CLOSED,
                                             ends_on__gte=today - timedelta(days=CLOSEOUT_WITHIN_DAYS))
                     .exclude(summaries__kind=Summary.Kind.CLOSEOUT).select_related("jurisdiction")):
        wanted.append((Scope.for_campaign(campaign), Summary.Kind.CLOSEOUT,
                       Period(campaign.starts_on, max(campaign.starts_on, min(campaign.ends_on, today)))))
    for schedule in (JurisdictionSummarySchedule.objects.exclude(schedule=SummarySchedule.NONE)
                     .select_related("jurisdiction")):
        wanted.append((Scope(schedule.jurisdiction), schedule.schedule, due_period(schedule.schedule, now)))

    created = []
    for scope, kind, period in wanted:
        summary, new = request_summary(scope=scope, kind=kind, period=period)
        if new:
            queue_summary(summary)
            created.append(summary)
    for summary in Summary.objects.filter(status=Summary.Status.REQUESTED, created_at__lt=now - REQUEUE_AFTER)[:100]:
        queue_summary(summary)
    return created


# --- what supervisors do ----------------------------------------------------------------------------------

# Who may read summaries (pages and API) and who may send them or change recipients and schedules.
SUMMARY_READERS = frozenset({Role.SUPERVISOR, Role.LEADER})
SUMMARY_MANAGERS = frozenset({Role.SUPERVISOR})


def possible_recipients(jurisdiction):
    """Who may receive a jurisdiction's summaries: its active members with an email address."""
    return (User.objects.filter(jurisdiction=jurisdiction, is_active=True).exclude(email="")
            .order_by("role", "last_name", "first_name", "username"))


def send_campaign_summary_now(*, campaign, actor):
    """Queue the campaign's summary up to today for its recipients (each gets it once a day at most)."""
    if campaign.jurisdiction_id != actor.jurisdiction_id:
        raise NotFound()
    if actor.role not in SUMMARY_MANAGERS:
        raise NotAllowed(_("只有中队长可以发送汇总报告"))
    with transaction.atomic():
        summary, _created = request_summary(scope=Scope.for_campaign(campaign), kind=Summary.Kind.ON_DEMAND,
                                            period=current_period(campaign), requested_by=actor)
        # Queued even when it exists: recipients added since get their copy, the others none.
        queue_summary(summary)
    return summary


def set_summary_settings(*, actor, schedule, recipients, campaign=None):
    """Set the schedule and recipients of a campaign, or of the actor's jurisdiction when no campaign is given."""
    if campaign is not None and campaign.jurisdiction_id != actor.jurisdiction_id:
        raise NotFound()
    if actor.role not in SUMMARY_MANAGERS or actor.jurisdiction_id is None:
        raise NotAllowed(_("只有中队长可以设置汇总接收人和发送频率"))
    if schedule not in SummarySchedule.values:
        raise InvalidInput(fields={"schedule": [_("请选择发送频率")]})
    allowed = possible_recipients(actor.jurisdiction).filter(pk__in=[getattr(u, "pk", u) for u in recipients])
    with transaction.atomic():
        if campaign is not None:
            campaign.summary_schedule = schedule
            campaign.save(update_fields=["summary_schedule"])
            campaign.recipients.set(allowed)
            return campaign
        setting, _created = JurisdictionSummarySchedule.objects.update_or_create(
            jurisdiction=actor.jurisdiction, defaults={"schedule": schedule})
        setting.recipients.set(allowed)
        return setting
