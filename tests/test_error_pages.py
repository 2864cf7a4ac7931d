"""With DEBUG off (make run, production) every error is a page in the app's own style, in the user's language:
never Django's debug page with the settings, never a bare "Server Error (500)"."""
import pytest
from django.test import RequestFactory
from django.utils import translation

from api.exceptions import database_unavailable

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.error_urls"), pytest.mark.smoke]

PAGES = {  # path: (status, Chinese heading, English heading)
    "/no-such-page/": (404, "未找到", "Not found"),
    "/denied/": (403, "没有权限", "Not allowed"),
    "/boom/": (500, "服务器出错", "Server error"),
}


@pytest.fixture
def live_errors(settings, client):
    settings.DEBUG = False
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_error_pages_are_the_apps_own_in_the_users_language(live_errors, path, language):
    status, chinese, english = PAGES[path]
    response = live_errors.get(path, HTTP_ACCEPT_LANGUAGE=language)
    body = response.content.decode()
    assert response.status_code == status
    assert f"<h1>{chinese if language == 'zh-hans' else english}</h1>" in body, body
    assert 'class="topbar"' in body and "/static/css/app.css" in body  # extends base.html
    assert "Traceback" not in body and "SECRET_KEY" not in body


@pytest.mark.parametrize(("language", "heading"), [("zh-hans", "数据库暂时不可用"), ("en", "The database is unavailable for a moment")])
def test_the_database_unavailable_page_is_the_apps_own_and_needs_no_database(language, heading,
                                                                            django_assert_num_queries):
    request = RequestFactory().get("/ledger/")
    with translation.override(language), django_assert_num_queries(0):
        response = database_unavailable(request)
    body = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert heading in body and 'class="topbar"' in body
