"""The supervisor's 待办 beside the map (#15): overdue and late first, then by deadline; the true count; paged."""
import re
from datetime import timedelta

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from patrol import workflow
from patrol.choices import Status
from patrol.models import Case
from tests.factories import finding

pytestmark = pytest.mark.django_db


def report(user, **fields):
    case, _ = workflow.report_finding(actor=user, **finding(**fields))
    return case


def todo_references(html):
    panel = html[html.index('id="panel-todo"'):]
    panel = panel[:panel.index("</section>")]
    return re.findall(r"<strong>([^<]+)</strong>", panel)


def test_todo_puts_overdue_and_late_cases_first_counts_them_all_and_pages(client, users):
    supervisor = users["supervisor"]
    waiting = [report(users["inspector"], address=f"待立案{i}") for i in range(25)]
    overdue = []
    for days in (3, 10):  # created after the 25 reported ones, and still first
        case = report(users["inspector"], location=Point(111.625, 40.705, srid=4326))
        Case.objects.filter(pk=case.pk).update(status=Status.ORDERED, deadline=timezone.localdate() - timedelta(days=days))
        overdue.append(case)
    late = report(users["inspector"], address="超期未决定")
    workflow.file_case(case_id=late.pk, actor=supervisor, legal_basis="planning_art65", note="立案", now=timezone.now() - timedelta(days=120))
    in_time = report(users["inspector"], address="刚立案")
    workflow.file_case(case_id=in_time.pk, actor=supervisor, legal_basis="planning_art65", note="立案")

    client.force_login(supervisor)
    html = client.get("/map/").content.decode()
    assert 'data-todo-count="28"' in html  # 25 to file, 2 overdue, 1 late; not the filed one in time
    first_page = todo_references(html)
    late.refresh_from_db()
    assert first_page[:3] == [overdue[1].reference, overdue[0].reference, late.reference]  # the longest overdue first
    assert len(first_page) == 20
    second_page = todo_references(client.get("/map/?todo_page=2").content.decode())
    assert len(second_page) == 8 and not set(first_page) & set(second_page)
    assert {c.reference for c in waiting} == set(first_page[3:]) | set(second_page)
