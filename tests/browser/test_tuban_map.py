"""In Chromium: the supervisor map draws the 图斑 in view in their own colours with a status filter, and the KPI
strip counts those still to check."""
from datetime import date

import pytest

from tests.browser.conftest import screenshot, sign_in
from tests.tuban.conftest import make_batch
from tuban.models import Tuban

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_supervisor_map_shows_the_tuban_with_their_filter(new_page, users, jurisdiction, other_jurisdiction):
    make_batch(jurisdiction, due_date=date(2020, 1, 31),
               tuban=[("T001", 111.605, 40.705, "东村"), ("T002", 111.610, 40.710, "东村"),
                      ("T003", 111.625, 40.705, "西村")])
    make_batch(other_jurisdiction, name="别处", tuban=[("X001", 112.605, 41.705, "远村")])
    Tuban.objects.filter(number="T003").update(status="legal")
    page = new_page(viewport={"width": 1280, "height": 800}, tiles="fail")
    sign_in(page, "t_supervisor", "correct-horse-battery", lands_on="/map/")
    page.wait_for_selector("#tuban-map-layer[data-ready=true]", state="attached")
    page.wait_for_selector("#tuban-map-layer[data-shown='3']", state="attached")
    assert page.locator("path.tuban-pending").count() == 2 and page.locator("path.tuban-legal").count() == 1
    # Two unchecked, both past the batch's due date.
    page.wait_for_selector("#tuban-kpi")
    assert (page.get_attribute("#tuban-kpi", "data-pending"), page.get_attribute("#tuban-kpi", "data-overdue")) == (
        "2", "2")
    page.select_option("#tuban-map-filter", "legal")
    page.wait_for_selector("#tuban-map-layer[data-shown='1']", state="attached")
    assert page.locator("path.tuban-polygon").count() == 1
    screenshot(page, "tuban-supervisor-map")
