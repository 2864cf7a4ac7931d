"""seed_demo --cases N (demo/synthetic.py, issue #20): synthetic cases that replay the demo cases' procedure, with a
record verify_events accepts, numbered documents, deadlines, several jurisdictions, and an exact map rollup."""
import io
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Max, Min
from django.utils import timezone

from documents.choices import SEQUENCE_SCOPE
from documents.models import Document, ServiceRecord
from gis.models import Jurisdiction
from patrol import kpis, rollup, workflow
from patrol.choices import DEADLINE_STATUSES, Status
from patrol.models import Case, CaseEvent, DocumentSequence, User

pytestmark = [pytest.mark.django_db]

DEMO_CASES = 60


def seed(cases):
    call_command("seed_demo", "--demo-cases", str(DEMO_CASES), "--cases", str(cases), verbosity=0,
                 stdout=io.StringIO())


@pytest.fixture
def seeded(settings, tmp_path, reused_renderings):
    settings.MEDIA_ROOT = tmp_path
    before = Case.objects.count()
    seed(0)
    demo = Case.objects.count()
    seed(600)
    assert before == 0 and Case.objects.count() == demo + 600
    return demo


def check_record():
    """verify_events: every chain, every document's PDF against its SHA-256."""
    out = io.StringIO()
    call_command("verify_events", stdout=out)  # raises CommandError on any problem
    return out.getvalue()


@pytest.mark.smoke
def test_synthetic_cases_have_the_procedure_s_events_documents_and_deadlines(seeded):
    output = check_record()
    assert "发现 0 处问题" in output
    new = Case.objects.order_by("-pk")[:600]
    ids = [c.pk for c in new]
    by_code = Counter(Case.objects.filter(pk__in=ids).values_list("jurisdiction__code", flat=True))
    # Several jurisdictions of different sizes, LWG with most of the cases.
    assert len(by_code) == 4 and by_code.most_common(1)[0][0] == "LWG" and by_code["LWG"] > 300
    statuses = Counter(Case.objects.filter(pk__in=ids).values_list("status", flat=True))
    assert {Status.REPORTED, Status.ORDERED, Status.CLOSED, Status.DISMISSED} <= set(statuses)
    assert statuses[Status.CLOSED] > statuses[Status.ORDERED]  # years of history: most old cases finished
    events = Counter(CaseEvent.objects.filter(case_id__in=ids).values_list("action", flat=True))
    assert events["report"] == 600
    filed = Case.objects.filter(pk__in=ids).exclude(legal_basis="").count()
    assert events["file"] == filed > 300  # every filed case has its 立案 event…
    documents = Counter(Document.objects.filter(case_id__in=ids).values_list("kind", flat=True))
    assert documents["filing_approval"] == filed  # …and its 立案审批表
    assert documents["rectification_order"] + documents["stop_construction_order"] == events["order"] > 100
    assert ServiceRecord.objects.filter(document__case_id__in=ids).count() >= events["order"]
    # Deadlines: every case waiting on one has it; closed cases keep theirs (the on-time rate needs them).
    waiting = Case.objects.filter(pk__in=ids, status__in=DEADLINE_STATUSES)
    assert waiting.exists() and not waiting.filter(deadline__isnull=True).exists()
    closed = Case.objects.filter(pk__in=ids, status=Status.CLOSED)
    assert closed.filter(deadline__isnull=False).count() > closed.count() // 2
    # Dates in order and in the past: events by seq, the case's updated_at at its last event.
    now = timezone.now()
    for case in Case.objects.filter(pk__in=ids[:150]).prefetch_related("events"):
        times = [e.created_at for e in sorted(case.events.all(), key=lambda e: e.seq)]
        assert times == sorted(times) and times[-1] <= now and times[0] == case.created_at
        assert case.updated_at == times[-1] and case.version == len(times)
        if case.closed_at:
            assert case.created_at <= case.closed_at <= now


