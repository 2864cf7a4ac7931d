"""Officers and their 执法证: two distinct officers with certificates valid on the day (行政处罚法 第42条)."""
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from patrol.choices import Role
from patrol.errors import RuleViolation
from patrol.officers import certificate_problem, check_two_officers
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]

ON = date(2026, 3, 3)


def officer(username, number="150105202600101", valid_until=date(2027, 12, 31), **kwargs):
    return UserFactory(username=username, role=Role.INSPECTOR, certificate_number=number,
                       certificate_valid_until=valid_until, **kwargs)


@pytest.fixture
def pair(jurisdiction):
    return [officer("zhang_officer", "150105202600101", jurisdiction=jurisdiction),
            officer("li_officer", "150105202600102", jurisdiction=jurisdiction)]


def test_two_officers_with_valid_certificates_may_make_a_record(pair):
    check_two_officers(pair, ON)
    check_two_officers(iter(pair), ON)  # any iterable, e.g. a queryset


def test_a_single_officer_is_refused_naming_article_42(pair):
    with pytest.raises(RuleViolation) as refused:
        check_two_officers(pair[:1], ON)
    assert refused.value.http_status == 409
    assert "行政处罚法 第42条" in str(refused.value.message)
    assert "officers" in refused.value.fields


def test_the_same_officer_named_twice_is_one_officer(pair):
    with pytest.raises(RuleViolation, match="不得少于两人"):
        check_two_officers([pair[0], pair[0]], ON)


def test_nobody_at_all_is_refused():
    with pytest.raises(RuleViolation):
        check_two_officers([], ON)


def test_an_officer_without_a_certificate_is_refused_by_name(pair, jurisdiction):
    newcomer = UserFactory(username="wang", last_name="王", first_name="五", role=Role.INSPECTOR,
                           jurisdiction=jurisdiction, certificate_number="", certificate_valid_until=None)
    with pytest.raises(RuleViolation) as refused:
        check_two_officers([pair[0], newcomer], ON)
    assert "行政处罚法 第42条" in str(refused.value.message)
    assert refused.value.fields["officers"] == ["王五 没有登记执法证"]


def test_a_certificate_is_valid_on_its_last_day_and_not_the_day_after(pair):
    pair[1].certificate_valid_until = ON
    check_two_officers(pair, ON)
    with pytest.raises(RuleViolation) as refused:
        check_two_officers(pair, date(2026, 3, 4))
    assert "150105202600102" in str(refused.value.message)
    assert certificate_problem(pair[0], date(2026, 3, 4)) is None


def test_more_than_two_officers_may_sign_if_all_are_valid(pair, jurisdiction):
    check_two_officers(pair + [officer("zhao", "150105202600103", jurisdiction=jurisdiction)], ON)


def test_a_certificate_number_needs_its_validity_and_the_reverse(jurisdiction):
    user = UserFactory.build(username="x", role=Role.INSPECTOR, jurisdiction=jurisdiction,
                             certificate_number="150105202600109", certificate_valid_until=None)
    with pytest.raises(ValidationError) as refused:
        user.full_clean()
    assert "certificate_valid_until" in refused.value.message_dict
    user.certificate_number, user.certificate_valid_until = "", date(2027, 1, 1)
    with pytest.raises(ValidationError) as refused:
        user.full_clean()
    assert "certificate_number" in refused.value.message_dict


def test_two_users_cannot_hold_the_same_certificate_but_many_may_have_none(pair, jurisdiction):
    UserFactory(username="a", role=Role.LEADER, jurisdiction=jurisdiction)
    UserFactory(username="b", role=Role.LEADER, jurisdiction=jurisdiction)
    with pytest.raises(IntegrityError), transaction.atomic():
        officer("copy", pair[0].certificate_number, jurisdiction=jurisdiction)


# --- where people see it ----------------------------------------------------------------------------

def test_me_shows_the_certificate_and_patch_cannot_change_it(client, pair):
    client.force_login(pair[0])
    me = client.get("/api/v1/me/").json()
    assert (me["certificate_number"], me["certificate_valid_until"]) == ("150105202600101", "2027-12-31")
    response = client.patch("/api/v1/me/", {"language": "en", "certificate_number": "1",
                                            "certificate_valid_until": "2099-01-01"}, content_type="application/json")
    assert response.status_code == 200
    pair[0].refresh_from_db()
    assert (pair[0].certificate_number, pair[0].certificate_valid_until) == ("150105202600101", date(2027, 12, 31))
    assert response.json()["certificate_number"] == "150105202600101"


def test_me_shows_no_certificate_for_a_leader(client, users):
    client.force_login(users["leader"])
    me = client.get("/api/v1/me/").json()
    assert (me["certificate_number"], me["certificate_valid_until"]) == ("", None)


def test_the_admin_records_a_certificate_on_the_user(client, pair):
    admin = UserFactory(username="it", role=Role.ADMIN, jurisdiction=None, is_staff=True, is_superuser=True)
    client.force_login(admin)
    body = client.get(reverse("admin:patrol_user_change", args=[pair[0].pk]), HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert 'name="certificate_number"' in body.content.decode()
    assert 'name="certificate_valid_until"' in body.content.decode()
    listing = client.get(reverse("admin:patrol_user_changelist"), {"q": "150105202600102"}).content.decode()
    assert "li_officer" in listing and "zhang_officer" not in listing
