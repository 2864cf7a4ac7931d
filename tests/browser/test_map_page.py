"""In Chromium: the supervisor's map — markers or clusters over village outlines, filters kept in the URL, the
list beside the map, popups that lead to the case, server clusters, the other layers, 天地图, and a phone."""
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from patrol.choices import Status
from patrol.models import Case, Patrol, Photo
from patrol.photos import make_thumbnail
from patrol.watermark import make_display_copy
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(settings, tmp_path, reused_renderings):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", "--demo-cases", "30", verbosity=0)


def sign_in(page, username, next_url="/"):
    page.goto(f"/accounts/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", "xuncha-demo")
    page.click("main button[type=submit]")


def wait_for_cases(page, total=None):
    selector = "#map[data-state='ready']" if total is None else f"#map[data-state='ready'][data-total='{total}']"
    page.wait_for_selector(selector, state="attached")


def url_zoom(page):
    return int(parse_qs(urlparse(page.url).query)["z"][0])


def wait_until(page, condition, timeout_ms=10000):
    # Polled from Python: page.wait_for_function would evaluate a string, which our CSP (no eval) forbids.
    for _ in range(timeout_ms // 100):
        if condition():
            return
        page.wait_for_timeout(100)
    assert condition()


def snapshot(page, name):
    page.wait_for_timeout(400)  # let Leaflet's fade and zoom animations finish
    return screenshot(page, name)


def lwg_cases():
    return Case.objects.filter(jurisdiction__code="LWG")


def test_the_supervisor_filters_the_map_by_status_and_opens_a_case_from_the_list(new_page, demo):
    page = new_page(tiles="fail", viewport={"width": 1280, "height": 800})
    console_errors = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    sign_in(page, "supervisor")
    page.wait_for_url("**/map/")
    page.wait_for_selector("#map[data-loaded='7']", state="attached")
    wait_for_cases(page, lwg_cases().count())
    # Seven village outlines; cases drawn as markers or count bubbles; the list holds every case in view.
    assert page.locator(".leaflet-overlay-pane path").count() == 7
    assert page.locator(".leaflet-marker-pane .case-marker, .leaflet-marker-pane .count-bubble").count() > 0
    expect(page.locator(".case-table tbody tr")).to_have_count(lwg_cases().count())
    expect(page.locator("[data-kpi=open]")).to_have_text(str(lwg_cases().exclude(
        status__in=[Status.CLOSED, Status.DISMISSED]).count()))
    snapshot(page, "map-page-desktop")

    rectifying = lwg_cases().filter(status=Status.ORDERED).count()
    assert 0 < rectifying < lwg_cases().count()
    page.click("details[data-multi=status] > summary")
    page.check("input[name=status][value=ordered]")
    wait_for_cases(page, rectifying)
    assert parse_qs(urlparse(page.url).query)["status"] == ["ordered"]
    expect(page.locator(".case-table tbody tr")).to_have_count(rectifying)
    statuses = page.locator(".case-table tbody tr td:nth-child(3)").all_inner_texts()
    assert set(statuses) == {str(Status.ORDERED.label)}  # 责令整改中
    expect(page.locator("[data-kpi=open]")).to_have_text(str(rectifying))
    page.click("details[data-multi=status] > summary")  # fold the status choices away again

    row = page.locator(".case-table tbody tr").first
    reference = row.locator("td.ref").inner_text()
    row.click()
    popup = page.locator(".leaflet-popup .case-popup")
    expect(popup).to_contain_text(reference)
    expect(popup).to_contain_text("整改中")
    # The map centred on the case and the list followed; the case's row stays marked.
    expect(page.locator(".case-table tbody tr.active td.ref")).to_have_text(reference)
    snapshot(page, "map-page-popup")
    # Nothing the page does trips the CSP (no inline script or style, no eval); only the blocked tiles fail.
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors
    popup.locator("a.open-case").click()
    page.wait_for_url("**/cases/*/")
    assert reference in page.locator("h1").inner_text()


def test_a_shared_link_restores_the_filters_and_the_view_and_a_marker_opens_its_popup(new_page, demo):
    case = lwg_cases().filter(photos__isnull=False).order_by("pk").first()
    photo = case.photos.order_by("pk").first()
    make_thumbnail(photo)  # what the worker does after an upload, with the watermarked display copy
    make_display_copy(Photo.objects.select_related("case", "uploaded_by").get(pk=photo.pk))
    page = new_page(tiles="fail", viewport={"width": 1280, "height": 800})
    link = f"/map/?status={case.status}&lat={case.location.y:.5f}&lng={case.location.x:.5f}&z=18"
    sign_in(page, "leader", next_url=link.replace("&", "%26").replace("?", "%3F"))
    page.wait_for_url(f"**/map/?status={case.status}*")
    wait_for_cases(page)
    assert page.is_checked(f"input[name=status][value={case.status}]")
    assert page.locator("[data-filter-count]").inner_text() == "(1)"
    assert url_zoom(page) == 18
    # At zoom 18 the case is a marker of its own; clicking it opens its popup with the photo's thumbnail.
    marker = page.locator(f".case-marker[data-case-id='{case.pk}']")
    expect(marker).to_be_visible()
    assert page.locator(f".leaflet-marker-pane .case-marker:not(.status-{case.status})").count() == 0
    marker.click()
    popup = page.locator(".leaflet-popup .case-popup")
    expect(popup).to_contain_text(case.reference)
    thumbnail = popup.locator(".thumb img")
    expect(thumbnail).to_have_attribute("src", f"/api/v1/photos/{photo.pk}/thumbnail/")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    # The thumbnail opens the watermarked copy, not the bare original.
    expect(popup.locator(".thumb a")).to_have_attribute("href", f"/api/v1/photos/{photo.pk}/display/")
    snapshot(page, "map-page-marker-popup")


def test_crowded_viewports_get_the_servers_clusters_as_count_bubbles(new_page, demo, settings):
    settings.MAP_MAX_POINTS = 5
    page = new_page(tiles="fail", viewport={"width": 1280, "height": 800})
    sign_in(page, "supervisor")
    wait_for_cases(page, lwg_cases().count())
    assert page.get_attribute("#map", "data-mode") == "clusters"
    bubbles = page.locator(".count-bubble.server-cluster")
    counts = [int(n) for n in bubbles.locator(".n").all_inner_texts()]
    assert sum(counts) == lwg_cases().count()
    # The list still lists the cases of the view, and says they are drawn aggregated.
    expect(page.locator(".list-summary")).to_contain_text("聚合")
    snapshot(page, "map-page-server-clusters")
    # A bubble zooms in two levels around itself, and the map asks again for that view.
    zoom = url_zoom(page)
    bubbles.first.click()
    wait_until(page, lambda: url_zoom(page) == zoom + 2)
    wait_for_cases(page)


def test_on_a_phone_the_list_is_a_sheet_over_a_full_width_map(new_page, demo):
    page = new_page(tiles="fail", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    sign_in(page, "supervisor")
    page.wait_for_url("**/map/")
    wait_for_cases(page, lwg_cases().count())
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    map_box = page.locator("#map").bounding_box()
    assert map_box["width"] >= 389 and map_box["height"] > 450
    assert not page.locator(".filter-grid").is_visible()  # filters folded away
    panel = page.locator("#map-panel")
    expect(panel).not_to_be_in_viewport()  # the sheet waits below the screen
    snapshot(page, "map-page-phone")

    page.click(".panel-toggle")
    expect(page.locator(".panel-toggle")).to_have_attribute("aria-expanded", "true")
    expect(panel).to_be_in_viewport(ratio=1)
    snapshot(page, "map-page-phone-list")
    row = page.locator(".case-table tbody tr").first
    reference = row.locator("td.ref").inner_text()
    row.click()
    expect(page.locator(".leaflet-popup .case-popup")).to_contain_text(reference)
    expect(page.locator(".panel-toggle")).to_have_attribute("aria-expanded", "false")
    snapshot(page, "map-page-phone-popup")


def test_tracks_heat_and_unpatrolled_villages_show_when_their_layers_are_on(new_page, demo):
    recent_tracks = Patrol.objects.filter(jurisdiction__code="LWG", track__isnull=False,
                                          started_at__gte=timezone.now() - timedelta(days=7)).count()
    assert recent_tracks
    page = new_page(tiles="fail", viewport={"width": 1280, "height": 800})
    sign_in(page, "supervisor", next_url="/map/%3Flayers%3Dcases,villages,campaigns,tracks,heat")
    page.wait_for_selector("#map[data-loaded='7']", state="attached")
    wait_for_cases(page)
    expect(page.locator(".leaflet-tracks-pane path")).to_have_count(recent_tracks)
    expect(page.locator("canvas.leaflet-heatmap-layer")).to_have_count(1)
    # The demo leaves two villages without a patrol in the last seven days: shaded and labelled.
    expect(page.locator(".village-label.stale")).to_have_count(2)
    expect(page.locator(".village-label.stale").first).to_contain_text("7天未巡查")
    snapshot(page, "map-page-layers")


def test_the_open_layer_switcher_is_not_hidden_under_the_legend_on_a_laptop_screen(new_page, demo):
    page = new_page(tiles="fail", viewport={"width": 1366, "height": 768})
    sign_in(page, "supervisor")
    page.wait_for_url("**/map/")
    wait_for_cases(page)
    page.hover(".leaflet-control-layers")
    expect(page.locator(".leaflet-control-layers-expanded")).to_have_count(1)
    # Every entry of the open list is the topmost element where it is drawn: nothing (the legend) lies over it.
    entries = page.locator(".leaflet-control-layers-list label")
    assert entries.count() >= 5
    for i in range(entries.count()):
        box = entries.nth(i).bounding_box()
        on_top = page.evaluate("([x, y]) => !!document.elementFromPoint(x, y).closest('.leaflet-control-layers')",
                               [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
        assert on_top, entries.nth(i).inner_text()
    snapshot(page, "map-page-layer-switcher-1366")


def test_tianditu_is_offered_with_a_key_and_asks_for_web_mercator_tiles(new_page, demo, settings):
    settings.TIANDITU_KEY = "browser-key-for-test"
    page = new_page(tiles="fail", viewport={"width": 1280, "height": 800})
    requested = []

    def tianditu(route):
        requested.append(route.request.url)
        route.abort()

    page.route("https://*.tianditu.gov.cn/**", tianditu)
    sign_in(page, "supervisor", next_url="/map/%3Fbase%3Dtianditu")
    wait_for_cases(page)
    wait_until(page, lambda: len(requested) > 4)
    vector = [url for url in requested if "/vec_w/wmts?" in url]
    labels = [url for url in requested if "/cva_w/wmts?" in url]
    assert vector and labels
    # The w matrix set is web-mercator, the one Leaflet's default map uses; c would need another CRS.
    assert all("TILEMATRIXSET=w" in url and "tk=browser-key-for-test" in url for url in vector + labels)
    # Without tiles the cases are still there.
    assert int(page.get_attribute("#map", "data-total")) == lwg_cases().count()
