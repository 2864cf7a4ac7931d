"""Summaries (汇总报告): the numbers against direct counts, the schedule, and sending exactly once with a real
Celery worker, real Redis and a real SMTP server — through a task run twice, a worker killed half-way, an SMTP
server that refuses, and a broker that is down while a finding is saved."""
import email
import io
import logging
import os
import re
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from datetime import time as clock
from email import policy
from pathlib import Path
from urllib.parse import urlsplit

import openpyxl
import pytest
from django.contrib.gis.geos import LineString
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from patrol import workflow
from patrol.choices import CampaignStatus, Category, Resolution, Status, SummarySchedule
from patrol.models import Campaign, Case, CaseEvent, Patrol, User
from tests.factories import finding
from tests.worker.conftest import free_port, wait_for, worker_popen
from summaries import charts
from patrol import kpis
from summaries import services as summaries
from worker import tasks
from worker.celery import app
from notifications.models import Delivery
from summaries.models import Summary
from summaries.presentation import summary_title
from patrol.kpis import Period, Scope
from worker.tasks import send_email, send_pending_emails, send_summary, send_summary_email

# --- helpers ----------------------------------------------------------------------------------------------


def bounds(period):
    def midnight(day):
        return timezone.make_aware(datetime.combine(day, clock.min))

    return midnight(period.start), midnight(period.end + timedelta(days=1))


def direct_counts(cases, patrols, villages, period, today):
    """The KPIs counted row by row, independently of summaries.services (the reference the builder must match)."""
    lo, hi = bounds(period)
    closed = list(cases.filter(status=Status.CLOSED, closed_at__gte=lo, closed_at__lt=hi))
    in_period = list(patrols.filter(started_at__gte=lo, started_at__lt=hi))
    durations = sum((case.closed_at - case.created_at for case in closed), timedelta())
    since = hi - timedelta(days=7)
    filings = CaseEvent.objects.filter(case__in=cases, action="file", created_at__gte=lo, created_at__lt=hi)
    filed = filings.count()
    filed_closed = sum(event.case.status == Status.CLOSED and event.case.closed_at < hi
                       for event in filings.select_related("case"))
    # A case closed before any deadline was set (its order not yet served) has no deadline to meet: not on time,
    # as in SQL, where a comparison with NULL is not true.
    on_time = sum(case.deadline is not None and timezone.localdate(case.closed_at) <= case.deadline
                  for case in closed)
    return {
        "new_findings": cases.filter(created_at__gte=lo, created_at__lt=hi).count(),
        "filed": filed,
        "closed": len(closed),
        "closed_on_time": on_time,
        "rectification_rate": round(100 * filed_closed / filed, 1) if filed else None,
        "on_time_rate": round(100 * on_time / len(closed), 1) if closed else None,
        "overdue_now": cases.overdue(today).count(),
        "demolished_area_m2": round(float(sum(c.estimated_area_m2 or 0 for c in closed
                                               if c.resolution in (Resolution.FORCIBLY_DEMOLISHED,
                                                                   Resolution.DEMOLISHED_BY_PARTY))), 1),
        "mean_days_to_close": round(durations.total_seconds() / 86400 / len(closed), 1) if closed else None,
        "patrols": len(in_period),
        "patrol_km": round(sum(p.distance_m for p in in_period) / 1000, 1),
        "villages_not_patrolled": sorted(
            v.name for v in villages
            if not Patrol.objects.filter(villages=v, started_at__gte=since, started_at__lt=hi).exists()),
    }


def scope_parts(scope):
    cases = Case.objects.filter(jurisdiction=scope.jurisdiction)
    patrols = Patrol.objects.filter(jurisdiction=scope.jurisdiction)
    villages = list(scope.jurisdiction.villages.all())
    if scope.campaign is not None:
        cases, patrols = cases.filter(campaign=scope.campaign), patrols.filter(campaign=scope.campaign)
        villages = list(scope.campaign.villages.all()) or villages
    return cases, patrols, villages


def seed_demo():
    call_command("seed_demo", "--demo-cases", "60", verbosity=0, stdout=io.StringIO())
    return Campaign.objects.select_related("jurisdiction").get(jurisdiction__code="LWG")


def text_and_attachments(envelope):
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    files = {part.get_filename(): part.get_payload(decode=True) for part in message.iter_attachments()}
    return message, text, files


def kpi_line(text, label):
    match = re.search(rf"^{re.escape(label)}：(\S+?)（", text, re.MULTILINE)
    assert match, f"no line for {label} in:\n{text}"
    return match.group(1)


