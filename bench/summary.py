"""Summary building at scale (issue #6), printed, not asserted:

  time to build a campaign summary (summaries.services.build_summary: the ORM queries, the roll-up in Python and
  the JSON-ready result) ÷ the time of the equivalent hand-written SQL in the same run, target ≤ 1.5,

on PostGIS with a million cases. The SQL side computes the same numbers the way one would by hand, with
GROUPING SETS for the three breakdowns and the total in one pass; the script checks that both agree. A second
figure divides by the builder's own statements replayed through a bare cursor: what the ORM and Python add.

It also prints the same ratio for a 28-day summary of the whole jurisdiction (all million cases in scope).

Set-up, once (the database is kept; seeding takes a few minutes):
  psql postgresql://postgres@127.0.0.1:5432/postgres -c "CREATE DATABASE xbenchsum"
  psql postgresql://postgres@127.0.0.1:5432/xbenchsum -c "CREATE EXTENSION postgis"
  export DJANGO_SETTINGS_MODULE=config.settings.local DATABASE_URL=postgis://postgres@127.0.0.1:5432/xbenchsum
  .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_demo --cases 1000000
Run:
  DATABASE_URL=postgis://postgres@127.0.0.1:5432/xbenchsum .venv/bin/python bench/summary.py

The synthetic cases have no campaign; the first run puts those registered since the demo campaign began into
it (only synthetic rows, recognised by their address), so the campaign holds a quarter of a million cases.
"""
import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DATABASE_URL", "postgis://postgres@127.0.0.1:5432/xbenchsum")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from patrol.choices import DEADLINE_STATUSES  # noqa: E402
from patrol.models import Campaign, Case  # noqa: E402
from patrol.kpis import Period, Scope, build_summary, current_period  # noqa: E402

RUNS = 7

