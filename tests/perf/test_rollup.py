"""The map's rollup (patrol.rollup) stays exactly the table's GROUP BY through concurrent writes, and the whole-
jurisdiction map, counted from it, equals the live count."""
import random
import threading
import uuid
from datetime import timedelta

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from api.map import map_cases
from patrol import kpis, rollup, workflow
from patrol.choices import Category, DismissReason, Stage, Status
from patrol.models import Case
from patrol.selectors import cases_for

pytestmark = [pytest.mark.postgres_only, pytest.mark.perf]

# The test jurisdiction's square (111.60-111.64, 40.70-40.74) holds whole rollup cells, and more.
WHOLE = (111.55, 40.65, 111.70, 40.80)


def live_cells(jurisdiction_id):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT FLOOR(ST_X(location) / %s), FLOOR(ST_Y(location) / %s), status, COUNT(*) FROM patrol_case "
            "WHERE jurisdiction_id = %s GROUP BY 1, 2, 3", [rollup.CELL, rollup.CELL, jurisdiction_id])
        return {(int(gx), int(gy), status): n for gx, gy, status, n in cursor.fetchall()}


def rollup_cells(jurisdiction_id):
    with connection.cursor() as cursor:
        cursor.execute("SELECT gx, gy, status, n FROM patrol_casecell WHERE jurisdiction_id = %s AND n <> 0",
                       [jurisdiction_id])
        return {(gx, gy, status): n for gx, gy, status, n in cursor.fetchall()}


def writer(seed, users, done):
    rng = random.Random(seed)
    try:
        for _ in range(12):
            point = Point(111.60 + rng.random() * 0.04, 40.70 + rng.random() * 0.02, srid=4326)
            case, _created = workflow.report_finding(
                actor=users["inspector"], client_uuid=uuid.uuid4(), location=point, category=Category.EXTENSION,
                stage=Stage.COMPLETED, address="并发", description="并发写入")
            roll = rng.random()
            if roll < 0.3:
                workflow.dismiss_case(case_id=case.pk, actor=users["supervisor"], reason=DismissReason.NOT_VIOLATION,
                                      note="核实")
            elif roll < 0.6:
                workflow.file_case(case_id=case.pk, actor=users["supervisor"], legal_basis="planning_art65", note="立案")
            elif roll < 0.8:
                # A deadline in the past or the future (written directly: the rollup follows any write).
                days = rng.choice([-5, -1, 3])
                Case.objects.filter(pk=case.pk).update(status=Status.ORDERED,
                                                       deadline=timezone.localdate() + timedelta(days=days))
        done.append(seed)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_rollup_equals_the_live_count_after_concurrent_writes(users, jurisdiction):
    done = []
    threads = [threading.Thread(target=writer, args=(seed, users, done)) for seed in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(done) == 6
    assert Case.objects.filter(jurisdiction=jurisdiction).count() == 72
    assert rollup_cells(jurisdiction.pk) == live_cells(jurisdiction.pk)

    today = timezone.localdate()
    cases = cases_for(users["supervisor"])
    by_status, overdue = rollup.totals(jurisdiction.pk, today)
    live = dict(cases.values_list("status").annotate(n=Count("pk")).order_by())
    assert by_status == live
    assert overdue == cases.overdue(today).count() > 0

    # The whole-jurisdiction map from the rollup and from the cases: the same clusters.
    from_rollup = map_cases(cases, WHOLE, 11, today, limit=10, rollup_jurisdiction=jurisdiction.pk)
    from_cases = map_cases(cases, WHOLE, 11, today, limit=10)
    assert from_rollup["mode"] == from_cases["mode"] == "clusters"
    assert from_rollup["total"] == from_cases["total"] == 72

    def key(features):
        return sorted((f["properties"]["count"], sorted(f["properties"]["by_status"].items()),
                       f["properties"]["overdue"], f["geometry"]["coordinates"]) for f in features)

    assert key(from_rollup["features"]) == key(from_cases["features"])
    # A viewport cutting through rollup cells: inner cells from the rollup, the edges from the cases.
    partial = (111.605, 40.705, 111.639, 40.739)
    assert key(map_cases(cases, partial, 12, today, limit=10, rollup_jurisdiction=jurisdiction.pk)["features"]) \
        == key(map_cases(cases, partial, 12, today, limit=10)["features"])

    # The KPI strip: the same numbers from the rollup's counts as counted live.
    assert kpis.case_kpis(cases, today, now_counts=(by_status, overdue)) == kpis.case_kpis(cases, today)

    # Folding past deadlines changes no sum (a fold runs for the day it is, or a day before).
    rollup.fold_past_deadlines(today - timedelta(days=2))
    assert rollup.totals(jurisdiction.pk, today) == (by_status, overdue)
    rollup.fold_past_deadlines(today)
    assert rollup.totals(jurisdiction.pk, today) == (by_status, overdue)
    assert rollup_cells(jurisdiction.pk) == live_cells(jurisdiction.pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM patrol_casecelldeadline WHERE jurisdiction_id = %s AND deadline < %s "
                       "AND deadline <> %s", [jurisdiction.pk, today, rollup.FOLDED])
        assert cursor.fetchone()[0] == 0