def start_worker(settings, smtp_server, log_path, name, app_module="worker", **extra_env):
    """A real `celery worker` process (solo pool) on the test's Redis and database, like tests/worker/conftest.py;
    ``app_module`` is what `celery -A` loads."""
    database = settings.DATABASES["default"]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "REDIS_URL": settings.CELERY_BROKER_URL,
           "DATABASE_URL": f"postgis://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
           "XUNCHA_TEST_EMAIL_SMTP": f"127.0.0.1:{smtp_server.port}", "MEDIA_ROOT": str(settings.MEDIA_ROOT),
           **extra_env}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.pop("PYTEST_XDIST_WORKER", None)  # else config/settings/test.py would pick its own Redis database
    hostname = f"{name}-{uuid.uuid4().hex[:6]}@test"
    log = open(log_path, "w")  # a file, not a pipe nobody reads: a full pipe would block the worker
    process = worker_popen(
        [sys.executable, "-m", "celery", "-A", app_module, "worker", "--pool=solo", "--concurrency=1", "--loglevel=INFO",
         "--without-gossip", "--without-mingle", "--without-heartbeat", f"--hostname={hostname}"],
        cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    process.log_path = log_path
    if not wait_for(lambda: app.control.ping(destination=[hostname], timeout=0.5), timeout=40):
        process.kill()
        pytest.fail(f"the Celery worker {name} did not start:\n{open(log_path).read()}")
    return process


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def worker_log(process):
    return open(process.log_path).read()[-4000:]


def use_broker(url):
    """Point this process's Celery app at another broker (the pools keep connections to the old one)."""
    app.conf.broker_url = url
    app._pool = None  # noqa: SLF001
    app.amqp._producer_pool = None  # noqa: SLF001


@pytest.fixture
def broker(settings, transactional_db):
    """A Redis database of this pytest-xdist worker's own, emptied, for this process and the workers it starts.

    Not the suite's REDIS_URL: under xdist every pytest worker inherits the controller's REDIS_URL, so real
    workers started by tests running in parallel would take each other's tasks.
    """
    import redis

    index = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
    url = urlsplit(settings.CELERY_BROKER_URL)._replace(path=f"/{15 - index % 5}").geturl()
    redis.Redis.from_url(url).flushdb()
    previous = app.conf.broker_url
    settings.CELERY_BROKER_URL = url
    use_broker(url)
    yield url
    use_broker(previous)


@pytest.fixture
def real_worker(settings, broker, media, smtp_server, tmp_path):
    process = start_worker(settings, smtp_server, tmp_path / "worker.log", "worker")
    yield process
    stop(process)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def campaign(users, jurisdiction):
    """A weekly campaign over both test villages, the supervisor and the leader as recipients, a few cases."""
    for name in ("supervisor", "leader"):
        users[name].email = f"{name}@example.org"
        users[name].save()
    today = timezone.localdate()
    campaign = Campaign.objects.create(jurisdiction=jurisdiction, name="春季整治", starts_on=today - timedelta(days=30),
                                       ends_on=today + timedelta(days=30), status=CampaignStatus.ACTIVE,
                                       summary_schedule=SummarySchedule.WEEKLY)
    campaign.villages.set(jurisdiction.villages.all())
    campaign.recipients.set([users["supervisor"], users["leader"]])
    for i in range(3):
        case, _ = workflow.report_finding(actor=users["inspector"], campaign=campaign,
                                          now=timezone.now() - timedelta(days=2 + i), **finding())
        if i:
            workflow.file_case(case_id=case.pk, actor=users["supervisor"], legal_basis="planning_art65", note="立案",
                               now=timezone.now() - timedelta(days=1))
    return campaign


def last_week():
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    return Period(monday - timedelta(days=7), monday - timedelta(days=1))


# --- the numbers ------------------------------------------------------------------------------------------


@pytest.mark.smoke
@pytest.mark.django_db
@pytest.mark.parametrize("scope_kind", ["campaign", "jurisdiction"])
def test_summary_numbers_equal_direct_counts_for_a_seeded_campaign(settings, media, scope_kind, reused_renderings,
                                                                    django_assert_max_num_queries):
    campaign = seed_demo()
    today = timezone.localdate()
    if scope_kind == "campaign":
        scope, period = Scope.for_campaign(campaign), kpis.current_period(campaign, today)
    else:
        scope, period = Scope(campaign.jurisdiction), Period(today - timedelta(days=27), today)

    with django_assert_max_num_queries(8):
        numbers = kpis.build_summary(scope, period)

    cases, patrols, villages = scope_parts(scope)
    expected = direct_counts(cases, patrols, villages, period, today)
    assert expected["new_findings"] > 0 and expected["closed"] > 0 and expected["patrols"] > 0  # the data is real
    overall = numbers["overall"]["current"]
    assert {key: overall[key] for key in expected if key != "villages_not_patrolled"} == {
        key: value for key, value in expected.items() if key != "villages_not_patrolled"}
    assert overall["villages_not_patrolled"] == len(expected["villages_not_patrolled"])
    assert sorted(v["name"] for v in numbers["villages_not_patrolled"]) == expected["villages_not_patrolled"]

    before = direct_counts(cases, patrols, villages, period.previous, today)
    previous = numbers["overall"]["previous"]
    for key in ("new_findings", "filed", "closed", "patrols", "mean_days_to_close"):
        assert previous[key] == before[key], key
        if before[key] is not None:
            assert numbers["overall"]["change"][key] == round(overall[key] - before[key], 1), key

    # Every breakdown against the same direct counts over its own slice of the cases.
    case_keys = ["new_findings", "filed", "closed", "closed_on_time", "overdue_now", "demolished_area_m2",
                 "mean_days_to_close", "rectification_rate", "on_time_rate"]
    for entry in numbers["by_village"]:
        want = direct_counts(cases.filter(village_id=entry["id"]), patrols.filter(villages=entry["id"]), [], period,
                             today)
        assert {k: entry["current"][k] for k in case_keys + ["patrols"]} == {k: want[k] for k in case_keys + ["patrols"]}
    for entry in numbers["by_category"]:
        want = direct_counts(cases.filter(category=entry["id"]), patrols.none(), [], period, today)
        assert {k: entry["current"][k] for k in case_keys} == {k: want[k] for k in case_keys}, entry["id"]
    for entry in numbers["by_inspector"]:
        want = direct_counts(cases.filter(responsible_id=entry["id"]), patrols.filter(inspector_id=entry["id"]), [],
                             period, today)
        keys = case_keys + ["patrols", "patrol_km"]
        assert {k: entry["current"][k] for k in keys} == {k: want[k] for k in keys}, entry["name"]
    assert sum(e["current"]["new_findings"] for e in numbers["by_category"]) == overall["new_findings"]
    assert [c["reference"] for c in numbers["overdue_cases"]] == list(
        cases.overdue(today).order_by("deadline", "pk")
        .values_list("reference", flat=True)[:kpis.OVERDUE_LIST_LIMIT])
    weekly_found = sum(w["new_findings"] for w in numbers["weekly"])
    first = datetime.fromisoformat(numbers["weekly"][0]["week"]).date()
    assert weekly_found == cases.filter(created_at__gte=bounds(Period(first, first))[0],
                                        created_at__lt=bounds(period)[1]).count()


@pytest.mark.smoke
@pytest.mark.django_db
def test_a_case_closed_late_on_its_deadline_day_is_on_time_and_just_after_midnight_is_not(users, jurisdiction):
    deadline = timezone.localdate() - timedelta(days=3)
    on_day = timezone.make_aware(datetime.combine(deadline, clock(23, 30)))  # 15:30 UTC: still the deadline day
    next_day = timezone.make_aware(datetime.combine(deadline + timedelta(days=1), clock(0, 30)))  # 16:30 UTC, same day
    for closed_at in (on_day, next_day):
        case, _ = workflow.report_finding(actor=users["inspector"], now=closed_at - timedelta(days=9), **finding())
        Case.objects.filter(pk=case.pk).update(status=Status.CLOSED, resolution=Resolution.DEMOLISHED_BY_PARTY,
                                               closed_at=closed_at, deadline=deadline, estimated_area_m2=12.5)
    numbers = kpis.build_summary(Scope(jurisdiction), Period(deadline - timedelta(days=20), deadline + timedelta(days=1)))
    overall = numbers["overall"]["current"]
    assert (overall["closed"], overall["closed_on_time"], overall["on_time_rate"]) == (2, 1, 50.0)
    assert overall["demolished_area_m2"] == 25.0
    assert overall["mean_days_to_close"] == 9.0


def test_each_village_counts_the_distance_a_patrol_walked_inside_it(users, jurisdiction):
    # 东村 and 西村 are side by side (tests/conftest.py); the track runs 0.01° of longitude in each, along 40.71° N,
    # about 843 m apiece on the spheroid.
    dongcun, xicun = jurisdiction.villages.order_by("name")
    track = LineString((111.61, 40.71), (111.63, 40.71), srid=4326)
    patrol = Patrol.objects.create(jurisdiction=jurisdiction, inspector=users["inspector"], track=track,
                                   started_at=timezone.now() - timedelta(hours=2), distance_m=1686.4)
    patrol.villages.set([dongcun, xicun])
    today = timezone.localdate()
    numbers = kpis.build_summary(Scope(jurisdiction), Period(today - timedelta(days=6), today))
    km = {v["name"]: v["current"]["patrol_km"] for v in numbers["by_village"]}
    assert km == {"东村": pytest.approx(0.8, abs=0.1), "西村": pytest.approx(0.8, abs=0.1)}
    assert km["东村"] + km["西村"] == pytest.approx(numbers["overall"]["current"]["patrol_km"], abs=0.1)
    assert all(v["previous"]["patrol_km"] == 0 for v in numbers["by_village"])


@pytest.mark.parametrize("kind", [Summary.Kind.WEEKLY, Summary.Kind.ON_DEMAND, Summary.Kind.CLOSEOUT])
def test_a_campaign_summary_names_the_campaign_in_its_subject(users, campaign, kind):
    summary, _ = summaries.request_summary(scope=Scope.for_campaign(campaign), kind=kind, period=last_week())
    assert "「春季整治」" in summary_title(summary)
    with translation.override("en"):
        assert '"春季整治"' in summary_title(summary)


def test_the_rectification_rate_is_the_share_of_the_periods_filed_cases_closed_by_its_end(users, jurisdiction):
    """Closing an older case counts as a closure, but not in 整改率: the rate stays a share (≤ 100 %)."""
    period = Period(timezone.localdate() - timedelta(days=6), timezone.localdate())
    before, during = timezone.now() - timedelta(days=20), timezone.now() - timedelta(days=3)
    for filed_at, closed_at in ((before, during), (before, during), (during, during + timedelta(hours=1)),
                                (during, None)):
        case, _ = workflow.report_finding(actor=users["inspector"], now=filed_at, **finding())
        workflow.file_case(case_id=case.pk, actor=users["supervisor"], legal_basis="planning_art65", note="立案", now=filed_at)
        if closed_at:
            Case.objects.filter(pk=case.pk).update(status=Status.CLOSED, resolution=Resolution.DEMOLISHED_BY_PARTY,
                                                   closed_at=closed_at)
    overall = kpis.build_summary(Scope(jurisdiction), period)["overall"]["current"]
    # Three closures in the period, two filings; one of the two filed is closed: 50 %, not 150 %.
    assert (overall["closed"], overall["filed"], overall["rectification_rate"]) == (3, 2, 50.0)


@pytest.mark.smoke
def test_the_charts_are_png_drawn_with_a_cjk_font_and_fall_back_with_a_log_line(settings):
    weeks = [{"week": "2026-11-16", "new_findings": 3, "closed": 1}, {"week": "2026-11-23", "new_findings": 0, "closed": 2}]
    assert charts.font_families(settings.SUMMARY_CHART_FONT)[0].startswith("Noto Sans CJK")
    assert charts.weekly_chart(weeks).startswith(b"\x89PNG")

    settings.SUMMARY_CHART_FONT = "/nonexistent/font.ttc"
    records = []
    handler = logging.Handler(level=logging.WARNING)
    handler.emit = records.append
    logging.getLogger("summaries.charts").addHandler(handler)
    try:
        png = charts.village_chart([{"name": "东村", "patrolled_recently": False,
                                     "current": {"new_findings": 2, "closed": 1, "overdue_now": 1}}])
    finally:
        logging.getLogger("summaries.charts").removeHandler(handler)
    assert png.startswith(b"\x89PNG")
    assert any("fonts-noto-cjk" in record.getMessage() for record in records)


# --- the schedule -----------------------------------------------------------------------------------------


@pytest.mark.smoke
@pytest.mark.parametrize("schedule, now, start, end", [
    ("daily", "2026-11-24 08:05", "2026-11-23", "2026-11-23"),
    ("daily", "2026-11-24 07:55", "2026-11-22", "2026-11-22"),
    ("weekly", "2026-11-23 08:00", "2026-11-16", "2026-11-22"),   # Monday 08:00: last week
    ("weekly", "2026-11-23 07:59", "2026-11-09", "2026-11-15"),   # before 08:00 the week before is the latest due
    ("weekly", "2026-11-26 15:00", "2026-11-16", "2026-11-22"),
    ("monthly", "2026-12-01 08:00", "2026-11-01", "2026-11-30"),
    ("monthly", "2026-12-01 06:00", "2026-10-01", "2026-10-31"),
    ("monthly", "2026-03-15 12:00", "2026-02-01", "2026-02-28"),
])
def test_each_schedule_is_due_for_the_period_before_its_0800_send_time(schedule, now, start, end):
    moment = timezone.make_aware(datetime.fromisoformat(now))
    period = summaries.due_period(schedule, moment)
    assert (period.start.isoformat(), period.end.isoformat()) == (start, end)


@pytest.mark.smoke
@pytest.mark.django_db
def test_the_schedule_is_read_from_the_database_so_a_change_counts_without_a_restart(users, campaign):
    now = timezone.now()
    first = summaries.request_due_summaries(now)
    assert [(s.campaign, s.kind) for s in first] == [(campaign, Summary.Kind.WEEKLY)]
    assert summaries.request_due_summaries(now) == []  # a second beat, or the next tick: nothing new

    summaries.set_summary_settings(actor=users["supervisor"], campaign=campaign, schedule=SummarySchedule.DAILY,
                                   recipients=[users["leader"]])
    assert [s.kind for s in summaries.request_due_summaries(now)] == [Summary.Kind.DAILY]
    campaign.refresh_from_db()
    assert list(campaign.recipients.all()) == [users["leader"]]

    summaries.set_summary_settings(actor=users["supervisor"], schedule=SummarySchedule.MONTHLY,
                                   recipients=[users["supervisor"], users["other_supervisor"]])
    monthly = summaries.request_due_summaries(now)
    assert [(s.campaign, s.kind) for s in monthly] == [(None, Summary.Kind.MONTHLY)]
    # Nobody from another jurisdiction, whatever was submitted.
    assert list(users["supervisor"].jurisdiction.summary_schedule.recipients.all()) == [users["supervisor"]]

    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.CLOSED)
    closeout = summaries.request_due_summaries(now)
    assert [(s.campaign, s.kind) for s in closeout] == [(campaign, Summary.Kind.CLOSEOUT)]
    assert summaries.request_due_summaries(now) == []


