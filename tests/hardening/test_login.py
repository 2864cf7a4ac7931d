"""Guessing passwords (issue #8): the login page and POST /api/v1/auth/token/ lock an account after repeated
failures (django-axes; `manage.py axes_reset` unlocks it), and tell nobody whether a user name exists — not by the
message, not by the time the answer takes."""
import statistics
import time

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = [pytest.mark.django_db]

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory


def token(username, password=PASSWORD):
    return APIClient().post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")


def login(client, username, password=PASSWORD):
    return client.post("/accounts/login/", {"username": username, "password": password})


def login_error(response):
    assert response.status_code == 200
    return [str(error) for error in response.context["form"].non_field_errors()]


def test_the_login_page_locks_after_five_failures_even_for_the_right_password(client, users):
    for _ in range(5):
        login(client, "t_inspector", "wrong")
    response = login(client, "t_inspector")
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_axes_reset_unlocks_the_login_page_and_the_token_endpoint(client, users):
    for _ in range(5):
        login(client, "t_inspector", "wrong")
        token("t_supervisor", "wrong")
    assert login(client, "t_inspector").status_code == 429
    assert token("t_supervisor").status_code == 429

    call_command("axes_reset", verbosity=0)

    assert login(client, "t_inspector").status_code == 302  # logged in, sent on
    assert token("t_supervisor").status_code == 200


def test_an_unknown_user_and_a_wrong_password_get_the_same_message_on_the_login_page(client, users):
    users["inspector2"].is_active = False
    users["inspector2"].save()
    wrong_password = login_error(login(client, "t_inspector", "wrong"))
    unknown_user = login_error(login(client, "nobody", "wrong"))
    inactive_right_password = login_error(login(client, "t_inspector2"))
    assert wrong_password == unknown_user == inactive_right_password and wrong_password


def test_an_unknown_user_and_a_wrong_password_get_the_same_answer_from_the_token_endpoint(users):
    users["inspector2"].is_active = False
    users["inspector2"].save()
    answers = [token("t_inspector", "wrong"), token("nobody", "wrong"), token("t_inspector2")]
    assert {response.status_code for response in answers} == {400}
    assert answers[0].json() == answers[1].json() == answers[2].json()


class CountingHasher(PBKDF2PasswordHasher):
    """PBKDF2 with enough rounds (~10 ms) that skipping it would show, counting how often it runs."""

    iterations = 20_000
    calls = 0

    def encode(self, password, salt, iterations=None):
        CountingHasher.calls += 1
        return super().encode(password, salt, iterations)


@pytest.fixture
def slow_hasher(settings, users):
    # The test settings hash with MD5 for speed: with it an unknown user would answer as fast as a known one anyway.
    settings.PASSWORD_HASHERS = ["tests.hardening.test_login.CountingHasher"]
    settings.AXES_FAILURE_LIMIT = 1000  # measuring, not locking
    users["inspector"].set_password(PASSWORD)
    users["inspector"].save()
    CountingHasher.calls = 0
    return CountingHasher


@pytest.mark.parametrize("attempt", ["login_page", "token"])
def test_an_unknown_user_costs_the_same_password_hashing_as_a_wrong_password(client, slow_hasher, attempt):
    def attempt_as(username):
        before = slow_hasher.calls
        started = time.perf_counter()
        if attempt == "login_page":
            login(client, username, "wrong")
        else:
            token(username, "wrong")
        return time.perf_counter() - started, slow_hasher.calls - before

    attempt_as("t_inspector"), attempt_as("nobody")  # warm up
    # Interleaved, so that a busy machine slows both kinds alike (CI runs this beside other tests).
    pairs = [(attempt_as("t_inspector"), attempt_as("nobody")) for _ in range(12)]  # 26 in all: under API_RATE_LOGIN
    known, unknown = [k for k, _u in pairs], [u for _k, u in pairs]
    assert all(calls == 1 for _seconds, calls in known + unknown), (known, unknown)
    known_median = statistics.median(seconds for seconds, _calls in known)
    unknown_median = statistics.median(seconds for seconds, _calls in unknown)
    # Without the hash an unknown name answers in a few per cent of the time; with it, within noise.
    assert 1 / 3 < unknown_median / known_median < 3, (known_median, unknown_median)
