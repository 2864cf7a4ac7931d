"""Every page of the app × every role of two jurisdictions: who may open it, and that nobody sees another
jurisdiction's objects (DOMAIN.md: "a user never sees or touches another jurisdiction's data").

The pages are read from the URL configuration, so a page added without a row in PAGES fails
``test_every_page_is_in_the_matrix``. (The API has its own matrix in tests/api/test_permission_matrix.py.)
"""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from documents.choices import DocumentKind
from documents.services import record_service
from patrol.models import ApiToken
from patrol import workflow
from patrol.choices import CampaignStatus
from patrol.models import Campaign, Notice
from tests.documents.conftest import issue
from tests.factories import finding
from tests.routes import routes
from patrol import kpis
from summaries import services as summaries
from summaries.models import Summary
from tuban.models import TubanBatch

pytestmark = [pytest.mark.django_db]

ROLES = ("inspector", "supervisor", "legal", "leader")
EVERYONE = set(ROLES)
SUMMARY_READERS = {"supervisor", "leader"}
SUMMARY_MANAGERS = {"supervisor"}

# name: (method, who may, what they get, whether it names an object of the jurisdiction)
# "who may" get the "ok" status; the jurisdiction's other roles get 403; another jurisdiction's supervisor
# gets 404 for an object page (it does not exist for them) and the page itself otherwise.
PAGES = {
    "home": ("GET", EVERYONE, 302, False),
    "field": ("GET", {"inspector", "supervisor"}, 200, False),  # those who log findings
    "map": ("GET", EVERYONE, 200, False),
    "ledger": ("GET", EVERYONE, 200, False),
    "case": ("GET", EVERYONE, 200, True),
    # Filing is the supervisor's (DOMAIN.md); the form answers with the case page again on a refusal.
    "case-action": ("POST", {"supervisor"}, 302, True),
    "notice-print": ("GET", EVERYONE, 200, True),
    "case-sign": ("GET", {"inspector", "supervisor"}, 200, True),  # those who take signatures in the field
    # 送达 from the case page: the supervisor's, as the API's (documents.services.SERVICE_ROLES).
    "case-document-service": ("POST", {"supervisor"}, 302, True),
    "case-service-receipt-date": ("POST", {"supervisor"}, 302, True),
    "settings": ("GET", EVERYONE, 200, False),
    "settings-language": ("POST", EVERYONE, 302, False),
    "settings-token-create": ("POST", EVERYONE, 302, False),
    "settings-token-revoke": ("POST", set(), 302, True),  # only the token's owner, checked separately
    "summaries": ("GET", SUMMARY_READERS, 200, False),
    "summary": ("GET", SUMMARY_READERS, 200, True),
    "summary-file": ("GET", SUMMARY_READERS, 200, True),
    "summary-jurisdiction-settings": ("GET", SUMMARY_MANAGERS, 200, False),
    "summary-campaign-settings": ("GET", SUMMARY_MANAGERS, 200, True),
    "summary-campaign-send": ("POST", SUMMARY_MANAGERS, 302, True),
    # 卫片图斑 (#19): everyone reads the batches; supervisors import them and assign by village.
    "tuban-batches": ("GET", EVERYONE, 200, False),
    "tuban-upload": ("GET", {"supervisor"}, 302, False),  # the form posts here; a GET goes back to the list
    "tuban-commit": ("POST", {"supervisor"}, 302, False),  # without a dry run first: back to the list
    "tuban-discard": ("POST", {"supervisor"}, 302, False),  # the dry run's cancel; without one: back to the list
    "tuban-batch": ("GET", EVERYONE, 200, True),
    "tuban-assign-village": ("POST", {"supervisor"}, 302, True),
}
# Not pages of the app's own: the API (its own matrix), Django's admin, auth and i18n views, and the
# public technical endpoints.
NOT_IN_MATRIX = {"service-worker", "healthz", "set_language",
                 # 执法公示: public pages, no login, the same for everyone (tests/disclosure/test_pages.py).
                 "disclosure-before", "disclosure-decisions", "disclosure-feed"}
SKIPPED_PREFIXES = ("api/", "admin/", "accounts/", "i18n/")


def _page_names():
    return {pattern.name for route, pattern in routes()
            if pattern.name and not route.startswith(SKIPPED_PREFIXES)} - NOT_IN_MATRIX


def test_every_page_is_in_the_matrix():
    assert _page_names() == set(PAGES)


