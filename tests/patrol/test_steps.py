"""patrol.steps: the case page's step line (done steps with dates and documents, the current step, the next steps
with what blocks them) and its legal-clock panel."""
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from documents.choices import DocumentKind
from documents.services import issue_document, record_service
from patrol import procedure, steps, workflow
from patrol.models import Case
from tests.factories import finding

pytestmark = pytest.mark.django_db


def at(year, month, day, hour=10):
    return timezone.make_aware(datetime(year, month, day, hour))


@pytest.fixture
def ordered(users, settings, tmp_path, reused_renderings):
    """Reported Mon 2 Mar 2026, filed, inspected, ordered on Tue 3 Mar with five working days, served that day."""
    settings.MEDIA_ROOT = tmp_path
    case, _ = workflow.report_finding(actor=users["inspector"], now=at(2026, 3, 2, 9), **finding())
    workflow.file_case(case_id=case.pk, actor=users["supervisor"], legal_basis="planning_art65", note="立案",
                       now=at(2026, 3, 2, 14))
    procedure.record_inspection(case_id=case.pk, actor=users["inspector"], officers=[users["inspector"].pk,
                                users["supervisor"].pk], facts="在建", refused=True, witness_name="村委会主任",
                                now=at(2026, 3, 2, 15))
    workflow.comment(case_id=case.pk, actor=users["inspector"], note="当事人不在家", now=at(2026, 3, 2, 16))
    procedure.order(case_id=case.pk, actor=users["supervisor"], order_kind="rectification_order", period_days=5,
                    now=at(2026, 3, 3))
    record_service(document_id=case.documents.get(kind=DocumentKind.RECTIFICATION_ORDER).pk,
                   actor=users["supervisor"], method="left_at_premises", served_on=date(2026, 3, 3),
                   witness_name="村委会主任", now=at(2026, 3, 3, 16))
    return Case.objects.select_related("jurisdiction").get(pk=case.pk)


def line_for(case, user, now):
    events = list(case.events.select_related("actor").order_by("seq"))
    return steps.step_line(case, events, workflow.action_options(case, user, now=now))


def test_done_steps_carry_their_dates_and_documents_and_the_service_of_the_order(ordered, users):
    line = line_for(ordered, users["supervisor"], at(2026, 3, 5))
    # The comment and the service are not steps: the service is shown under the document it served.
    assert [step.action for step in line.done] == ["report", "file", "record_inspection", "order"]
    assert [timezone.localdate(step.at) for step in line.done] == [date(2026, 3, 2)] * 3 + [date(2026, 3, 3)]
    kinds = {step.action: [d.document.kind for d in step.documents] for step in line.done}
    assert kinds == {"report": [], "file": [DocumentKind.FILING_APPROVAL],
                     "record_inspection": [DocumentKind.INSPECTION_RECORD],
                     "order": [DocumentKind.RECTIFICATION_ORDER]}
    order = line.done[-1].documents[0]
    assert [s.method for s in order.services] == ["left_at_premises"] and not order.unserved
    # Five working days from effective service (3 Mar): 4, 5, 6, 9, 10 Mar.
    assert (order.effective_on, order.deadline) == (date(2026, 3, 3), date(2026, 3, 10))
    assert not line.other_documents
    assert "第65条" in line.done[1].outcome and line.done[2].outcome == ""  # the basis 立案 was under
    assert (line.current.status, line.current.since) == ("ordered", date(2026, 3, 3))


def test_next_steps_say_why_not_now_with_the_earliest_day_and_name_another_roles_step(ordered, users):
    line = line_for(ordered, users["supervisor"], at(2026, 3, 5))
    upcoming = {step.action: step for step in line.next}
    assert "comment" not in upcoming and "assign" not in upcoming
    notify = upcoming["notify_intent"]
    assert (notify.available, notify.own, notify.earliest) == (False, True, date(2026, 3, 11))
    assert "尚未届满" in notify.reason
    assert upcoming["reinspect"].available and upcoming["reinspect"].reason is None
    # The legal reviewer sees the same steps, each one the role may not take naming who may.
    legal = {step.action: step for step in line_for(ordered, users["legal"], at(2026, 3, 5)).next}
    assert list(legal) == list(upcoming)
    assert not legal["notify_intent"].own and "中队长" in legal["notify_intent"].reason
    assert legal["notify_intent"].earliest is None


def test_an_unserved_document_is_marked_and_a_document_no_step_names_is_still_listed(ordered, users):
    intent = issue_document(case=ordered, kind=DocumentKind.INTENT_NOTICE, actor=users["supervisor"],
                            now=at(2026, 3, 12), content={"facts": "逾期未改正"})
    line = line_for(ordered, users["supervisor"], at(2026, 3, 12))
    assert [d.document.pk for d in line.other_documents] == [intent.pk]
    assert line.other_documents[0].unserved and line.other_documents[0].effective_on is None


def clock(name, days_left):
    today = date(2026, 3, 20)
    return {"name": name, "label": name, "source": "", "start": today - timedelta(days=10),
            "end": today + timedelta(days=days_left), "days_left": days_left, "extended": False}


def test_a_passed_authority_deadline_is_overdue_and_a_passed_party_window_is_over():
    rows = steps.clock_rows([clock("decision", -3), clock("statement", -3), clock("hearing_request", 0),
                             clock("reconsideration", 40)])
    assert [(row.name, row.state) for row in rows] == [
        ("decision", "overdue"), ("statement", "over"), ("hearing_request", "ends_today"),
        ("reconsideration", "running")]
    assert rows[0].days_past == 3
