"""Recording notifications and sending each exactly once per key (as far as the channel allows)."""
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core.queue import enqueue_on_commit
from notifications.models import Delivery
from notifications.transports import transport_for

logger = logging.getLogger(__name__)


def record_delivery(*, channel, key, recipient, payload):
    """Record a message to send (idempotent by ``key``). Call inside the transaction that decides it.

    Returns the delivery, or None when this key was recorded before.
    """
    delivery, created = Delivery.objects.get_or_create(
        key=key, defaults={"channel": channel, "recipient": recipient, "payload": payload})
    return delivery if created else None


def record_email(*, key, recipient, subject, template, context, language="zh-hans", attachments=()):
    """Record an email rendered from ``email/<template>.txt`` and ``.html`` in ``language`` (idempotent by ``key``).

    ``attachments`` are ``{"name", "path", "mimetype"}`` with a path relative to MEDIA_ROOT; one that also has a
    ``"cid"`` is an image shown in the HTML body (``<img src="cid:...">``), not a file to open.

    Returns the delivery, or None when this key was recorded before.
    """
    with translation.override(language):
        context = {**context, "site_url": settings.SITE_URL}
        payload = {"subject": str(subject), "body_text": render_to_string(f"email/{template}.txt", context),
                   "body_html": render_to_string(f"email/{template}.html", context),
                   "attachments": list(attachments)}
    return record_delivery(channel="email", key=key, recipient=recipient, payload=payload)


def deliver(delivery_id):
    """Send one recorded delivery unless it was sent already. Raises when the channel refuses (the task retries)."""
    try:
        with transaction.atomic():
            # The row lock keeps a second worker (a duplicate task) waiting until this one has finished;
            # it then finds the message sent.
            delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
            if delivery is None or delivery.status == Delivery.Status.SENT:
                return False
            transport_for(delivery.channel).notify(delivery)
            delivery.status, delivery.sent_at, delivery.last_error = Delivery.Status.SENT, timezone.now(), ""
            delivery.attempts += 1
            delivery.save(update_fields=["status", "sent_at", "attempts", "last_error"])
            return True
    except Exception as exc:
        Delivery.objects.filter(pk=delivery_id).update(
            attempts=F("attempts") + 1, last_error=f"{exc.__class__.__name__}: {exc}"[:2000])
        raise


def mark_failed(delivery_id):
    Delivery.objects.filter(pk=delivery_id).exclude(status=Delivery.Status.SENT).update(status=Delivery.Status.FAILED)


def pending_deliveries(older_than):
    """Ids of deliveries recorded before ``older_than`` and never tried (their task was lost), for the sweep."""
    return Delivery.objects.filter(status=Delivery.Status.PENDING, created_at__lt=older_than,
                                   attempts=0).values_list("pk", flat=True)


def queue_delivery(delivery):
    """Send ``delivery`` after commit (worker.tasks.send_email); the sweep sends it if the broker is down."""
    enqueue_on_commit("worker.tasks.send_email", delivery.pk)