CASES_SQL = """
SELECT GROUPING(c.village_id, c.category, c.responsible_id) AS set_id, c.village_id, c.category, c.responsible_id,
  COUNT(*) FILTER (WHERE c.status = ANY(%(waiting)s) AND c.deadline < %(today)s) AS overdue_now,
  COUNT(*) FILTER (WHERE c.created_at >= %(cur_lo)s AND c.created_at < %(cur_hi)s) AS cur_new,
  COUNT(*) FILTER (WHERE f.created_at >= %(cur_lo)s AND f.created_at < %(cur_hi)s) AS cur_filed,
  COUNT(*) FILTER (WHERE c.status = 'closed' AND c.closed_at >= %(cur_lo)s AND c.closed_at < %(cur_hi)s) AS cur_closed,
  COUNT(*) FILTER (WHERE c.status = 'closed' AND c.closed_at >= %(cur_lo)s AND c.closed_at < %(cur_hi)s
                   AND (c.closed_at AT TIME ZONE 'Asia/Shanghai')::date <= c.deadline) AS cur_on_time,
  SUM(c.estimated_area_m2) FILTER (WHERE c.status = 'closed' AND c.closed_at >= %(cur_lo)s
                   AND c.closed_at < %(cur_hi)s AND c.resolution IN ('forcibly_demolished', 'demolished_by_party')),
  SUM(c.closed_at - c.created_at) FILTER (WHERE c.status = 'closed' AND c.closed_at >= %(cur_lo)s
                   AND c.closed_at < %(cur_hi)s),
  COUNT(*) FILTER (WHERE c.created_at >= %(prev_lo)s AND c.created_at < %(prev_hi)s) AS prev_new,
  COUNT(*) FILTER (WHERE f.created_at >= %(prev_lo)s AND f.created_at < %(prev_hi)s) AS prev_filed,
  COUNT(*) FILTER (WHERE c.status = 'closed' AND c.closed_at >= %(prev_lo)s AND c.closed_at < %(prev_hi)s),
  COUNT(*) FILTER (WHERE c.status = 'closed' AND c.closed_at >= %(prev_lo)s AND c.closed_at < %(prev_hi)s
                   AND (c.closed_at AT TIME ZONE 'Asia/Shanghai')::date <= c.deadline),
  SUM(c.estimated_area_m2) FILTER (WHERE c.status = 'closed' AND c.closed_at >= %(prev_lo)s
                   AND c.closed_at < %(prev_hi)s AND c.resolution IN ('forcibly_demolished', 'demolished_by_party')),
  SUM(c.closed_at - c.created_at) FILTER (WHERE c.status = 'closed' AND c.closed_at >= %(prev_lo)s
                   AND c.closed_at < %(prev_hi)s),
  COUNT(*) FILTER (WHERE f.created_at >= %(cur_lo)s AND f.created_at < %(cur_hi)s AND c.status = 'closed'
                   AND c.closed_at < %(cur_hi)s) AS cur_filed_closed,
  COUNT(*) FILTER (WHERE f.created_at >= %(prev_lo)s AND f.created_at < %(prev_hi)s AND c.status = 'closed'
                   AND c.closed_at < %(prev_hi)s) AS prev_filed_closed
FROM patrol_case c
LEFT JOIN patrol_caseevent f ON f.case_id = c.id AND f.action = 'file'
WHERE c.jurisdiction_id = %(jurisdiction)s {campaign}
  AND (c.created_at >= %(prev_lo)s OR c.closed_at >= %(prev_lo)s OR c.status = ANY(%(waiting)s)
       OR f.created_at >= %(prev_lo)s)
GROUP BY GROUPING SETS ((c.village_id), (c.category), (c.responsible_id), ())
"""
PATROLS_SQL = """
SELECT p.inspector_id,
  COUNT(*) FILTER (WHERE p.started_at >= %(cur_lo)s), SUM(p.distance_m) FILTER (WHERE p.started_at >= %(cur_lo)s),
  COUNT(*) FILTER (WHERE p.started_at < %(prev_hi)s), SUM(p.distance_m) FILTER (WHERE p.started_at < %(prev_hi)s)
FROM patrol_patrol p
WHERE p.jurisdiction_id = %(jurisdiction)s {campaign} AND p.started_at >= %(prev_lo)s AND p.started_at < %(cur_hi)s
GROUP BY GROUPING SETS ((p.inspector_id), ())
"""
VILLAGE_PATROLS_SQL = """
SELECT pv.village_id,
  COUNT(*) FILTER (WHERE {of_scope} p.started_at >= %(cur_lo)s),
  COUNT(*) FILTER (WHERE {of_scope} p.started_at >= %(prev_lo)s AND p.started_at < %(prev_hi)s),
  MAX(p.started_at), MAX(p.started_at) FILTER (WHERE p.started_at < %(prev_hi)s)
FROM patrol_patrol_villages pv JOIN patrol_patrol p ON p.id = pv.patrol_id
WHERE p.jurisdiction_id = %(jurisdiction)s AND p.started_at < %(cur_hi)s
GROUP BY pv.village_id
"""
VILLAGES_SQL = """
SELECT v.id, v.name, EXISTS (SELECT 1 FROM patrol_campaign_villages cv
                             WHERE cv.campaign_id = %(campaign_id)s AND cv.village_id = v.id)
FROM geo_village v WHERE v.jurisdiction_id = %(jurisdiction)s
"""
PEOPLE_SQL = """
SELECT id, last_name, first_name, username FROM patrol_user
WHERE id = ANY(%(ids)s) OR (jurisdiction_id = %(jurisdiction)s AND role = 'inspector' AND is_active)
"""
OVERDUE_SQL = """
SELECT c.id, c.reference, v.name, c.address, c.deadline, u.last_name, u.first_name, u.username
FROM patrol_case c LEFT JOIN geo_village v ON v.id = c.village_id LEFT JOIN patrol_user u ON u.id = c.responsible_id
WHERE c.jurisdiction_id = %(jurisdiction)s {campaign} AND c.status = ANY(%(waiting)s) AND c.deadline < %(today)s
ORDER BY {order} LIMIT 100
"""
WEEKLY_SQL = """
SELECT date_trunc('week', c.created_at AT TIME ZONE 'Asia/Shanghai'), COUNT(*) FROM patrol_case c
WHERE c.jurisdiction_id = %(jurisdiction)s {campaign} AND c.created_at >= %(week_lo)s AND c.created_at < %(cur_hi)s
GROUP BY 1;
"""
WEEKLY_CLOSED_SQL = """
SELECT date_trunc('week', c.closed_at AT TIME ZONE 'Asia/Shanghai'), COUNT(*) FROM patrol_case c
WHERE c.jurisdiction_id = %(jurisdiction)s {campaign} AND c.status = 'closed'
  AND c.closed_at >= %(week_lo)s AND c.closed_at < %(cur_hi)s
GROUP BY 1;
"""