@pytest.mark.smoke
def test_synthetic_documents_are_numbered_gap_free_from_the_real_sequences(seeded):
    scopes = {}  # (jurisdiction, scope, year) -> [count, lowest, highest]
    rows = (Document.objects.order_by().values("case__jurisdiction_id", "kind", "year")
            .annotate(n=Count("pk"), low=Min("seq"), high=Max("seq")))
    for row in rows:
        found = scopes.setdefault((row["case__jurisdiction_id"], SEQUENCE_SCOPE[row["kind"]], row["year"]),
                                  [0, row["low"], row["high"]])
        found[0] += row["n"]
        found[1], found[2] = min(found[1], row["low"]), max(found[2], row["high"])
    assert len({key[0] for key in scopes}) == 4
    last = {(s.jurisdiction_id, s.scope, s.year): s.last_value for s in DocumentSequence.objects.all()}
    for key, (n, low, high) in scopes.items():
        assert (low, high) == (1, n) and last[key] == n, key
    cases = Case.objects.order_by().values("jurisdiction_id", "year").annotate(n=Count("pk"), high=Max("seq"))
    for row in cases:
        assert row["high"] == row["n"] == last[(row["jurisdiction_id"], "case", row["year"])]


def live_cells():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT jurisdiction_id, FLOOR(ST_X(location) / %s)::int, FLOOR(ST_Y(location) / %s)::int, status, "
            "COUNT(*) FROM patrol_case GROUP BY 1, 2, 3, 4", [rollup.CELL, rollup.CELL])
        cells = {row[:4]: row[4] for row in cursor.fetchall()}
        statuses = ", ".join(f"'{s}'" for s in DEADLINE_STATUSES)
        cursor.execute(
            "SELECT jurisdiction_id, FLOOR(ST_X(location) / %s)::int, FLOOR(ST_Y(location) / %s)::int, deadline, "
            f"COUNT(*) FROM patrol_case WHERE deadline IS NOT NULL AND status IN ({statuses}) GROUP BY 1, 2, 3, 4",
            [rollup.CELL, rollup.CELL])
        deadlines = {row[:4]: row[4] for row in cursor.fetchall()}
    return cells, deadlines


def live_filings():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.jurisdiction_id, (e.created_at AT TIME ZONE %s)::date, CASE WHEN c.status = 'closed' "
            "AND c.closed_at IS NOT NULL THEN (c.closed_at AT TIME ZONE %s)::date ELSE %s END, COUNT(*) "
            "FROM patrol_caseevent e JOIN patrol_case c ON c.id = e.case_id WHERE e.action = 'file' GROUP BY 1, 2, 3",
            [settings.TIME_ZONE, settings.TIME_ZONE, rollup.NOT_CLOSED])
        return {row[:3]: row[3] for row in cursor.fetchall()}


def rolled_up_filings():
    with connection.cursor() as cursor:
        cursor.execute("SELECT jurisdiction_id, filed_on, closed_on, n FROM patrol_casefiling WHERE n <> 0")
        return {row[:3]: row[3] for row in cursor.fetchall()}


