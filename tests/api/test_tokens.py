"""API tokens: obtained with name and password, stored only as a hash, revocable; logins are throttled."""
import pytest
from rest_framework.test import APIClient

from patrol.models import ApiToken, hash_token

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]

PASSWORD = "correct-horse-battery"


def obtain(username, password=PASSWORD, **extra):
    return APIClient().post("/api/v1/auth/token/", {"username": username, "password": password, **extra},
                            format="json")


def test_a_token_is_given_for_the_right_password_and_works_for_the_api(users):
    response = obtain("t_inspector", name="手机")
    assert response.status_code == 200
    key = response.json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    me = client.get("/api/v1/me/")
    assert me.status_code == 200 and me.json()["username"] == "t_inspector"


def test_only_a_hash_of_the_token_is_stored(users):
    key = obtain("t_inspector").json()["token"]
    row = ApiToken.objects.get()
    assert row.key_hash == hash_token(key) and key not in (row.key_hash, row.prefix, row.name)


def test_a_revoked_token_no_longer_works(users):
    key = obtain("t_inspector").json()["token"]
    ApiToken.objects.update(revoked_at="2026-01-01T00:00:00Z")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/api/v1/me/")
    assert response.status_code == 401 and response.json()["error"]["code"] == "authentication_failed"


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(users):
    wrong_password, unknown_user = obtain("t_inspector", "nope"), obtain("nobody", "nope")
    assert wrong_password.status_code == unknown_user.status_code == 400
    assert wrong_password.json() == unknown_user.json()
    assert ApiToken.objects.count() == 0


def test_repeated_failures_lock_the_account_even_for_the_right_password(users):
    for _ in range(5):
        obtain("t_inspector", "wrong")
    response = obtain("t_inspector")
    assert response.status_code == 429 and response.json()["error"]["code"] == "locked_out"
    assert ApiToken.objects.count() == 0


def test_too_many_requests_get_429_saying_when_to_retry(users, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "user": "3/min"})
    client = APIClient()
    client.force_authenticate(users["inspector"])
    codes = [client.get("/api/v1/me/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = client.get("/api/v1/me/")
    assert int(response["Retry-After"]) > 0 and response.json()["error"]["retry_after_s"] > 0


def test_a_user_makes_a_token_on_the_settings_page_sees_it_once_and_revokes_it(client, users):
    client.force_login(users["supervisor"])
    client.post("/settings/tokens/", {"name": "县平台"})
    page = client.get("/settings/").content.decode()
    token = ApiToken.objects.get(user=users["supervisor"])
    key = page.split('id="new-token">')[1].split("<")[0]
    assert key.startswith("xc_") and hash_token(key) == token.key_hash
    assert key not in client.get("/settings/").content.decode()  # never shown twice
    client.post(f"/settings/tokens/{token.pk}/revoke/")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/me/").status_code == 401


def test_nobody_can_revoke_another_users_token(client, users):
    token, _key = ApiToken.issue(users["inspector"], "x")
    client.force_login(users["supervisor"])
    assert client.post(f"/settings/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_language_preference_is_saved_for_emails_and_the_interface(client, users):
    client.force_login(users["inspector"])
    response = client.post("/settings/language/", {"language": "en"}, follow=True)
    users["inspector"].refresh_from_db()
    assert users["inspector"].language == "en"
    assert '<html lang="en">' in response.content.decode()
