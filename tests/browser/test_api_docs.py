"""The API documentation renders from the app's own files: nothing is requested from outside."""
import pytest

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("path, ready", [("/api/docs/", ".swagger-ui .opblock"), ("/api/redoc/", "h1")])
def test_the_api_docs_render_without_any_request_leaving_the_server(new_page, users, live_server, path, ready):
    page = new_page()
    outside = []

    def only_local(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.context.route("**/*", only_local)
    page.goto(path)
    page.wait_for_selector(ready, timeout=30000)
    assert "Xuncha API" in page.content()
    assert "/api/v1/cases/" in page.content()
    screenshot(page, "api-docs" + path.replace("/", "-").rstrip("-"))
    assert outside == []