# --- sending exactly once ---------------------------------------------------------------------------------


@pytest.fixture
def eager():
    """Tasks queued from a task run inline (for runs without a worker, e.g. the SpatiaLite smoke run)."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.mark.smoke
@pytest.mark.django_db
def test_running_the_period_task_twice_sends_one_email_per_recipient(users, campaign, media, smtp_server, eager):
    summary, created = summaries.request_summary(scope=Scope.for_campaign(campaign), kind=Summary.Kind.WEEKLY,
                                                 period=last_week())
    again, created_again = summaries.request_summary(scope=Scope.for_campaign(campaign), kind=Summary.Kind.WEEKLY,
                                                     period=last_week())
    assert (created, created_again, again.pk) == (True, False, summary.pk)
    send_summary.apply(args=[summary.pk])
    send_summary.apply(args=[summary.pk])
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == ["leader@example.org", "supervisor@example.org"]
    summary.refresh_from_db()
    assert summary.status == Summary.Status.READY and summaries.delivery_state(summary) == "sent"
    message, text, files = text_and_attachments(smtp_server.messages[0])
    assert message["Subject"].strip() == f"测试执法队「春季整治」周报（{last_week().start} 至 {last_week().end}）"
    assert kpi_line(text, "新发现线索") == str(summary.numbers["overall"]["current"]["new_findings"])


@pytest.mark.smoke
@pytest.mark.django_db
def test_a_ledger_too_large_for_the_email_is_linked_and_built_after_the_email(users, campaign, media, smtp_server,
                                                                              eager, settings, client):
    """#20: beyond SUMMARY_LEDGER_ATTACH_MAX_ROWS the email carries a link, not a 40 MB attachment, and the summary
    task does not spend its time writing the ledger; build_summary_ledger writes it once, and the link works."""
    settings.SUMMARY_LEDGER_ATTACH_MAX_ROWS = 2  # the campaign has 3 cases
    summary, _ = summaries.request_summary(scope=Scope.for_campaign(campaign), kind=Summary.Kind.WEEKLY,
                                           period=last_week())
    send_summary.apply(args=[summary.pk])
    message, text, files = text_and_attachments(smtp_server.messages[0])
    assert not [name for name in files if name.endswith(".xlsx")]
    link = settings.SITE_URL + reverse("summary-file", args=[summary.pk, "ledger"])
    assert f"案件台账（3 件）太大，未随邮件附上，请登录后下载：{link}" in text
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f'<a href="{link}">' in html

    client.force_login(users["supervisor"])
    assert "台账较大，正在生成" in client.get(reverse("summary", args=[summary.pk])).content.decode()
    assert client.get(link).status_code == 404  # not built yet

    assert summaries.build_summary_ledger(summary.pk) is True
    assert summaries.build_summary_ledger(summary.pk) is False  # once
    assert "下载 Excel" in client.get(reverse("summary", args=[summary.pk])).content.decode()
    response = client.get(link)
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    references = [row[0] for row in sheet.iter_rows(values_only=True) if row and isinstance(row[0], str)
                  and row[0].startswith("TST-")]
    assert sorted(references) == sorted(campaign.cases.values_list("reference", flat=True))


@pytest.mark.smoke
@pytest.mark.django_db
def test_smtp_refusing_twice_then_accepting_gets_the_summary_once(users, campaign, media, smtp_server, eager):
    campaign.recipients.set([users["leader"]])
    summary, _ = summaries.request_summary(scope=Scope.for_campaign(campaign), kind=Summary.Kind.WEEKLY,
                                           period=last_week())
    smtp_server.refuse_next = 2
    send_summary.apply(args=[summary.pk])  # eager: the retries run at once, without their countdown
    delivery = summary.deliveries.get()
    assert (len(smtp_server.messages), delivery.attempts, delivery.status) == (1, 3, Delivery.Status.SENT)


@pytest.mark.smoke
@pytest.mark.django_db
def test_a_summary_whose_email_finally_failed_says_so(users, campaign, media, smtp_server, eager):
    campaign.recipients.set([users["leader"]])
    summary, _ = summaries.request_summary(scope=Scope.for_campaign(campaign), kind=Summary.Kind.WEEKLY,
                                           period=last_week())
    smtp_server.refuse_next = 100
    send_summary.apply(args=[summary.pk])
    delivery = summary.deliveries.get()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.FAILED, send_summary_email.max_retries + 1)
    assert summaries.delivery_state(summary) == "failed" and smtp_server.messages == []


@pytest.mark.postgres_only
def test_the_email_from_a_real_worker_carries_the_database_numbers_and_the_ledger(
        settings, media, smtp_server, real_worker, reused_renderings):
    campaign = seed_demo()
    supervisor = User.objects.get(username="supervisor")
    client = APIClient()
    client.force_authenticate(supervisor)
    response = client.post(f"/api/v1/campaigns/{campaign.pk}/summary/send/")
    assert response.status_code == 202, response.content
    period = kpis.current_period(campaign)
    subject = f"龙王沟乡村振兴示范区「{campaign.name}」汇总（{period.start} 至 {period.end}）"

    def summary_emails():
        return [m for m in smtp_server.messages if email.message_from_bytes(m.content, policy=policy.default)["Subject"]
                .strip() == subject]

    assert wait_for(lambda: len(summary_emails()) == 2, timeout=90), worker_log(real_worker)
    assert sorted(m.rcpt_tos[0] for m in summary_emails()) == ["leader@xuncha.local", "supervisor@xuncha.local"]

    cases, patrols, villages = scope_parts(Scope.for_campaign(campaign))
    expected = direct_counts(cases, patrols, villages, period, timezone.localdate())
    message, text, files = text_and_attachments(summary_emails()[0])
    assert kpi_line(text, "新发现线索") == str(expected["new_findings"])
    assert kpi_line(text, "立案") == str(expected["filed"])
    assert kpi_line(text, "结案") == str(expected["closed"])
    assert kpi_line(text, "整改率") == f"{expected['rectification_rate']:.1f}%"
    assert kpi_line(text, "按期结案率") == f"{expected['on_time_rate']:.1f}%"
    assert kpi_line(text, "当前逾期") == str(expected["overdue_now"])
    assert kpi_line(text, "拆除面积（㎡）") == f"{expected['demolished_area_m2']:.1f}"
    assert kpi_line(text, "平均办结天数") == f"{expected['mean_days_to_close']:.1f}"
    assert kpi_line(text, "巡查次数") == str(expected["patrols"])
    assert kpi_line(text, "巡查里程（公里）") == f"{expected['patrol_km']:.1f}"
    assert kpi_line(text, "近7日未巡查村") == str(len(expected["villages_not_patrolled"]))
    for reference in cases.overdue().values_list(
            "reference", flat=True):
        assert reference in text

    ledger = next(data for name, data in files.items() if name.endswith(".xlsx"))
    sheet = openpyxl.load_workbook(io.BytesIO(ledger)).worksheets[0]
    references = [row[0] for row in sheet.iter_rows(values_only=True) if row and isinstance(row[0], str)
                  and row[0].startswith("LWG-")]
    assert len(references) == cases.count() > 0  # one row per case of the campaign
    assert set(references) == set(cases.values_list("reference", flat=True))
    assert not [name for name in files if name.endswith(".png")]  # the charts are in the HTML body, not attached
    pngs = [part.get_payload(decode=True) for part in message.get_body(preferencelist=("related",)).iter_parts()
            if part.get_content_type() == "image/png"]
    assert len(pngs) == 2 and all(data.startswith(b"\x89PNG") for data in pngs)


@pytest.mark.postgres_only
def test_two_beats_and_a_task_run_twice_with_a_real_worker_send_one_email_per_recipient(
        users, campaign, media, smtp_server, real_worker):
    now = timezone.now()
    created = summaries.request_due_summaries(now)  # queues send_summary after commit
    assert summaries.request_due_summaries(now) == []  # the second beat finds it recorded
    send_summary.delay(created[0].pk)  # and the task once more, for good measure
    assert wait_for(lambda: len(smtp_server.messages) >= 2, timeout=60), worker_log(real_worker)
    time.sleep(3)  # anything extra would have arrived by now
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == ["leader@example.org", "supervisor@example.org"]
    assert Delivery.objects.filter(key__startswith="summary:").count() == 2


@pytest.mark.postgres_only
def test_a_worker_killed_in_the_middle_of_a_summary_sends_it_once_after_a_new_worker_starts(
        settings, users, campaign, media, smtp_server, broker, tmp_path):
    summary, _ = summaries.request_summary(scope=Scope.for_campaign(campaign), kind=Summary.Kind.WEEKLY,
                                           period=last_week())
    # Redis gives an unacknowledged task to another worker after the visibility timeout: short here.
    first = start_worker(settings, smtp_server, tmp_path / "first.log", "first", app_module="tests.worker.paused_worker",
                         CELERY_VISIBILITY_TIMEOUT="2")
    second = None
    try:
        send_summary.delay(summary.pk)
        # The first worker built the summary and recorded both emails, then stops before queueing them
        # (tests/worker/paused_worker.py).
        assert wait_for(lambda: Summary.objects.get(pk=summary.pk).deliveries.count() == 2, timeout=60), \
            worker_log(first)
        assert wait_for(lambda: "Paused before queueing the summary's emails" in worker_log(first), timeout=10), worker_log(first)
        first.kill()  # SIGKILL: no clean shutdown, no acknowledgement
        assert first.wait(timeout=10) == -9
        assert smtp_server.messages == []
        assert Summary.objects.get(pk=summary.pk).status == Summary.Status.READY

        time.sleep(3)  # past the visibility timeout
        second = start_worker(settings, smtp_server, tmp_path / "second.log", "second", CELERY_VISIBILITY_TIMEOUT="2")
        assert wait_for(lambda: len(smtp_server.messages) >= 2, timeout=60), worker_log(second)
        time.sleep(3)
        assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == ["leader@example.org", "supervisor@example.org"]
        assert "send_summary" in worker_log(second)
        assert set(Summary.objects.get(pk=summary.pk).deliveries.values_list("status", flat=True)) == {"sent"}
    finally:
        stop(first)
        if second is not None:
            stop(second)


@pytest.mark.postgres_only
def test_smtp_refusing_twice_then_accepting_gets_one_email_from_a_real_worker_with_backoff(
        settings, users, campaign, media, smtp_server, broker, tmp_path):
    campaign.recipients.set([users["leader"]])
    summary, _ = summaries.request_summary(scope=Scope.for_campaign(campaign), kind=Summary.Kind.WEEKLY,
                                           period=last_week())
    smtp_server.refuse_next = 2
    worker = start_worker(settings, smtp_server, tmp_path / "worker.log", "smtp", EMAIL_RETRY_BASE_S="1")
    try:
        started = time.monotonic()
        send_summary.delay(summary.pk)
        assert wait_for(lambda: len(smtp_server.messages) == 1, timeout=60), worker_log(worker)
        assert time.monotonic() - started >= 3  # waited 1 s, then 2 s, between the attempts
        time.sleep(2)
        delivery = Summary.objects.get(pk=summary.pk).deliveries.get()
        assert (len(smtp_server.messages), delivery.attempts, delivery.status) == (1, 3, Delivery.Status.SENT)
        assert smtp_server.messages[0].rcpt_tos == ["leader@example.org"]
    finally:
        stop(worker)


@pytest.mark.postgres_only
def test_work_queued_while_the_broker_is_down_runs_once_it_returns(users, smtp_server, broker, real_worker):
    users["inspector2"].email = "inspector2@example.org"
    users["inspector2"].save()
    inspector, supervisor = APIClient(), APIClient()
    inspector.force_authenticate(users["inspector"])
    supervisor.force_authenticate(users["supervisor"])
    use_broker(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    try:
        started = time.monotonic()
        body = {"client_uuid": str(uuid.uuid4()), "location": {"type": "Point", "coordinates": [111.605, 40.705]},
                "accuracy_m": 8, "category": Category.EXTENSION, "stage": "under_construction", "address": "村东头"}
        created = inspector.post("/api/v1/cases/", body, format="json")
        assert created.status_code == 201, created.content
        case = Case.objects.get(pk=created.json()["id"])
        assigned = supervisor.post(f"/api/v1/cases/{case.pk}/actions/assign/", {"inspector": users["inspector2"].pk},
                                   format="json", HTTP_IF_MATCH=case.etag)
        assert assigned.status_code == 200, assigned.content
        assert time.monotonic() - started < 3  # neither request waited for the broker
        delivery = Delivery.objects.get(key__startswith="assign:")
        assert delivery.status == Delivery.Status.PENDING
        time.sleep(2)
        assert smtp_server.messages == []  # the task never reached the worker
    finally:
        use_broker(broker)

    # The broker is back; a minute later the beat sweep finds the recorded email and the worker sends it.
    Delivery.objects.filter(pk=delivery.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    send_pending_emails.apply()
    assert wait_for(lambda: len(smtp_server.messages) == 1, timeout=60), worker_log(real_worker)
    assert smtp_server.messages[0].rcpt_tos == ["inspector2@example.org"]
    assert case.reference in smtp_server.messages[0].content.decode("utf-8", "replace")
    send_pending_emails.apply()
    time.sleep(2)
    assert len(smtp_server.messages) == 1
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT



# --- the email's shape, retries, the page on a phone, and worker processes that die with pytest -----------


def mime_tree(part):
    """The MIME structure as nested (content type, [children]) tuples, for one readable assertion."""
    if part.is_multipart():
        return (part.get_content_type(), [mime_tree(child) for child in part.iter_parts()])
    return part.get_content_type()


@pytest.mark.smoke
@pytest.mark.django_db
def test_the_summary_email_shows_its_charts_inline_and_attaches_the_ledger(users, campaign, media, smtp_server, eager):
    campaign.recipients.set([users["leader"]])
    summary, _ = summaries.request_summary(scope=Scope.for_campaign(campaign), kind=Summary.Kind.WEEKLY,
                                           period=last_week())
    send_summary.apply(args=[summary.pk])
    summary.refresh_from_db()
    assert len(smtp_server.messages) == 1
    message = email.message_from_bytes(smtp_server.messages[0].content, policy=policy.default)

    assert mime_tree(message) == ("multipart/mixed", [
        ("multipart/alternative", ["text/plain", ("multipart/related", ["text/html", "image/png", "image/png"])]),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ])
    related = message.get_body(preferencelist=("related",))
    html = related.get_body(preferencelist=("html",)).get_content()
    images = {part["Content-ID"].strip("<>"): part for part in related.iter_parts()
              if part.get_content_type() == "image/png"}
    referenced = re.findall(r'<img src="cid:([^"]+)"', html)
    assert len(referenced) == 2 and set(referenced) == set(images)
    for part in images.values():
        assert part.get_content_disposition() == "inline"
        assert part.get_payload(decode=True).startswith(b"\x89PNG")
    assert "summary-file" not in html and "/files/" not in html  # nothing fetched from the server to see them

    text = message.get_body(preferencelist=("plain",)).get_content()
    assert kpi_line(text, "新发现线索") == str(summary.numbers["overall"]["current"]["new_findings"])
    assert "图表请在 HTML 格式的邮件中或系统页面上查看" in text

    (ledger,) = list(message.iter_attachments())
    assert ledger.get_filename().endswith(".xlsx") and ledger.get_content_disposition() == "attachment"
    sheet = openpyxl.load_workbook(io.BytesIO(ledger.get_payload(decode=True))).worksheets[0]
    references = {row[0] for row in sheet.iter_rows(values_only=True) if row and str(row[0]).startswith("TST-")}
    assert references == set(Case.objects.filter(campaign=campaign).values_list("reference", flat=True))


@pytest.mark.django_db
def test_the_summary_email_reads_its_files_through_the_storage_api(users, campaign, settings, tmp_path, smtp_server,
                                                                   eager):
    """With object storage the charts and the ledger are in the bucket and nothing is under MEDIA_ROOT: the email
    reads them through the storage API (a worker of docker-compose.yml retried FileNotFoundError, #16)."""
    settings.MEDIA_ROOT = tmp_path / "empty"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    campaign.recipients.set([users["leader"]])
    summary, _ = summaries.request_summary(scope=Scope.for_campaign(campaign), kind=Summary.Kind.WEEKLY,
                                           period=last_week())
    send_summary.apply(args=[summary.pk])
    assert not settings.MEDIA_ROOT.exists()
    assert len(smtp_server.messages) == 1
    message = email.message_from_bytes(smtp_server.messages[0].content, policy=policy.default)
    related = message.get_body(preferencelist=("related",))
    assert [p.get_content_type() for p in related.iter_parts()] == ["text/html", "image/png", "image/png"]
    (ledger,) = list(message.iter_attachments())
    assert ledger.get_filename().endswith(".xlsx") and ledger.get_payload(decode=True)[:2] == b"PK"


@pytest.mark.smoke
@pytest.mark.django_db
def test_an_email_recorded_before_inline_charts_is_still_sent_with_its_files_attached(users, media, smtp_server):
    (media / "old").mkdir(parents=True)
    (media / "old" / "chart.png").write_bytes(charts.weekly_chart([]))
    delivery = Delivery.objects.create(
        key="old", recipient="leader@example.org", payload={
            "subject": "旧邮件", "body_text": "正文", "body_html": "<p>正文</p>",
            "attachments": [{"name": "chart.png", "path": "old/chart.png", "mimetype": "image/png"}]})
    from notifications import services as mail

    assert mail.deliver(delivery.pk) is True
    message = email.message_from_bytes(smtp_server.messages[0].content, policy=policy.default)
    assert mime_tree(message) == ("multipart/mixed", [("multipart/alternative", ["text/plain", "text/html"]),
                                                      "image/png"])


@pytest.mark.smoke
@pytest.mark.django_db
@pytest.mark.parametrize("task", [send_email, send_summary_email], ids=["send_email", "send_summary_email"])
def test_email_tasks_retry_smtp_failures_after_base_times_1_2_4_seconds(settings, users, smtp_server, monkeypatch,
                                                                        task):
    delivery = Delivery.objects.create(key="k", recipient="leader@example.org",
                                       payload={"subject": "s", "body_text": "t"})
    smtp_server.refuse_next = 100
    settings.EMAIL_RETRY_BASE_S = 7
    countdowns = []

    def retry(exc=None, countdown=None, **kwargs):
        countdowns.append(countdown)
        return RuntimeError("retry recorded")

    monkeypatch.setattr(task, "retry", retry)
    for retries in range(task.max_retries + 1):
        task.apply(args=[delivery.pk], retries=retries)
    assert countdowns == [7, 14, 28, 56, 112, 224]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.FAILED, task.max_retries + 1)
    settings.EMAIL_RETRY_BASE_S = 600
    assert tasks.email_retry_countdown(10) == tasks.EMAIL_RETRY_MAX_S  # never more than an hour


