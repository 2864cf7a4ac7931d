"""The 汇总报告 pages and API: a stored summary with its charts, only for supervisors and leaders of its
jurisdiction; the settings form; sending now."""
import io
import re
from datetime import timedelta

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from patrol import workflow
from patrol.choices import CampaignStatus, SummarySchedule
from patrol.models import Campaign
from tests.factories import finding
from patrol import kpis
from summaries import services as summaries
from notifications.models import Delivery
from notifications.services import deliver
from summaries.models import JurisdictionSummarySchedule, Summary

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


@pytest.fixture
def campaign(users, jurisdiction):
    for name in ("supervisor", "leader"):
        users[name].email = f"{name}@example.org"
        users[name].save()
    today = timezone.localdate()
    campaign = Campaign.objects.create(jurisdiction=jurisdiction, name="春季整治", starts_on=today - timedelta(days=20),
                                       ends_on=today + timedelta(days=20), status=CampaignStatus.ACTIVE)
    campaign.recipients.set([users["supervisor"], users["leader"]])
    for i in range(3):
        case, _ = workflow.report_finding(actor=users["inspector"], campaign=campaign,
                                          now=timezone.now() - timedelta(days=1 + i), **finding())
        workflow.file_case(case_id=case.pk, actor=users["supervisor"], legal_basis="planning_art65", note="立案")
    return campaign


@pytest.fixture
def stored(settings, tmp_path, campaign):
    """A built summary with its files and two recorded emails, as a worker leaves it."""
    settings.MEDIA_ROOT = tmp_path
    summary, _ = summaries.request_summary(scope=kpis.Scope.for_campaign(campaign), kind=Summary.Kind.WEEKLY,
                                           period=kpis.current_period(campaign))
    summaries.produce_summary(summary.pk)
    summary.refresh_from_db()
    return summary


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_supervisors_and_leaders_see_the_summary_with_its_charts_and_kpis(client, users, stored):
    for role in ("supervisor", "leader"):
        client.force_login(users[role])
        listing = client.get(reverse("summaries")).content.decode()
        assert reverse("summary", args=[stored.pk]) in listing and "春季整治" in listing
        page = client.get(reverse("summary", args=[stored.pk]))
        assert page.status_code == 200
        html = page.content.decode()
        for name in ("weekly", "villages"):
            src = reverse("summary-file", args=[stored.pk, name])
            assert f'<img src="{src}"' in html
            image = client.get(src)
            assert image.status_code == 200 and image["Content-Type"] == "image/png"
            assert b"".join(image.streaming_content).startswith(b"\x89PNG")
        assert re.search(r'data-kpi="new_findings"><td>新发现线索</td><td><strong>3</strong>', html)
        assert re.search(r'data-kpi="filed"><td>立案</td><td><strong>3</strong>', html)
        for section in ("by_village", "by_category", "by_inspector", "deliveries"):
            assert f'id="{section}"' in html
        # CSP: no inline script or style on the page.
        assert not re.search(r"<script(?![^>]*\bsrc=)", html) and "style=" not in html


def test_the_ledger_of_the_summary_downloads_and_opens(client, users, stored, campaign):
    client.force_login(users["leader"])
    response = client.get(reverse("summary-file", args=[stored.pk, "ledger"]))
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    references = [row[0] for row in book.worksheets[0].iter_rows(values_only=True)
                  if row and isinstance(row[0], str) and row[0].startswith("TST-")]
    assert len(references) == campaign.cases.count() == stored.files["ledger_rows"] == 3


def test_other_roles_get_403_and_other_jurisdictions_404(client, users, stored):
    client.force_login(users["inspector"])
    assert client.get(reverse("summaries")).status_code == 403
    assert client.get(reverse("summary", args=[stored.pk])).status_code == 403
    assert client.get(reverse("summary-file", args=[stored.pk, "weekly"])).status_code == 403
    client.force_login(users["other_supervisor"])
    assert reverse("summary", args=[stored.pk]) not in client.get(reverse("summaries")).content.decode()
    assert client.get(reverse("summary", args=[stored.pk])).status_code == 404
    assert client.get(reverse("summary-file", args=[stored.pk, "weekly"])).status_code == 404
    assert client.get(reverse("summary-file", args=[stored.pk, "ledger"])).status_code == 404
    client.logout()
    assert client.get(reverse("summary-file", args=[stored.pk, "weekly"])).status_code == 302  # to the login


def test_a_summary_whose_sending_failed_shows_so(client, users, stored):
    stored.deliveries.filter(recipient="leader@example.org").update(
        status=Delivery.Status.FAILED, attempts=7, last_error="SMTPDataError: 451 Try again later")
    client.force_login(users["supervisor"])
    html = client.get(reverse("summary", args=[stored.pk])).content.decode()
    assert "发送失败" in html and "451 Try again later" in html
    assert "1 封发送失败" in client.get(reverse("summaries")).content.decode()


