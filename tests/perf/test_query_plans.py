"""The plans of the hot queries on a jurisdiction of 100,000 cases (issue #20): no sequential scan of
patrol_case and no index read that grows with the table where the answer is small.

One module-scoped jurisdiction (inserted with generate_series, analysed) serves every test here, so the module costs
a few seconds, not a few per test.
"""
from datetime import timedelta

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.map import case_rows, map_cases
from exports.views import table_rows
from patrol import kpis, rollup, selectors
from patrol.filters import CaseFilter
from patrol.ordering import valid_ordering
from patrol.selectors import cases_for
from patrol.models import Case
from tests.perf.bigdata import make_big_jurisdiction, nodes, plan, seq_scans

pytestmark = [pytest.mark.postgres_only, pytest.mark.perf]

BIG = 100_000


@pytest.fixture(scope="module")
def big(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        jurisdiction, people, cleanup = make_big_jurisdiction(BIG)
        yield jurisdiction, people
        cleanup()


def index_rows_read(node):
    """Rows that index scans of patrol_case handed up (EXPLAIN ANALYZE), the cost of the query in entries."""
    return sum(n.get("Actual Rows", 0) * n.get("Actual Loops", 1) for n in nodes(node)
               if n["Node Type"] in ("Index Scan", "Index Only Scan", "Bitmap Index Scan")
               and n.get("Relation Name", "patrol_case") == "patrol_case")


def test_nearby_duplicate_check_reads_only_the_box(db, big):
    jurisdiction, _people = big
    candidates = selectors.nearby_candidates(jurisdiction, Point(111.6, 40.7, srid=4326), 30)
    top = plan(candidates[:500], analyze=True)
    assert not seq_scans(top)
    # About 100,000 × (60 m)² / (0.2° × 0.2°) ≈ 1 case in the box: reading the jurisdiction's open cases
    # (tens of thousands of entries of (jurisdiction, status)) is what the ST_Within plan did.
    assert index_rows_read(top) < 200, top
    gist = [n for n in nodes(top) if n.get("Index Name", "").startswith("patrol_case_location")]
    assert gist, top


def test_default_ledger_page_reads_the_index_in_order(db, big):
    jurisdiction, people = big
    cases = table_rows(cases_for(people["supervisor"]), valid_ordering(None))
    top = plan(cases[:50], analyze=True)
    assert not seq_scans(top), top
    assert not [n for n in nodes(top) if n["Node Type"] in ("Sort", "Incremental Sort")], top
    assert index_rows_read(top) <= 50, top
    sql = str(cases.query)
    assert "boundary" not in sql and '"location"' not in sql


def test_other_ledger_orders_do_not_scan_the_table(db, big):
    _jurisdiction, people = big
    for ordering in ("created_at", "reference", "-reference", "deadline"):
        top = plan(table_rows(cases_for(people["supervisor"]), ordering)[:50])
        assert not seq_scans(top), (ordering, top)


def test_reported_date_filters_are_ranges_on_the_index(db, big):
    _jurisdiction, people = big
    today = timezone.localdate()
    params = {"reported_from": (today - timedelta(days=3)).isoformat(), "reported_to": today.isoformat()}
    filterset = CaseFilter(params, queryset=cases_for(people["supervisor"]))
    assert filterset.is_valid()
    top = plan(table_rows(filterset.qs, None)[:50])
    assert not seq_scans(top), top
    assert "::date" not in str(filterset.qs.query)


def test_field_page_lists_are_bounded_index_ranges(db, big, client):
    _jurisdiction, people = big
    inspector = people["inspector"]
    client.force_login(inspector)
    response = client.get("/field/")
    assert response.status_code == 200
    context = response.context
    # Every one of the 100,000 cases is the inspector's (reported and responsible): the lists stay capped.
    assert len(context["week_cases"]) <= 50 and len(context["today_cases"]) <= 100
    assert len(context["due_cases"]) == 20
    assert len(response.content) < 150_000
    for name in ("today_cases", "week_cases", "due_cases"):
        top = plan(context[name])
        assert not seq_scans(top), (name, top)
        assert not [n for n in nodes(top) if n["Node Type"] == "Sort" and n.get("Plan Rows", 0) > 1000], (name, top)


def explained(run):
    """The JSON plans of every SELECT that ``run()`` sends."""
    with CaptureQueriesContext(connection) as captured:
        run()
    plans = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if sql.lstrip().upper().startswith(("SELECT", "(SELECT", "WITH")):
                cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
                plans.append((sql, cursor.fetchone()[0][0]["Plan"]))
    return plans


# The whole of the big jurisdiction (111.50-111.70, 40.60-40.80) with a margin, as the map opens on it.
WHOLE = (111.45, 40.55, 111.75, 40.85)


def test_whole_jurisdiction_map_list_and_kpis_do_not_scan_the_cases(db, big):
    jurisdiction, people = big
    today = timezone.localdate()
    cases = cases_for(people["supervisor"])
    result = {}

    def overview():
        result["map"] = map_cases(cases, WHOLE, 12, today, rollup_jurisdiction=jurisdiction.pk)
        result["list"] = case_rows(cases, WHOLE, "deadline", today)
        result["kpis"] = kpis.case_kpis(cases, today, now_counts=rollup.totals(jurisdiction.pk, today))

    plans = explained(overview)
    assert result["map"]["mode"] == "clusters" and result["map"]["total"] == BIG
    assert len(result["list"]["results"]) == 100 and result["list"]["truncated"]
    assert sum(result["kpis"]["by_status"].values()) == BIG
    for sql, top in plans:
        if top["Node Type"] == "Limit" and not [n for n in nodes(top) if "Sort" in n["Node Type"]]:
            # The map's first fetch, one point more than the limit: a scan that stops after 5,001 rows.
            assert top["Plan Rows"] <= 5001, sql
            continue
        assert not seq_scans(top), sql
        # The grid never reads the cases row by row: only the edge strips (empty here) are read from patrol_case.
        big_reads = [n for n in nodes(top) if n.get("Relation Name") == "patrol_case" and n.get("Plan Rows", 0) > 20_000]
        assert not big_reads or "patrol_casecell" not in sql, sql


@pytest.fixture(scope="module")
def filed(big, django_db_blocker):
    """A 立案 event for every case of the big jurisdiction past ``reported`` (the KPIs join them), analysed."""
    jurisdiction, _people = big
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO patrol_caseevent (case_id, seq, actor_id, created_at, action, from_status, to_status, note, "
            "payload, prev_hash, hash) "
            "SELECT id, 1, reported_by_id, created_at + interval '1 day', 'file', 'reported', 'filed', '', '{}', "
            "repeat('0', 64), md5(id::text) || md5('file' || id::text) FROM patrol_case "
            "WHERE jurisdiction_id = %s AND status NOT IN ('reported', 'dismissed')", [jurisdiction.pk])
        cursor.execute("VACUUM ANALYZE patrol_caseevent")
        yield big
        with connection.cursor() as cleanup:
            # The record refuses DELETE (append-only trigger): lifted for this transaction only, as a restore would.
            cleanup.execute("BEGIN")
            cleanup.execute("SET LOCAL session_replication_role = replica")
            cleanup.execute("DELETE FROM patrol_caseevent WHERE case_id IN "
                            "(SELECT id FROM patrol_case WHERE jurisdiction_id = %s)", [jurisdiction.pk])
            cleanup.execute("DELETE FROM patrol_casefiling WHERE jurisdiction_id = %s", [jurisdiction.pk])
            cleanup.execute("COMMIT")


def filing_reads(top):
    return [n for n in nodes(top) if n.get("Relation Name") == "patrol_caseevent"]


def test_kpis_read_the_filing_events_from_the_index_alone(db, filed):
    """The summary's grouped query and the KPI strip's 'filed in the period' join cases to their 立案 event: both
    read the event's time and case from a partial covering index, never the wide rows of patrol_caseevent (at a
    million cases that heap read was most of the summary's time)."""
    jurisdiction, _people = filed
    today = timezone.localdate()
    period = kpis.this_month(today)
    scope = kpis.Scope(jurisdiction)
    plans = explained(lambda: (kpis._case_groups(scope, period, today),
                               kpis.period_sums(scope.cases(), period, "cur")))
    joined = [(sql, top) for sql, top in plans if filing_reads(top)]
    assert len(joined) >= 2, [sql for sql, _top in plans]
    for sql, top in joined:
        for read in filing_reads(top):
            assert read["Node Type"] == "Index Only Scan", (sql, read)
            assert read["Index Name"] in ("event_filed_at", "event_filing_case"), (sql, read)


def test_kpi_strip_reads_indexes_not_case_rows(db, filed):
    """The whole-jurisdiction KPI strip (this month): statuses and overdue from the rollup, and the rest — registered,
    filed, closed in the period and late now — from index entries alone: what it reads grows with the period's cases
    and the late ones, not with the jurisdiction's history (issue #20: 450 ms at a million cases, the late count and
    the filed cases' rows read from the table)."""
    jurisdiction, people = filed
    today = timezone.localdate()
    cases = cases_for(people["supervisor"])
    period = kpis.this_month(today)
    live = kpis.case_kpis(cases, today, period, now_counts=rollup.totals(jurisdiction.pk, today))
    strip = {}

    def run():
        strip.update(kpis.case_kpis(cases, today, period, now_counts=rollup.totals(jurisdiction.pk, today),
                                    filed=rollup.filings(jurisdiction.pk, period)))

    plans = explained(run)
    assert strip == live and live["filed"] > 1000
    reads = [(sql, n) for sql, top in plans for n in nodes(top) if n.get("Relation Name") == "patrol_case"]
    assert reads
    for sql, read in reads:
        assert read["Node Type"] == "Index Only Scan", (sql, read)
    late = [read for sql, read in reads if "decision_due" in sql]
    assert late and {read["Index Name"] for read in late} == {"case_jur_late"}, late
    # The period's filings come from the rollup: no query of the strip reads the 立案 events.
    assert not [sql for sql, top in plans if filing_reads(top)]


def test_ledger_document_numbers_are_read_by_case_id_not_joined_from_the_cases(db, big):
    """The ledger's 文书编号 column (exports.formats.document_numbers, a chunk of 2,000 cases at a time): read from the
    notices and documents by their case id. Joined from the cases, the planner took the join for one row and probed
    patrol_case once per document (6.4 s for a chunk at 10,000 cases, which made the summary's attached ledger the
    slowest part of a summary)."""
    from exports.formats import document_numbers

    jurisdiction, _people = big
    ids = list(Case.objects.filter(jurisdiction=jurisdiction).order_by("pk").values_list("pk", flat=True)[:2000])
    with CaptureQueriesContext(connection) as queries:
        document_numbers(ids)
    assert len(queries.captured_queries) == 2
    assert not [q["sql"] for q in queries.captured_queries if "patrol_case" in q["sql"].split(" WHERE ")[0]]
