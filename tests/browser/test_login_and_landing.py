"""In Chromium: the Chinese login, each role's landing page, and the map without tiles."""
import pytest
from django.core.management import call_command

from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(settings, tmp_path, reused_renderings):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", "--demo-cases", "30", verbosity=0)


def test_inspector_on_a_phone_signs_in_in_chinese_and_lands_on_the_field_page(new_page, demo):
    page = new_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page.goto("/")
    assert page.url.endswith("/accounts/login/?next=/")
    assert page.locator("h1").inner_text().startswith("巡查")
    screenshot(page, "login-phone-zh")
    sign_in(page, "inspector")
    page.wait_for_url("**/field/")
    assert page.get_by_text("新发现").is_visible()
    # Nothing sticks out sideways on a 360 px screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "field-phone-zh")


@pytest.mark.parametrize("username", ["supervisor", "legal", "leader"])
def test_desk_roles_land_on_the_map_with_village_outlines_even_without_tiles(new_page, demo, username):
    page = new_page(tiles="fail", viewport={"width": 1280, "height": 800})
    sign_in(page, username)
    page.wait_for_url("**/map/")
    page.wait_for_selector("#map[data-loaded='7']", state="attached")
    assert page.locator(".leaflet-overlay-pane path").count() == 7
    assert page.locator(".village-label", has_text="龙王沟村").count() == 1
    screenshot(page, f"map-{username}")


def test_english_can_be_chosen_on_the_login_page(new_page, demo):
    page = new_page()
    page.goto("/accounts/login/")
    page.click("button[name=language][value=en]")
    page.wait_for_selector("html[lang=en]")
    assert page.locator("main button[type=submit]").inner_text() == "Sign in"
    sign_in(page, "supervisor")
    page.wait_for_url("**/map/")
    assert "Overdue" in page.locator(".kpis").inner_text()
    screenshot(page, "map-supervisor-en")