def test_supervisors_set_a_campaigns_recipients_and_schedule_and_leaders_may_not(client, users, campaign):
    url = reverse("summary-campaign-settings", args=[campaign.pk])
    client.force_login(users["leader"])
    assert client.get(url).status_code == 403
    assert client.post(url, {"schedule": "daily"}).status_code == 403
    client.force_login(users["other_supervisor"])
    assert client.get(url).status_code == 404

    client.force_login(users["supervisor"])
    form = client.get(url).content.decode()
    assert "leader@example.org" in form and "每周一 08:00" in form
    response = client.post(url, {"schedule": SummarySchedule.DAILY, "recipients": [users["leader"].pk]})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.summary_schedule == SummarySchedule.DAILY
    assert list(campaign.recipients.all()) == [users["leader"]]
    assert client.post(url, {"schedule": "hourly"}).status_code == 400


def test_supervisors_set_the_jurisdictions_own_schedule(client, users, campaign):
    client.force_login(users["supervisor"])
    response = client.post(reverse("summary-jurisdiction-settings"),
                           {"schedule": SummarySchedule.MONTHLY, "recipients": [users["supervisor"].pk]})
    assert response.status_code == 302
    setting = JurisdictionSummarySchedule.objects.get(jurisdiction=users["supervisor"].jurisdiction)
    assert setting.schedule == SummarySchedule.MONTHLY and list(setting.recipients.all()) == [users["supervisor"]]