@pytest.fixture
def world(settings, tmp_path, users, jurisdiction):
    """One of everything a page can name, in the first jurisdiction."""
    settings.MEDIA_ROOT = tmp_path
    users["supervisor"].email = "supervisor@example.org"
    users["supervisor"].save()
    today = timezone.localdate()
    campaign = Campaign.objects.create(jurisdiction=jurisdiction, name="春季整治", starts_on=today - timedelta(days=9),
                                       ends_on=today + timedelta(days=20), status=CampaignStatus.ACTIVE)
    campaign.recipients.set([users["supervisor"]])
    case, _ = workflow.report_finding(actor=users["inspector"], campaign=campaign,
                                      now=timezone.now() - timedelta(days=2), **finding(address="矩阵测试地址"))
    noticed, _ = workflow.report_finding(actor=users["inspector"], **finding())
    workflow.file_case(case_id=noticed.pk, actor=users["supervisor"], legal_basis="planning_art65", note="立案")
    # A notice of the procedure before #13 (issue_notice, now gone): it still prints on its case.
    notice = Notice.objects.create(case=noticed, kind="rectify", year=today.year, seq=1, number="TST〔2026〕限改字第1号",
                                   issued_on=today, deadline=today + timedelta(days=7), service_method="in_person",
                                   served_on=today, issued_by=users["supervisor"])
    summary, _ = summaries.request_summary(scope=kpis.Scope.for_campaign(campaign), kind=Summary.Kind.WEEKLY,
                                           period=kpis.current_period(campaign))
    summaries.produce_summary(summary.pk)
    summary.refresh_from_db()
    token, _key = ApiToken.issue(users["supervisor"], "矩阵")
    tuban_batch = TubanBatch.objects.create(jurisdiction=jurisdiction, name="矩阵批次")
    # Two documents to serve: one not served yet, one posted and waiting for its return receipt.
    unserved = issue(noticed, DocumentKind.REMINDER, users["supervisor"], deadline=today + timedelta(days=30))
    posted = record_service(document_id=issue(noticed, DocumentKind.REMINDER, users["supervisor"],
                                              deadline=today + timedelta(days=30)).pk,
                            actor=users["supervisor"], method="post", served_on=today, tracking_number="1180123")
    return {"case": case, "noticed": noticed, "notice": notice, "campaign": campaign,
            "unserved": unserved, "posted": posted,
            "summary": summary, "token": token, "tuban_batch": tuban_batch,
            "tuban_village": jurisdiction.villages.order_by("name").first()}


def _request(client, name, world):
    method = PAGES[name][0]
    case, campaign, summary = world["case"], world["campaign"], world["summary"]
    args, data = {
        "case": ([case.pk], None),
        "case-action": ([case.pk, "file"], {"legal_basis": "planning_art65", "note": "立案", "version": case.version}),
        "notice-print": ([world["noticed"].pk, world["notice"].pk], None),
        "case-sign": ([case.pk], None),
        "case-document-service": ([world["noticed"].pk, world["unserved"].pk], {
            "method": "left_at_premises", "served_on": timezone.localdate().isoformat(), "witness_name": "村委会主任"}),
        "case-service-receipt-date": ([world["noticed"].pk, world["posted"].pk],
                                      {"receipt_date": timezone.localdate().isoformat()}),
        "settings-language": ([], {"language": "zh-hans"}),
        "settings-token-create": ([], {"name": "matrix"}),
        "settings-token-revoke": ([world["token"].pk], {}),
        "summary": ([summary.pk], None),
        "summary-file": ([summary.pk, "ledger"], None),
        "summary-campaign-settings": ([campaign.pk], None),
        "summary-campaign-send": ([campaign.pk], {}),
        "tuban-batch": ([world["tuban_batch"].pk], None),
        "tuban-assign-village": ([world["tuban_batch"].pk], {"village": world["tuban_village"].pk, "inspector": ""}),
    }.get(name, ([], None))
    url = reverse(name, args=args)
    return client.post(url, data or {}) if method == "POST" else client.get(url)


def test_a_refused_page_says_so_in_the_users_language(client, users):
    client.force_login(users["leader"])
    page = client.get(reverse("field")).content.decode()
    assert "没有权限" in page and "您的角色不能打开此页面" in page
    page = client.get(reverse("case", args=[987654])).content.decode()
    assert "此页面不存在，或不在您的辖区内" in page


@pytest.mark.parametrize("name", sorted(PAGES))
def test_anonymous_visitors_are_sent_to_the_login_page(client, name, world):
    response = _request(client, name, world)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login")), name


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(set(PAGES) - {"settings-token-revoke"}))
def test_each_role_of_the_jurisdiction_may_open_what_it_may_and_no_more(client, users, world, name, role):
    _method, allowed, ok, _named = PAGES[name]
    client.force_login(users[role])
    response = _request(client, name, world)
    expected = ok if role in allowed else 403
    assert response.status_code == expected, f"{role} {name}: {response.status_code}"
    if name == "case-action":
        world["case"].refresh_from_db()
        assert (world["case"].status == "filed") == (role in allowed)


@pytest.mark.parametrize("name", sorted(name for name, row in PAGES.items() if row[3]))
def test_another_jurisdiction_finds_none_of_its_objects(client, users, world, name):
    client.force_login(users["other_supervisor"])
    response = _request(client, name, world)
    assert response.status_code == 404, f"{name}: {response.status_code}"
    world["case"].refresh_from_db()
    assert world["case"].status == "reported"


@pytest.mark.parametrize("name", ["map", "ledger", "field", "summaries"])
def test_another_jurisdictions_lists_hold_none_of_its_cases(client, users, world, name):
    client.force_login(users["other_supervisor"])
    body = _request(client, name, world).content.decode()
    for case in (world["case"], world["noticed"]):
        assert case.reference not in body
    assert "矩阵测试地址" not in body and "春季整治" not in body


def test_only_its_owner_can_revoke_a_token(client, users, world):
    token = world["token"]
    for user in (users["leader"], users["other_supervisor"]):
        client.force_login(user)
        assert _request(client, "settings-token-revoke", world).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    client.force_login(users["supervisor"])
    assert _request(client, "settings-token-revoke", world).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
