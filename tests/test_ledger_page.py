"""The ledger page (台账): the jurisdiction's cases, the list's filters in the URL, sorting, pages and exports."""
import re
from datetime import timedelta
from html import unescape

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from patrol import workflow
from patrol.bulk import add_synthetic_cases
from patrol.choices import Status
from patrol.models import Case
from tests.factories import finding
from exports.models import ExportJob

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def report(user, **fields):
    case, _ = workflow.report_finding(actor=user, **finding(**fields))
    return case


@pytest.fixture
def cases(users):
    first = report(users["inspector"], address="村东头", party_name="张三")
    second = report(users["inspector"], address="小学北侧", location=Point(111.625, 40.705, srid=4326))
    third = report(users["supervisor"], address="河道旁")
    Case.objects.filter(pk=second.pk).update(status=Status.ORDERED,
                                             deadline=timezone.localdate() - timedelta(days=2))
    elsewhere = report(users["other_supervisor"], location=Point(112.605, 41.705, srid=4326), party_name="外人")
    return {"first": first, "second": second, "third": third, "elsewhere": elsewhere}


def ledger(client, user, query=""):
    client.force_login(user)
    response = client.get(f"/ledger/{query}")
    assert response.status_code == 200
    return response


def references(response):
    """The case references of the table's rows, in order."""
    return references_of(response.content.decode())


def references_of(html):
    tbody = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<td class="ref"><a href="/cases/\d+/">([^<]+)</a>', tbody)


