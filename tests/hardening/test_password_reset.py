"""Password reset by email (issue #18): links from SITE_URL whatever the Host says, one email per account per
quarter of an hour, five requests per client address per hour, and no answer that tells whether an address has an
account."""
import re

import pytest
from django.core import mail

from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db]

URL = "/accounts/password_reset/"


@pytest.fixture
def person(jurisdiction):
    return UserFactory(username="t_reset", email="zhang.wei@example.org", jurisdiction=jurisdiction)


def ask(client, email, **extra):
    return client.post(URL, {"email": email}, **extra)


def test_the_reset_link_is_built_from_site_url_not_from_the_host_header(client, person, settings):
    settings.SITE_URL = "https://xuncha.example.gov.cn"
    settings.ALLOWED_HOSTS = ["*"]
    response = ask(client, person.email, HTTP_HOST="attacker.example.com")
    assert response.status_code == 302
    [message] = mail.outbox
    links = re.findall(r"https?://[^\s/]+/accounts/reset/\S+", message.body)
    assert links and all(link.startswith("https://xuncha.example.gov.cn/accounts/reset/") for link in links)
    assert "attacker.example.com" not in message.body


def test_five_requests_for_one_account_send_one_email_and_all_answer_alike(client, person):
    answers = [ask(client, person.email) for _ in range(5)]
    assert {(a.status_code, a["Location"]) for a in answers} == {(302, "/accounts/password_reset/done/")}
    assert len(mail.outbox) == 1
    # The limit is per account, whatever the case the address is typed in.
    ask(client, person.email.upper())
    assert len(mail.outbox) == 1


def test_the_account_limit_does_not_hold_back_another_account(client, person, jurisdiction):
    other = UserFactory(username="t_reset2", email="li.na@example.org", jurisdiction=jurisdiction)
    ask(client, person.email)
    ask(client, other.email)
    assert sorted(m.to[0] for m in mail.outbox) == [other.email, person.email]


def test_an_address_asking_more_than_five_times_an_hour_gets_429(client, person):
    for n in range(5):
        assert ask(client, f"nobody{n}@example.org").status_code == 302
    response = ask(client, person.email)
    assert response.status_code == 429
    assert "请求过于频繁" in response.content.decode()
    assert mail.outbox == []
    # Another client address is not held back.
    assert ask(client, person.email, REMOTE_ADDR="192.0.2.7").status_code == 302
    assert len(mail.outbox) == 1


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, person):
    response = ask(client, "nobody@example.org")
    assert (response.status_code, response["Location"]) == (302, "/accounts/password_reset/done/")
    assert mail.outbox == []
