"""The field page at 360 px and 1366 px, and the supervisor's map in English at 1366 px (#15): screenshots to look at,
and the layout faults the issue saw, measured."""
import pytest
from django.core.management import call_command

from tests.browser.conftest import fresh_fix, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [360, 1366])
def test_the_field_form_at_phone_and_desk_width(new_page, users, width):
    page = new_page(viewport={"width": width, "height": 800}, is_mobile=width < 700, has_touch=width < 700,
                    geolocation={"latitude": 40.705, "longitude": 111.605, "accuracy": 42},
                    permissions=["geolocation"], tiles="blank")
    sign_in(page, "t_inspector", "correct-horse-battery", lands_on="/field/")
    page.wait_for_selector("#field-app[data-ready=true]")
    screenshot(page, f"field-{width}")
    page.click("#btn-new-finding")
    fresh_fix(page, 40.705, 111.605, 42)
    page.wait_for_selector("#loc-status:has-text('±42')")
    assert "≤ 30" in page.inner_text("#loc-status")
    # Nothing of the form sticks out of the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"field-form-{width}")


def test_the_english_field_form_reads_as_an_instruction(new_page, users):
    page = new_page(locale="en-GB", viewport={"width": 360, "height": 800}, is_mobile=True, has_touch=True)
    sign_in(page, "t_inspector", "correct-horse-battery", lands_on="/field/")
    page.wait_for_selector("#field-app[data-ready=true]")
    page.click("#btn-new-finding")
    assert page.inner_text("#finding-heading") == "Report a finding"
    assert not any(ch in page.inner_text("#finding-form") for ch in "：（），")
    screenshot(page, "field-form-360-en")


def test_the_english_map_at_desk_width(new_page, settings, tmp_path, reused_renderings):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", "--demo-cases", "30", verbosity=0)
    page = new_page(locale="en-GB", tiles="blank", viewport={"width": 1366, "height": 800})
    page.goto("/accounts/login/?next=/map/")
    page.fill("#id_username", "supervisor")
    page.fill("#id_password", "xuncha-demo")
    page.click("main button[type=submit]")
    page.wait_for_selector("#map[data-state='ready']", state="attached")

    status = page.locator("details.multi[data-multi=status]")
    assert status.locator("summary").inner_text().startswith("Status: ")
    filters = page.inner_text("#map-filters")
    assert not any(ch in filters for ch in "：（），")
    # No filter label is cut off: every select shows its whole chosen text.
    clipped = page.evaluate("""Array.from(document.querySelectorAll('#map-filters select')).filter(function (s) {
      var probe = document.createElement('span');
      probe.style.cssText = 'position:absolute;visibility:hidden;white-space:nowrap;font:' + getComputedStyle(s).font;
      probe.textContent = s.options[s.selectedIndex].text;
      document.body.appendChild(probe);
      var wide = probe.getBoundingClientRect().width;
      probe.remove();
      return wide > s.clientWidth - 18;  // the arrow takes about that much
    }).map(function (s) { return s.name; })""")
    assert clipped == []

    # The 状态 dropdown closes on a click elsewhere.
    status.locator("summary").click()
    assert status.get_attribute("open") is not None
    page.click(".kpis")
    assert status.get_attribute("open") is None

    # The layer switcher: each checkbox on the line of its label.
    page.hover(".leaflet-control-layers")
    page.wait_for_selector(".leaflet-control-layers-expanded")
    rows = page.evaluate("""Array.from(document.querySelectorAll('.leaflet-control-layers label')).map(function (l) {
      var box = l.querySelector('input').getBoundingClientRect(), text = l.querySelector('span span, span').getBoundingClientRect();
      return [box.top, box.bottom, text.top, text.bottom];
    })""")
    assert rows and all(b_top < t_bottom and t_top < b_bottom for b_top, b_bottom, t_top, t_bottom in rows)
    screenshot(page, "map-1366-en-layers")

    page.click("#tab-todo")
    badge = int(page.get_attribute("#tab-todo .badge", "data-todo-count"))
    assert badge >= page.locator("#panel-todo li").count()
    screenshot(page, "map-1366-en-todo")
