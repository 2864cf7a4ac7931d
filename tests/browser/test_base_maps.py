"""In Chromium: with a 天地图 key the field page's and the case page's maps offer 天地图 too (one configuration,
patrol/frontend.py), ask for its web-mercator tiles, and keep the inspector's choice on the phone."""
import pytest
from playwright.sync_api import expect

from patrol import workflow
from tests.browser.conftest import BLANK_TILE, fresh_fix, screenshot, sign_in
from tests.factories import finding

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wait_until(page, condition, timeout_ms=10000):
    # Polled from Python: page.wait_for_function would evaluate a string, which our CSP (no eval) forbids.
    for _ in range(timeout_ms // 100):
        if condition():
            return
        page.wait_for_timeout(100)
    assert condition()


def base_map_labels(page, map_selector):
    return page.locator(f"{map_selector} .leaflet-control-layers-base label").all_inner_texts()


def test_tianditu_is_offered_on_the_field_and_case_maps_and_the_choice_is_kept(new_page, users, settings):
    settings.TIANDITU_KEY = "browser-key-for-test"
    case, _ = workflow.report_finding(actor=users["inspector"], **finding())
    page = new_page(tiles="fail", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                    geolocation={"latitude": 40.705, "longitude": 111.605, "accuracy": 6},
                    permissions=["geolocation"])
    console_errors = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    requested = []

    def tianditu(route):
        requested.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=BLANK_TILE)

    page.route("https://*.tianditu.gov.cn/**", tianditu)
    sign_in(page, "t_supervisor", "correct-horse-battery", lands_on="/map/")

    # The field page: the finding's map starts on OpenStreetMap and offers both 天地图 maps.
    page.goto("/field/")
    page.wait_for_selector("#field-app[data-ready=true]")
    page.click("#btn-new-finding")
    fresh_fix(page, 40.705, 111.605, 6)
    page.wait_for_selector("#loc-status:has-text('±')")
    assert [label.strip() for label in base_map_labels(page, "#finding-map")] == [
        "OpenStreetMap 地图", "天地图 矢量", "天地图 影像"]
    assert not requested
    # Leaflet opens the switcher when the pointer comes over it (and covers its own button then), so the pointer
    # is moved there by hand once the form has scrolled into view.
    page.mouse.move(1, 1)
    page.wait_for_timeout(600)
    box = page.locator("#finding-map .leaflet-control-layers-toggle").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.click("#finding-map .leaflet-control-layers-base label:has-text('天地图 矢量')")
    wait_until(page, lambda: any("/cva_w/" in url for url in requested))
    vector = [url for url in requested if "/vec_w/wmts?" in url]
    labels = [url for url in requested if "/cva_w/wmts?" in url]
    assert vector and labels
    assert all("TILEMATRIXSET=w" in url and "tk=browser-key-for-test" in url for url in vector + labels)
    expect(page.locator("#finding-map .leaflet-control-attribution")).to_contain_text("天地图")
    screenshot(page, "field-finding-tianditu-phone")

    # The case page offers the same maps and opens on the one chosen last on this phone.
    requested.clear()
    page.goto(f"/cases/{case.pk}/")
    assert [label.strip() for label in base_map_labels(page, "#case-map")] == [
        "OpenStreetMap 地图", "天地图 矢量", "天地图 影像"]
    wait_until(page, lambda: any("/vec_w/wmts?" in url for url in requested))
    assert page.locator("#case-map .leaflet-control-layers-base input:checked + span").inner_text().strip() == (
        "天地图 矢量")
    # The case's marker is drawn over whatever base map there is.
    expect(page.locator("#case-map path.leaflet-interactive")).to_have_count(1)
    page.locator("#case-map").scroll_into_view_if_needed()
    screenshot(page, "case-map-tianditu-phone")
    # Module scripts and the json_script configuration pass the CSP (no inline script, no eval).
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors


def test_without_a_key_the_field_and_case_maps_have_no_switcher_and_never_ask_tianditu(new_page, users, settings):
    settings.TIANDITU_KEY = ""
    case, _ = workflow.report_finding(actor=users["inspector"], **finding())
    page = new_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    requested = []
    page.route("https://*.tianditu.gov.cn/**", lambda route: (requested.append(route.request.url), route.abort()))
    osm = []
    page.on("request", lambda request: osm.append(request.url) if "tile.openstreetmap.org" in request.url else None)
    sign_in(page, "t_supervisor", "correct-horse-battery", lands_on="/map/")
    page.goto(f"/cases/{case.pk}/")
    page.wait_for_selector("#case-map .leaflet-tile-loaded", state="attached")
    assert osm
    expect(page.locator("#case-map .leaflet-control-layers")).to_have_count(0)
    assert not requested
