"""The plans of the hot queries on a jurisdiction of 100,000 cases (issue #20): no sequential scan of
patrol_case and no index read that grows with the table where the answer is small.

One module-scoped jurisdiction (inserted with generate_series, analysed) serves every test here, so the module costs
a few seconds, not a few per test.
"""
from datetime import timedelta

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from exports.views import table_rows
from patrol import selectors
from patrol.filters import CaseFilter
from patrol.ordering import valid_ordering
from patrol.selectors import cases_for
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