@pytest.mark.smoke
@pytest.mark.django_db
def test_wide_summary_tables_scroll_sideways_inside_their_card(client, users, campaign, media, eager):
    summary, _ = summaries.request_summary(scope=Scope.for_campaign(campaign), kind=Summary.Kind.WEEKLY,
                                           period=last_week())
    send_summary.apply(args=[summary.pk])
    client.force_login(users["supervisor"])
    for url in (f"/summaries/{summary.pk}/", "/summaries/"):
        html = client.get(url).content.decode()
        assert html.count("<table") >= 2
        assert html.count("<table") == len(re.findall(r'<div class="table-scroll">\s*<table', html)), url
        assert ' style="' not in html  # the CSP page: no inline styles
    css = (settings_base_dir() / "static" / "css" / "app.css").read_text()
    assert re.search(r"\.table-scroll\s*\{[^}]*overflow-x:\s*auto", css)


def settings_base_dir():
    from django.conf import settings

    return Path(settings.BASE_DIR)


def test_a_worker_process_dies_with_the_pytest_process_that_started_it(tmp_path):
    """An interrupted run (here: the starting process SIGKILLed) leaves no orphan behind."""
    pid_file = tmp_path / "child.pid"
    starter = subprocess.Popen([sys.executable, "-c", (
        "import sys, time, pathlib; sys.path.insert(0, sys.argv[1]);"
        "from tests.worker.conftest import worker_popen;"
        "child = worker_popen([sys.executable, '-c', 'import time; time.sleep(120)']);"
        "pathlib.Path(sys.argv[2]).write_text(str(child.pid)); time.sleep(120)"),
        str(settings_base_dir()), str(pid_file)], env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"})
    child = None
    try:
        assert wait_for(lambda: pid_file.exists() and pid_file.read_text(), timeout=30)
        child = int(pid_file.read_text())
        assert process_alive(child)
        starter.kill()
        starter.wait(timeout=10)
        assert wait_for(lambda: not process_alive(child), timeout=10), "the worker outlived its parent"
    finally:
        if starter.poll() is None:
            starter.kill()
        if child is not None and process_alive(child):
            os.kill(child, 9)


def process_alive(pid):
    """Alive and not a zombie waiting for its (new) parent to reap it."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.django_db
def test_a_recipient_who_chose_english_gets_the_summary_in_english(users, campaign, media):
    users["leader"].language = "en"
    users["leader"].save()
    # Seven days that hold exactly one of the fixture's findings (the one of four days ago) whatever the weekday;
    # last_week() holds three, two, one or none of them depending on the day the suite runs.
    today = timezone.localdate()
    period = Period(today - timedelta(days=10), today - timedelta(days=4))
    summary, _ = summaries.request_summary(scope=Scope.for_campaign(campaign), kind=Summary.Kind.WEEKLY,
                                           period=period)
    summaries.produce_summary(summary.pk)
    chinese = Delivery.objects.get(recipient="supervisor@example.org")
    english = Delivery.objects.get(recipient="leader@example.org")
    assert "周报" in chinese.payload["subject"] and "新发现线索：1（上期 0，变化 +1）" in chinese.payload["body_text"]
    # Only the names (of the campaign and the jurisdiction) stay Chinese.
    names_removed = english.payload["subject"].replace(campaign.name, "").replace(campaign.jurisdiction.name, "")
    assert not re.search(r"[\u4e00-\u9fff]", names_removed), english.payload["subject"]
    assert "Rectification rate" in english.payload["body_text"] and "新发现线索" not in english.payload["body_text"]
    assert "New findings: 1 (previous period 0, change +1)" in english.payload["body_text"]
    assert "Filed: " in english.payload["body_text"]  # the count, not the action "File"
    assert "Rectification rate" in english.payload["body_html"]
    # English punctuation throughout (the Chinese names of this test hold none of their own).
    for mark in "：（），；、":
        assert mark not in english.payload["body_text"], (mark, english.payload["body_text"])