def rolled_up():
    with connection.cursor() as cursor:
        cursor.execute("SELECT jurisdiction_id, gx, gy, status, n FROM patrol_casecell WHERE n <> 0")
        cells = {row[:4]: row[4] for row in cursor.fetchall()}
        cursor.execute("SELECT jurisdiction_id, gx, gy, deadline, n FROM patrol_casecelldeadline WHERE n <> 0")
        deadlines = {row[:4]: row[4] for row in cursor.fetchall()}
    return cells, deadlines


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_threaded_copy_seed_keeps_the_map_rollup_exact_and_the_record_verifiable(settings, tmp_path,
                                                                                      reused_renderings, monkeypatch):
    """The path a million-case seed takes: outside a transaction, COPY by two writer threads with the per-row trigger
    off, the rollup added up per batch."""
    from demo import synthetic

    monkeypatch.setattr(synthetic, "BATCH", 150)  # several batches per town, both writers busy
    settings.MEDIA_ROOT = tmp_path
    seed(0)
    demo = Case.objects.count()
    seed(900)
    assert Case.objects.count() == demo + 900
    assert rolled_up() == live_cells()
    assert rolled_up_filings() == live_filings() and sum(live_filings().values()) > 500
    assert "发现 0 处问题" in check_record()
    # The KPI strip's filed and 整改率 from the rollup are the live counts, for any period.
    lwg = Jurisdiction.objects.get(code="LWG")
    today = timezone.localdate()
    for period in (kpis.this_month(today), kpis.Period(today - timedelta(days=400), today),
                   kpis.Period(today - timedelta(days=90), today - timedelta(days=30))):
        cases = Case.objects.filter(jurisdiction=lwg)
        assert kpis.case_kpis(cases, today, period, filed=rollup.filings(lwg.pk, period)) == kpis.case_kpis(
            cases, today, period)
    # Live writes after the seed go through the triggers: a filing, a closing, a reopening.
    supervisor = User.objects.get(username="supervisor")
    reported = Case.objects.filter(status=Status.REPORTED, jurisdiction=lwg, photos__isnull=False).first()
    workflow.file_case(case_id=reported.pk, actor=supervisor, legal_basis="planning_art65", note="立案")
    ordered = Case.objects.filter(status=Status.ORDERED).first()
    Case.objects.filter(pk=ordered.pk).update(status=Status.CLOSED, closed_at=timezone.now(),
                                              resolution="rectified_by_party")
    closed = Case.objects.filter(status=Status.CLOSED).exclude(pk=ordered.pk).first()
    Case.objects.filter(pk=closed.pk).update(status=Status.DECIDED, closed_at=None, resolution="")
    assert rolled_up() == live_cells()
    assert rolled_up_filings() == live_filings()


def bulk_indexes():
    from demo import synthetic

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)",
                       [list(synthetic.BULK_TABLES)])
        return dict(cursor.fetchall())


def deferred_table_exists():
    from demo import synthetic

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [synthetic.DEFERRED_TABLE])
        return cursor.fetchone()[0]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_bulk_seed_builds_again_every_index_it_dropped_even_when_it_fails(settings, tmp_path, reused_renderings,
                                                                            monkeypatch):
    """A load that more than doubles the tables drops their secondary indexes and builds them after; a seed that
    fails half way still leaves every index, and one killed outright leaves their definitions for the next run."""
    from demo import synthetic

    monkeypatch.setattr(synthetic, "BATCH", 150)
    settings.MEDIA_ROOT = tmp_path
    seed(0)
    before = bulk_indexes()
    assert "case_jur_status" in before and "event_filed_at" in before
    dropped_during_load = []
    real_write = synthetic._write

    def write(*batch):
        dropped_during_load.append("case_jur_status" not in bulk_indexes())
        real_write(*batch)

    monkeypatch.setattr(synthetic, "_write", write)
    seed(300)
    assert dropped_during_load and all(dropped_during_load)
    assert bulk_indexes() == before and not deferred_table_exists()

    def failing_write(*batch):
        raise RuntimeError("disk full")

    monkeypatch.setattr(synthetic, "_write", failing_write)
    with pytest.raises(RuntimeError, match="disk full"):
        seed(1200)
    assert bulk_indexes() == before and not deferred_table_exists()

    # Killed between the drop and the build: the definitions wait in their table; the next seed builds them first.
    assert synthetic._defer_indexes(10 ** 9)
    assert "case_jur_status" not in bulk_indexes() and deferred_table_exists()
    monkeypatch.setattr(synthetic, "_write", real_write)
    seed(0)  # no synthetic cases: nothing dropped, but what an earlier run left is built
    assert bulk_indexes() == before and not deferred_table_exists()
