"""Sending recorded emails exactly once per key (as far as SMTP allows)."""
import logging
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from worker.models import EmailDelivery

logger = logging.getLogger(__name__)


def record_email(*, key, recipient, subject, template, context, language="zh-hans", attachments=()):
    """Record an email to send (idempotent by ``key``). Call inside the transaction that decides it.

    Returns the delivery, or None when this key was recorded before.
    """
    with translation.override(language):
        context = {**context, "site_url": settings.SITE_URL}
        text = render_to_string(f"email/{template}.txt", context)
        html = render_to_string(f"email/{template}.html", context)
        subject = str(subject)
    delivery, created = EmailDelivery.objects.get_or_create(
        key=key, defaults={"recipient": recipient, "subject": subject, "body_text": text, "body_html": html,
                           "attachments": list(attachments)})
    return delivery if created else None


def deliver(delivery_id):
    """Send one recorded email unless it was sent already. Raises on SMTP failure (the task retries)."""
    try:
        with transaction.atomic():
            # The row lock keeps a second worker (a duplicate task) waiting until this one has finished;
            # it then finds the email sent.
            delivery = EmailDelivery.objects.select_for_update().filter(pk=delivery_id).first()
            if delivery is None or delivery.status == EmailDelivery.Status.SENT:
                return False
            _message(delivery).send()
            delivery.status, delivery.sent_at, delivery.last_error = EmailDelivery.Status.SENT, timezone.now(), ""
            delivery.attempts += 1
            delivery.save(update_fields=["status", "sent_at", "attempts", "last_error"])
            return True
    except Exception as exc:
        EmailDelivery.objects.filter(pk=delivery_id).update(
            attempts=F("attempts") + 1, last_error=f"{exc.__class__.__name__}: {exc}"[:2000])
        raise


def mark_failed(delivery_id):
    EmailDelivery.objects.filter(pk=delivery_id).exclude(status=EmailDelivery.Status.SENT).update(
        status=EmailDelivery.Status.FAILED)


def _message(delivery):
    message = EmailMultiAlternatives(delivery.subject, delivery.body_text, settings.DEFAULT_FROM_EMAIL,
                                     [delivery.recipient], connection=get_connection())
    if delivery.body_html:
        message.attach_alternative(delivery.body_html, "text/html")
    for item in delivery.attachments:
        path = Path(settings.MEDIA_ROOT) / item["path"]
        message.attach(item["name"], path.read_bytes(), item.get("mimetype"))
    return message
