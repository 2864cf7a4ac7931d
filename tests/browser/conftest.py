"""Browser tests: Debian's Chromium driven by Playwright against the live test server."""
import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make are still
# ordinary synchronous calls between browser steps.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# A 1x1 PNG served instead of map tiles: the tile server is the one truly external thing.
BLANK_TILE = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360606060000000050001a5f645400000000049454e44ae426082"
)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/system-packages.sh test)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    contexts = []

    def make(locale="zh-CN", tiles="blank", **options):
        context = browser.new_context(locale=locale, base_url=live_server.url, **options)
        # Map tiles come from the internet; here they are served blank or fail, as offline.
        if tiles == "blank":
            context.route("https://tile.openstreetmap.org/**",
                          lambda route: route.fulfill(status=200, content_type="image/png", body=BLANK_TILE))
        else:
            context.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        return page

    yield make
    for context in contexts:
        context.close()


def screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, username, password="xuncha-demo", lands_on=None):
    """Sign in through the login form, as a person would; optionally wait for the landing page."""
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    if lands_on:
        page.wait_for_url(f"**{lands_on}")


def fresh_fix(page, latitude, longitude, accuracy):
    """The phone reports its position again. Chromium's emulation answers a new watch only when the position is
    set again once another watch (the 图斑 list's) has had it, as a moving phone's GPS does by itself."""
    page.context.set_geolocation({"latitude": latitude, "longitude": longitude, "accuracy": accuracy})
