"""What a supervisor's map session costs in API requests, measured in Chromium (#16): the user throttle
(API_RATE_USER) must leave a 5× margin over an hour of busy use, and a 429 on the map page shows a message and
retries after Retry-After instead of failing."""
import pytest
from playwright.sync_api import expect
from rest_framework.throttling import SimpleRateThrottle

from patrol.choices import Status
from tests.browser.test_map_page import demo, lwg_cases, sign_in, wait_for_cases  # noqa: F401 - demo is a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PANS = 10
# A busy hour: one map action (pan, zoom or filter) every 5 seconds, without a pause.
ACTIONS_PER_HOUR = 720
MARGIN = 5


def drag(page, dx, dy):
    box = page.locator("#map").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y + dy, steps=4)
    page.mouse.up()


def test_an_hour_of_busy_map_use_fits_the_user_throttle_five_times(new_page, demo):  # noqa: F811
    page = new_page(viewport={"width": 1280, "height": 800})
    requests = []
    page.on("request", lambda request: requests.append(request.url) if "/api/" in request.url else None)
    sign_in(page, "supervisor")
    page.wait_for_url("**/map/")
    wait_for_cases(page, lwg_cases().count())
    page.wait_for_timeout(1000)
    opening = len(requests)

    before = len(requests)
    for n in range(PANS):
        # Back and forth, so the map ends where it began and the status filter below counts every case again.
        drag(page, 120 if n % 2 else -120, 60 if n % 2 else -60)
        page.wait_for_timeout(700)  # the map waits 250 ms after a move before it asks
        wait_for_cases(page)
    per_pan = (len(requests) - before) / PANS

    before = len(requests)
    page.click("details[data-multi=status] > summary")
    page.check("input[name=status][value=ordered]")
    wait_for_cases(page, lwg_cases().filter(status=Status.ORDERED).count())
    page.wait_for_timeout(700)
    per_filter = len(requests) - before

    per_action = max(per_pan, per_filter)
    hourly = opening + per_action * ACTIONS_PER_HOUR
    rate = SimpleRateThrottle.THROTTLE_RATES["user"]
    allowed = int(rate.split("/")[0]) * {"hour": 1, "minute": 60}[rate.split("/")[1]]
    print(f"\nmap session: opening {opening} requests, {per_pan:.1f} a pan, {per_filter} a filter change; a busy hour "
          f"({ACTIONS_PER_HOUR} actions) {hourly:.0f}; user throttle {rate}: margin {allowed / hourly:.1f}×")
    assert allowed >= MARGIN * hourly, (opening, per_pan, per_filter, rate)


def test_the_map_says_when_it_is_throttled_and_retries_after_retry_after(new_page, demo):  # noqa: F811
    page = new_page(viewport={"width": 1280, "height": 800})
    refused, calls = [], []

    def throttle_once(route):
        calls.append(route.request.url)
        if not refused:
            refused.append(route.request.url)
            route.fulfill(status=429, headers={"Retry-After": "2", "Content-Type": "application/json"},
                          body='{"error": {"code": "throttled", "message": "throttled", "fields": {}}}')
        else:
            route.continue_()

    sign_in(page, "supervisor")
    page.wait_for_url("**/map/")
    wait_for_cases(page, lwg_cases().count())
    page.route("**/api/v1/map/cases/**", throttle_once)
    drag(page, 150, 0)
    expect(page.locator("body")).to_contain_text("请求过于频繁，2 秒后自动重试")
    page.wait_for_timeout(3500)
    # Asked again after the 2 s it was told, and drawn.
    assert len(refused) == 1 and len(calls) >= 2
    wait_for_cases(page)