def raw_summary(scope, period, today, week_lo):
    """The same numbers with hand-written SQL; returns the overall row of the cases query."""
    cur_lo, cur_hi = period.bounds()
    prev_lo, prev_hi = period.previous.bounds()
    campaign = "AND c.campaign_id = %(campaign_id)s" if scope.campaign else ""
    params = {"jurisdiction": scope.jurisdiction.pk, "campaign_id": scope.campaign.pk if scope.campaign else None,
              "today": today, "waiting": [str(s) for s in DEADLINE_STATUSES], "cur_lo": cur_lo, "cur_hi": cur_hi, "prev_lo": prev_lo, "prev_hi": prev_hi,
              "week_lo": week_lo}
    with connection.cursor() as cursor:
        cursor.execute(CASES_SQL.format(campaign=campaign), params)
        cases = cursor.fetchall()
        cursor.execute(PATROLS_SQL.format(campaign=campaign.replace("c.", "p.")), params)
        patrols = cursor.fetchall()
        of_scope = "p.campaign_id = %(campaign_id)s AND" if scope.campaign else ""
        cursor.execute(VILLAGE_PATROLS_SQL.format(of_scope=of_scope), params)
        cursor.fetchall()
        cursor.execute(VILLAGES_SQL, params)
        cursor.fetchall()
        ids = sorted({row[3] for row in cases if row[3] is not None} | {row[0] for row in patrols if row[0]})
        cursor.execute(PEOPLE_SQL, {**params, "ids": ids})
        cursor.fetchall()
        # As summaries.services does: a campaign's overdue cases sorted, a jurisdiction's read in index order.
        order = "c.deadline NULLS FIRST, c.id" if scope.campaign else "c.deadline, c.id"
        cursor.execute(OVERDUE_SQL.format(campaign=campaign, order=order), params)
        cursor.fetchall()
        cursor.execute(WEEKLY_SQL.format(campaign=campaign), params)
        cursor.fetchall()
        cursor.execute(WEEKLY_CLOSED_SQL.format(campaign=campaign), params)
        cursor.fetchall()
    return next(row for row in cases if row[0] == 7)  # the () grouping set: every case in scope


def timed(function):
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def replay(statements):
    """The builder's own SQL, as it reached the database, run again without the ORM or Python around it."""
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
            cursor.fetchall()


def compare(label, scope, period):
    today = timezone.localdate()
    with CaptureQueriesContext(connection) as captured:
        numbers = build_summary(scope, period)  # also warms the caches of all sides alike
    statements = [query["sql"] for query in captured.captured_queries]
    week_lo = timezone.make_aware(datetime.fromisoformat(numbers["weekly"][0]["week"]))
    raw_summary(scope, period, today, week_lo)
    built, raw, same = [], [], []
    for _ in range(RUNS):
        seconds, numbers = timed(lambda: build_summary(scope, period))
        built.append(seconds)
        seconds, overall = timed(lambda: raw_summary(scope, period, today, week_lo))
        raw.append(seconds)
        same.append(timed(lambda: replay(statements))[0])
    current = numbers["overall"]["current"]
    rate = round(100 * overall[-2] / overall[6], 1) if overall[6] else None
    agree = (overall[4], overall[5], overall[6], overall[7], overall[8], rate) == (
        current["overdue_now"], current["new_findings"], current["filed"], current["closed"], current["closed_on_time"],
        current["rectification_rate"])
    ratio = statistics.median(built) / statistics.median(raw)
    print(f"{label}: period {period.start} to {period.end}; {current['new_findings']:,} new findings, "
          f"{current['closed']:,} closed, {current['overdue_now']:,} overdue now")
    print(f"  build_summary {statistics.median(built) * 1000:.0f} ms ÷ raw SQL {statistics.median(raw) * 1000:.0f} ms "
          f"(medians of {RUNS}) = {ratio:.2f}   target ≤ 1.5   numbers agree: {'yes' if agree else 'NO'}")
    print(f"  build_summary ÷ its own {len(statements)} statements replayed raw "
          f"{statistics.median(same) * 1000:.0f} ms = {statistics.median(built) / statistics.median(same):.2f} "
          f"(the cost of the ORM and the Python around the SQL)")
    return ratio


def main():
    if connection.vendor != "postgresql":
        sys.exit("bench/summary.py measures PostGIS: set DATABASE_URL=postgis://...")
    campaign = Campaign.objects.select_related("jurisdiction").get(jurisdiction__code="LWG")
    total = Case.objects.filter(jurisdiction=campaign.jurisdiction).count()
    moved = (Case.objects.filter(jurisdiction=campaign.jurisdiction, campaign__isnull=True, address__endswith="（合成数据）",
                                 created_at__gte=timezone.make_aware(datetime.combine(campaign.starts_on, clock.min)))
             .update(campaign=campaign))
    if moved:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE patrol_case")
    in_campaign = Case.objects.filter(campaign=campaign).count()
    print(f"PostgreSQL {connection.pg_version // 10000}, {total:,} cases in {campaign.jurisdiction.code}, "
          f"{in_campaign:,} in the campaign {campaign.name!r}" + (f" ({moved:,} moved in now)" if moved else ""))
    if total < 900_000:
        print("  (fewer than a million cases: seed_demo --cases 1000000 first; see the docstring)")
    today = timezone.localdate()
    compare("campaign summary, its period to date", Scope.for_campaign(campaign), current_period(campaign, today))
    compare("campaign weekly summary, last week", Scope.for_campaign(campaign),
            Period(today - timedelta(days=today.weekday() + 7), today - timedelta(days=today.weekday() + 1)))
    compare("jurisdiction summary, last 28 days", Scope(campaign.jurisdiction),
            Period(today - timedelta(days=27), today))


if __name__ == "__main__":
    main()
