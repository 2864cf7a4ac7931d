"""Migration 0008: cases of the old procedure move to #13's states; old events keep their names; the chain holds.

The rows are written at migration 0007 with the historical models, as the old code wrote them (events with
their hashes), then 0008 runs on them.
"""
import io
from datetime import date, datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from patrol.ledger import GENESIS_HASH, content_hash, event_content, verify_case_chain

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]

BEFORE = [("patrol", "0007_case_legal_basis")]
AFTER = [("patrol", "0008_procedure_states")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    # Jurisdiction stays at its latest migration (nothing here unapplies it), so the historical models must have
    # its latest columns too, or rows written with them miss NOT NULL fields added since.
    targets = [*targets, *(node for node in executor.loader.graph.leaf_nodes() if node[0] == "geo")]
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_apps():
    apps = migrate(BEFORE)
    yield apps
    # Leave the database at the latest migrations for the tests after this one.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def old_case(apps, jurisdiction, actor, seq, history):
    """A case written by the old code: ``history`` is [(action, to_status, payload)] after the report."""
    Case, CaseEvent = apps.get_model("patrol", "Case"), apps.get_model("patrol", "CaseEvent")
    status = history[-1][1] if history else "reported"
    case = Case.objects.create(jurisdiction=jurisdiction, reference=f"TST-2026-{seq:05d}", year=2026, seq=seq,
                               location="SRID=4326;POINT(111.605 40.705)", category="new_construction",
                               stage="completed", reported_by=actor, status=status, version=len(history) + 1,
                               deadline=datetime(2026, 3, 10).date() if status != "reported" else None)
    prev, before = GENESIS_HASH, ""
    for seq_no, (action, to_status, payload) in enumerate([("report", "reported", {}), *history], start=1):
        at = timezone.make_aware(datetime(2026, 3, seq_no, 10))
        content = event_content(case_reference=case.reference, seq=seq_no, actor_id=actor.pk, created_at=at,
                                location=None, action=action, from_status=before, to_status=to_status, note="",
                                payload=payload, prev_hash=prev)
        prev = content_hash(content)
        CaseEvent.objects.create(case=case, seq=seq_no, actor_id=actor.pk, created_at=at, action=action,
                                 from_status=before, to_status=to_status, payload=payload,
                                 prev_hash=content["prev"], hash=prev)
        before = to_status
    return case.pk


def test_old_cases_move_to_the_new_states_and_their_record_still_verifies(old_apps):
    Jurisdiction, User = old_apps.get_model("geo", "Jurisdiction"), old_apps.get_model("patrol", "User")
    jurisdiction = Jurisdiction.objects.create(name="测试执法队", code="TST")
    actor = User.objects.create(username="old_supervisor", role="supervisor", jurisdiction=jurisdiction)
    filed = [("file", "filed", {}), ("issue_notice", "rectifying", {"notice_number": "TST〔2026〕限改字第1号"})]
    ids = {
        "reported": old_case(old_apps, jurisdiction, actor, 1, []),
        "rectifying": old_case(old_apps, jurisdiction, actor, 2, filed),
        "escalated": old_case(old_apps, jurisdiction, actor, 3, [*filed, ("escalate", "escalated", {})]),
        "enforcement_decided": old_case(old_apps, jurisdiction, actor, 4, [
            *filed, ("escalate", "escalated", {}),
            ("legal_approve", "enforcement_decided", {"decision_number": "龙执强拆决字〔2026〕第4号"})]),
    }

    migrate(AFTER)
    latest = MigrationExecutor(connection)
    latest.migrate(latest.loader.graph.leaf_nodes())  # 0009 fills the 办案期限 the current model reads

    from patrol.models import Case  # the current model, as the application reads it now

    cases = {name: Case.objects.get(pk=pk) for name, pk in ids.items()}
    assert {name: case.status for name, case in cases.items()} == {
        "reported": "reported", "rectifying": "ordered", "escalated": "in_review", "enforcement_decided": "decided"}
    assert cases["reported"].legal_basis == "" and cases["reported"].version == 1
    assert cases["reported"].decision_due is None and cases["rectifying"].decision_due == date(2026, 6, 1)
    assert {cases[n].legal_basis for n in ("rectifying", "escalated", "enforcement_decided")} == {"planning_art65"}
    moved = cases["enforcement_decided"].events.order_by("-seq").first()
    assert (moved.action, moved.from_status, moved.to_status) == ("migrate_procedure", "enforcement_decided",
                                                                  "decided")
    assert moved.payload["decision_number"] == "龙执强拆决字〔2026〕第4号"
    # The old events are untouched and keep their old names.
    assert list(cases["rectifying"].events.order_by("seq").values_list("to_status", flat=True)) == [
        "reported", "filed", "rectifying", "ordered"]
    for case in cases.values():
        assert verify_case_chain(case) is None
    out = io.StringIO()
    call_command("verify_events", stdout=out, stderr=io.StringIO())
    assert "4" in out.getvalue()


def test_old_status_names_are_shown_readably(users):
    from patrol.choices import status_label

    assert str(status_label("rectifying")) == "整改中"
    assert str(status_label("escalated")) == "待法制审核"
    assert str(status_label("ordered")) == "责令整改中"
