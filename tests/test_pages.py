"""Login, landing page by role, languages, health."""
import json
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from worker.tasks import heartbeat

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]

PASSWORD = "correct-horse-battery"


def login(client, user):
    return client.post(reverse("login"), {"username": user.username, "password": PASSWORD}, follow=True)


@pytest.mark.parametrize("role, landing", [
    ("inspector", "/field/"),
    ("supervisor", "/map/"),
    ("legal", "/map/"),
    ("leader", "/map/"),
])
def test_each_role_lands_on_its_page_after_login(client, users, role, landing):
    response = login(client, users[role])
    assert response.redirect_chain[-1][0] == landing
    assert response.status_code == 200


def test_wrong_password_shows_a_chinese_error_and_stays_on_login(client, users):
    response = client.post(reverse("login"), {"username": "t_inspector", "password": "nope"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_pages_require_login(client):
    for name in ("home", "field", "map"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")


def test_login_page_is_chinese_by_default_and_for_chinese_browsers(client):
    assert "<html lang=\"zh-CN\">" in client.get("/accounts/login/").content.decode()
    body = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert "用户名" in body and "登录" in body


def test_english_is_selectable_and_complete_on_the_login_page(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"}, follow=True)
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "Username" in body and "Sign in" in body
    assert "用户名" not in body


def test_field_page_lists_only_the_inspectors_own_jurisdiction(client, users):
    from patrol import workflow
    from tests.factories import finding
    from django.contrib.gis.geos import Point

    mine, _ = workflow.report_finding(actor=users["inspector"], **finding())
    theirs, _ = workflow.report_finding(actor=users["other_supervisor"],
                                        **finding(location=Point(112.605, 41.705, srid=4326)))
    login(client, users["inspector"])
    body = client.get("/field/").content.decode()
    assert mine.reference in body
    assert theirs.reference not in body


def test_healthz_reports_database_broker_and_worker(client, settings):
    heartbeat.apply()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"]["ok"] is True
    assert body["worker"]["ok"] is True and body["worker"]["age_s"] < 5
    assert "broker" in body


def test_healthz_sees_a_real_redis_broker(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    assert client.get("/healthz").json()["broker"] == {"ok": True, "transport": "redis"}
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    assert client.get("/healthz").json()["broker"]["ok"] is False


def test_healthz_is_503_when_the_database_is_down():
    # A separate process whose database is a port where nothing listens: a real outage, no mock.
    code = ("import django, json; django.setup(); from django.test import Client; "
            "r = Client().get('/healthz'); print(r.status_code); print(r.content.decode())")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test",
           "DATABASE_URL": "postgis://postgres@127.0.0.1:1/nowhere", "ALLOWED_HOSTS": "testserver"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                         cwd=django_settings.BASE_DIR)
    status, body = out.stdout.strip().split("\n", 1)
    assert status == "503", out.stderr
    assert json.loads(body)["database"]["ok"] is False


def test_pages_carry_a_content_security_policy_without_inline_script(client):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "<script>" not in response.content.decode()


def test_login_locks_after_five_failures_even_with_the_right_password(client, users):
    for _ in range(5):
        client.post(reverse("login"), {"username": "t_inspector", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "t_inspector", "password": PASSWORD})
    assert response.status_code == 429
    assert "账号已暂时锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
