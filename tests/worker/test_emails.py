"""Emails from the workflow: recorded in the deciding transaction, sent by a real worker through real SMTP."""
from datetime import timedelta

import pytest
from django.utils import timezone

from patrol import workflow
from patrol.choices import Status
from patrol.models import Case
from patrol.notifications import record_daily_reminders
from tests.factories import finding
from tests.worker.conftest import wait_for
from notifications import services as mail
from notifications.models import Delivery
from worker.tasks import send_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(users):
    users["inspector2"].email = "inspector2@example.org"
    users["inspector2"].save()
    case, _ = workflow.report_finding(actor=users["inspector"], **finding())
    return case


@pytest.mark.postgres_only
def test_assigning_a_case_emails_the_inspector_through_a_real_worker(celery_worker, smtp_server, users, case):
    workflow.assign(case_id=case.pk, actor=users["supervisor"], inspector=users["inspector2"])
    assert wait_for(lambda: len(smtp_server.messages) == 1, timeout=30), celery_worker
    message = smtp_server.messages[0]
    assert message.rcpt_tos == ["inspector2@example.org"]
    body = message.content.decode("utf-8", "replace")
    assert case.reference in body
    assert Delivery.objects.get().status == Delivery.Status.SENT


@pytest.mark.smoke
def test_an_email_task_that_runs_twice_sends_once(smtp_server, users, case):
    workflow.assign(case_id=case.pk, actor=users["supervisor"], inspector=users["inspector2"])
    delivery = Delivery.objects.get()
    send_email.apply(args=[delivery.pk])
    send_email.apply(args=[delivery.pk])
    assert len(smtp_server.messages) == 1


@pytest.mark.smoke
def test_smtp_refusing_twice_then_accepting_delivers_once(smtp_server, users, case):
    workflow.assign(case_id=case.pk, actor=users["supervisor"], inspector=users["inspector2"])
    delivery = Delivery.objects.get()
    smtp_server.refuse_next = 2
    for _ in range(2):
        with pytest.raises(Exception):
            mail.deliver(delivery.pk)
    assert mail.deliver(delivery.pk) is True
    assert mail.deliver(delivery.pk) is False
    delivery.refresh_from_db()
    assert (len(smtp_server.messages), delivery.attempts, delivery.status) == (1, 3, "sent")


@pytest.mark.smoke
def test_the_daily_reminder_lists_cases_due_tomorrow_once_a_day(users, case):
    today = timezone.localdate()
    Case.objects.filter(pk=case.pk).update(status=Status.ORDERED, deadline=today + timedelta(days=1),
                                           responsible=users["inspector2"])
    first = record_daily_reminders(today)
    again = record_daily_reminders(today)
    assert len(first) == 1 and again == []
    delivery = Delivery.objects.get(pk=first[0])
    assert delivery.recipient == "inspector2@example.org"
    assert case.reference in delivery.payload["body_text"] and "明天到期" in delivery.payload["body_text"]


@pytest.mark.smoke
def test_an_english_speaking_inspector_gets_the_email_in_english(users, case):
    users["inspector2"].language = "en"
    users["inspector2"].save()
    workflow.assign(case_id=case.pk, actor=users["supervisor"], inspector=users["inspector2"])
    delivery = Delivery.objects.get()
    assert "assigned" in delivery.payload["subject"].lower() and case.reference in delivery.payload["subject"]