def test_the_ledger_needs_a_signed_in_user(client):
    response = client.get("/ledger/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_the_ledger_lists_the_jurisdictions_cases_each_linking_to_its_page(client, users, cases):
    response = ledger(client, users["leader"])
    html = response.content.decode()
    assert set(references(response)) == {cases[k].reference for k in ("first", "second", "third")}
    assert f'href="/cases/{cases["first"].pk}/"' in html
    assert "共 3 件" in html


def test_a_user_of_another_jurisdiction_sees_none_of_the_cases(client, users, cases):
    response = ledger(client, users["other_supervisor"])
    html = response.content.decode()
    assert references(response) == [cases["elsewhere"].reference]
    for key in ("first", "second", "third"):
        assert cases[key].reference not in html
    assert "张三" not in html and "东村" not in html


def test_overdue_rows_are_highlighted(client, users, cases):
    html = ledger(client, users["supervisor"]).content.decode()
    overdue_rows = re.findall(r'<tr class="overdue">\s*<td class="ref"><a href="/cases/\d+/">([^<]+)</a>', html)
    assert overdue_rows == [cases["second"].reference]
    assert "已逾期" in html


@pytest.mark.parametrize("query, expected", [
    ("?status=ordered", {"second"}),
    ("?overdue=true", {"second"}),
    ("?overdue=false", {"first", "third"}),
    ("?q=张三", {"first"}),
    ("?status=reported&q=河道", {"third"}),
    ("?inspector=__inspector__", {"first", "second"}),
])
def test_the_list_filters_narrow_the_table(client, users, cases, query, expected):
    query = query.replace("__inspector__", str(users["inspector"].pk))
    response = ledger(client, users["supervisor"], query)
    assert set(references(response)) == {cases[k].reference for k in expected}


def test_the_filter_form_shows_the_filters_of_the_url(client, users, cases, jurisdiction):
    village = jurisdiction.villages.get(name="西村")
    html = ledger(client, users["supervisor"], f"?status=ordered&village={village.pk}&q=小学").content.decode()
    assert 'name="status" value="ordered" checked' in html
    assert f'<option value="{village.pk}" selected>西村</option>' in html
    assert 'name="q" type="search" value="小学"' in html


def test_an_invalid_filter_value_is_named_and_the_page_still_shows(client, users, cases):
    html = ledger(client, users["supervisor"], "?status=nonsense&reported_from=tomorrow").content.decode()
    assert 'class="field-error filter-errors"' in html
    assert "<li>状态：" in html and "<li>发现日期起：" in html
    assert len(references_of(html)) == 3  # the invalid filters are ignored, not applied


@pytest.mark.parametrize("ordering", ["reference", "-reference"])
def test_the_table_sorts_by_reference_either_way(client, users, cases, ordering):
    shown = references(ledger(client, users["supervisor"], f"?ordering={ordering}"))
    assert shown == sorted(shown, reverse=ordering.startswith("-"))
    assert len(shown) == 3


def test_sorting_by_deadline_puts_cases_without_one_last(client, users, cases):
    assert references(ledger(client, users["supervisor"], "?ordering=deadline"))[0] == cases["second"].reference
    assert references(ledger(client, users["supervisor"], "?ordering=-deadline"))[0] == cases["second"].reference


def test_sorting_by_status_follows_the_procedure(client, users, cases):
    shown = references(ledger(client, users["supervisor"], "?ordering=-status"))
    assert shown[0] == cases["second"].reference  # 整改中 comes after 待立案


def test_the_sort_links_keep_the_filters_and_toggle_the_direction(client, users, cases):
    html = unescape(ledger(client, users["supervisor"], "?status=reported&ordering=reference&page=1").content.decode())
    assert 'aria-sort="ascending"' in html
    assert 'href="?status=reported&ordering=-reference" data-sort="reference"' in html
    assert 'href="?status=reported&ordering=deadline" data-sort="deadline"' in html


def test_the_export_buttons_carry_the_current_filters_and_ordering(client, users, cases):
    html = unescape(ledger(client, users["supervisor"], "?status=reported&q=&ordering=-created_at&page=1")
                    .content.decode())
    for fmt in ("xlsx", "csv", "geojson", "kml"):
        assert f'href="/api/v1/cases/export.{fmt}?status=reported&ordering=-created_at" data-format="{fmt}"' in html
    assert 'data-async="false"' in html


def test_a_set_larger_than_the_sync_limit_makes_the_exports_background_jobs(client, users, cases, settings):
    settings.LEDGER_SYNC_LIMIT = 2
    assert 'data-async="true"' in ledger(client, users["supervisor"]).content.decode()


def test_the_table_has_fifty_rows_a_page_and_pages_keep_the_filters(client, users, jurisdiction):
    add_synthetic_cases(jurisdiction=jurisdiction, actor=users["inspector"], count=60, seed=1)
    first = ledger(client, users["supervisor"], "?ordering=reference")
    assert len(references(first)) == 50
    assert 'href="?ordering=reference&amp;page=2" rel="next"' in first.content.decode()
    second = ledger(client, users["supervisor"], "?ordering=reference&page=2")
    assert len(references(second)) == 10
    assert not set(references(first)) & set(references(second))


def test_the_number_of_queries_does_not_grow_with_the_number_of_cases(client, users, jurisdiction,
                                                                      django_assert_max_num_queries):
    client.force_login(users["supervisor"])
    add_synthetic_cases(jurisdiction=jurisdiction, actor=users["inspector"], count=3, seed=1)
    with CaptureQueriesContext(connection) as few:
        client.get("/ledger/?ordering=status")
    add_synthetic_cases(jurisdiction=jurisdiction, actor=users["inspector"], count=120, seed=2)
    with django_assert_max_num_queries(10), CaptureQueriesContext(connection) as many:
        response = client.get("/ledger/?ordering=status")
    assert len(references(response)) == 50
    assert len(many) == len(few)


def test_the_page_shows_the_progress_of_the_users_own_export_job_only(client, users, cases):
    mine = ExportJob.objects.create(user=users["supervisor"], jurisdiction=users["supervisor"].jurisdiction,
                                    format="xlsx", status=ExportJob.Status.RUNNING, progress=40)
    html = ledger(client, users["supervisor"], f"?job={mine.pk}").content.decode()
    assert f'data-status-url="/api/v1/exports/{mine.pk}/"' in html
    assert 'value="40"' in html
    html = ledger(client, users["leader"], f"?job={mine.pk}").content.decode()
    assert 'data-status-url=""' in html
    assert 'id="export-job" aria-live="polite" hidden' in html


def test_the_page_loads_its_script_from_a_static_file_only(client, users, cases):
    html = ledger(client, users["supervisor"]).content.decode()
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert "js/ledger.js" in html and "css/ledger.css" in html