def test_send_now_from_the_page_records_one_summary_a_day(client, users, campaign, settings, tmp_path,
                                                          django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(users["supervisor"])
    url = reverse("summary-campaign-send", args=[campaign.pk])
    with django_capture_on_commit_callbacks() as queued:
        first = client.post(url)
        again = client.post(url)
    assert first.status_code == again.status_code == 302
    summary = Summary.objects.get()
    assert first["Location"] == reverse("summary", args=[summary.pk])
    assert (summary.kind, summary.requested_by, len(queued)) == (Summary.Kind.ON_DEMAND, users["supervisor"], 2)
    client.force_login(users["leader"])
    assert client.post(url).status_code == 403


def test_the_api_gives_the_current_numbers_to_supervisors_and_leaders(users, campaign):
    url = f"/api/v1/campaigns/{campaign.pk}/summary/"
    data = api(users["leader"]).get(url).json()
    assert data["scope"] == {"type": "campaign", "id": campaign.pk, "name": "春季整治",
                             "jurisdiction": {"id": campaign.jurisdiction_id, "code": "TST", "name": "测试执法队"}}
    assert data["period"]["start"] == campaign.starts_on.isoformat()
    assert (data["overall"]["current"]["new_findings"], data["overall"]["current"]["filed"]) == (3, 3)
    assert {row["id"] for row in data["by_category"]} >= {"extension"}
    week = api(users["supervisor"]).get(url, {"start": timezone.localdate().isoformat(),
                                              "end": timezone.localdate().isoformat()}).json()
    assert week["period"]["days"] == 1 and week["previous_period"]["days"] == 1
    assert api(users["inspector"]).get(url).status_code == 403
    assert api(users["other_supervisor"]).get(url).status_code == 404
    bad = api(users["supervisor"]).get(url, {"start": "2026-13-01", "end": "2026-01-01"})
    assert bad.status_code == 400 and "start" in bad.json()["error"]["fields"]


def test_the_api_queues_sending_for_supervisors_only(users, campaign, django_capture_on_commit_callbacks):
    url = f"/api/v1/campaigns/{campaign.pk}/summary/send/"
    with django_capture_on_commit_callbacks() as queued:
        response = api(users["supervisor"]).post(url)
    assert response.status_code == 202 and len(queued) == 1
    assert response.json()["summary"] == Summary.objects.get().pk
    assert api(users["leader"]).post(url).status_code == 403
    assert api(users["inspector"]).post(url).status_code == 403
    assert api(users["other_supervisor"]).post(url).status_code == 404


def test_the_api_lists_stored_summaries_of_the_jurisdiction_only(users, stored):
    listing = api(users["leader"]).get("/api/v1/summaries/").json()
    assert [row["id"] for row in listing["results"]] == [stored.pk]
    detail = api(users["leader"]).get(f"/api/v1/summaries/{stored.pk}/").json()
    assert detail["numbers"]["overall"]["current"]["new_findings"] == 3
    assert detail["files"]["weekly"] == reverse("summary-file", args=[stored.pk, "weekly"])
    assert sorted(d["recipient"] for d in detail["deliveries"]) == ["leader@example.org", "supervisor@example.org"]
    assert api(users["other_supervisor"]).get("/api/v1/summaries/").json()["results"] == []
    assert api(users["other_supervisor"]).get(f"/api/v1/summaries/{stored.pk}/").status_code == 404
    assert api(users["inspector"]).get("/api/v1/summaries/").status_code == 403


def test_a_summary_still_being_built_names_who_will_get_it(client, users, campaign):
    summary, _ = summaries.request_summary(scope=kpis.Scope.for_campaign(campaign), kind=Summary.Kind.WEEKLY,
                                           period=kpis.current_period(campaign))
    client.force_login(users["supervisor"])
    page = client.get(reverse("summary", args=[summary.pk])).content.decode()
    assert "正在生成" in page
    assert "生成后发送给：" in page
    assert str(users["supervisor"]) in page and str(users["leader"]) in page
    assert "没有接收人" not in page


def _sent_today(campaign, users, api_client):
    """The first "send now" of the day, built and emailed as the worker does."""
    first = api_client.post(f"/api/v1/campaigns/{campaign.pk}/summary/send/")
    assert first.status_code == 202
    summary = Summary.objects.get(pk=first.json()["summary"])
    for delivery_id in summaries.produce_summary(summary.pk):
        deliver(delivery_id)
    return summary


def test_send_now_a_second_time_the_same_day_says_who_has_it_and_resends_once_on_request(
        users, campaign, settings, tmp_path, mailoutbox, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    client = api(users["supervisor"])
    url = f"/api/v1/campaigns/{campaign.pk}/summary/send/"
    summary = _sent_today(campaign, users, client)
    assert len(mailoutbox) == 2
    sent_at = timezone.localtime(summary.deliveries.get(recipient="leader@example.org").sent_at)

    with django_capture_on_commit_callbacks() as queued:
        again = client.post(url)
    # Nothing is sent, and the answer says so: who has it and when, not a bare 202 "ready".
    assert again.status_code == 200 and queued == []
    data = again.json()
    assert (data["summary"], data["already_sent"], data["queued"]) == (summary.pk, True, False)
    assert sorted(d["recipient"] for d in data["sent_to"]) == ["leader@example.org", "supervisor@example.org"]
    assert all(d["status"] == "sent" and d["sent_at"] for d in data["sent_to"])
    assert data["message"].startswith("今天已发送给：") and f"{sent_at:%H:%M}" in data["message"]
    assert str(users["leader"]) in data["message"] and str(users["supervisor"]) in data["message"]

    # An explicit resend to a chosen recipient, recorded once however often the same request arrives.
    body = {"resend_to": [users["leader"].pk], "client_uuid": "0b7e7f0c-4a57-4d0e-9d7a-8a1d3a8e2f11"}
    with django_capture_on_commit_callbacks(execute=True) as queued:
        resent = client.post(url, body, format="json")
        double_tap = client.post(url, body, format="json")
    assert resent.status_code == 202 and resent.json()["queued"] is True
    assert [d["recipient"] for d in resent.json()["resent_to"]] == ["leader@example.org"]
    assert double_tap.status_code == 200 and double_tap.json()["queued"] is False
    assert [d["recipient"] for d in double_tap.json()["resent_to"]] == ["leader@example.org"]
    assert len(queued) == 1
    assert summary.deliveries.filter(recipient="leader@example.org").count() == 2
    assert summary.deliveries.count() == 3

    # A resend needs its request id, and names members of the jurisdiction with an email address only.
    assert client.post(url, {"resend_to": [users["leader"].pk]}, format="json").status_code == 400
    foreign = client.post(url, {"resend_to": [users["other_supervisor"].pk],
                                "client_uuid": "6f1c2b1e-8f7d-4b8e-9a55-0d0f7f3f6b21"}, format="json")
    assert foreign.status_code == 400 and "resend_to" in foreign.json()["error"]["fields"]
    assert api(users["leader"]).post(url, body, format="json").status_code == 403


def test_the_page_says_the_summary_was_sent_today_and_resends_once_to_the_chosen(
        client, users, campaign, settings, tmp_path, mailoutbox, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    summary = _sent_today(campaign, users, api(users["supervisor"]))
    client.force_login(users["supervisor"])
    url = reverse("summary-campaign-send", args=[campaign.pk])
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(url, follow=True)
    assert queued == []
    html = response.content.decode()
    sent_at = timezone.localtime(summary.deliveries.get(recipient="supervisor@example.org").sent_at)
    assert '<li class="warning">今天已发送给：' in html  # the message after the tap
    assert re.search(r'<p id="sent-to">今天已发送给：[^<]*' + re.escape(f"{users['leader']}（{sent_at:%H:%M}）"), html)
    assert "汇总报告已加入发送队列" not in html

    form = re.search(r'<form method="post" action="([^"]+)" id="resend">(.*?)</form>', html, re.S)
    assert form and form.group(1) == url
    token = re.search(r'name="client_uuid" value="([^"]+)"', form.group(2)).group(1)
    assert f'value="{users["leader"].pk}"' in form.group(2)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        first = client.post(url, {"resend_to": [users["leader"].pk], "client_uuid": token}, follow=True)
        second = client.post(url, {"resend_to": [users["leader"].pk], "client_uuid": token}, follow=True)
    assert len(queued) == 1 and summary.deliveries.filter(recipient="leader@example.org").count() == 2
    assert "已重新发送给：" in first.content.decode()
    assert "这次重新发送已经记录过，没有再发一次" in second.content.decode()
    # A fresh form is a fresh request: the next deliberate resend is sent.
    fresh = re.search(r'name="client_uuid" value="([^"]+)"', second.content.decode()).group(1)
    assert fresh != token
