"""In Chromium on a phone: a patrol started, walked with GPS, and finished with a note."""
import time

import pytest

from patrol.models import Patrol
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_patrol_records_its_track_and_a_note_that_nothing_was_found(new_page, users):
    page = new_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, tiles="fail",
                    geolocation={"latitude": 40.705, "longitude": 111.605, "accuracy": 5},
                    permissions=["geolocation"])
    sign_in(page, "t_inspector", "correct-horse-battery", lands_on="/field/")
    page.wait_for_selector("#field-app[data-ready=true]")

    page.click("#btn-patrol")
    page.wait_for_selector("#patrol-bar:not([hidden])")
    # Walk east across 东村 into 西村; each new position is a GPS fix the page records.
    for step in range(1, 25):
        page.context.set_geolocation({"latitude": 40.705, "longitude": 111.605 + step * 0.001, "accuracy": 5})
        page.wait_for_timeout(150)
    # The bar says how long, how far and where (the villages come back with the first batch sent).
    page.wait_for_selector("#patrol-bar:has-text('东村')", timeout=30000)
    bar = page.inner_text("#patrol-bar")
    assert "公里" in bar and "0:0" in bar
    assert 1500 < int(page.get_attribute("#patrol-bar", "data-distance")) < 2600
    screenshot(page, "field-patrolling-phone")
    page.click("#btn-patrol")
    page.fill("#finish-note", "未发现违法建设")
    page.click("#finish-form button[value=finish]")
    page.wait_for_selector("#patrol-bar", state="hidden")
    # Start, track batches and finish have all been delivered when the queue is empty again.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not Patrol.objects.filter(inspector=users["inspector"],
                                                                      ended_at__isnull=False).exists():
        page.wait_for_timeout(200)
    page.wait_for_selector("#queue-count[data-count='0']", timeout=30000)

    patrol = Patrol.objects.get(inspector=users["inspector"])
    assert patrol.ended_at is not None and patrol.note == "未发现违法建设"
    assert patrol.track is not None and len(patrol.track) >= 10
    assert 1500 < patrol.distance_m < 2600  # about 0.024° of longitude at 40.7° N ≈ 2 km
    assert sorted(v.name for v in patrol.villages.all()) == ["东村", "西村"]
    assert patrol.cases.count() == 0
