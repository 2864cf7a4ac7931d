"""Celery tasks: thin, idempotent, taking ids and re-reading rows."""
import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from worker import mail
from worker.models import EmailDelivery, WorkerHeartbeat

logger = logging.getLogger(__name__)


@shared_task(bind=True, ignore_result=True)
def heartbeat(self):
    WorkerHeartbeat.objects.update_or_create(
        name="worker", defaults={"beat_at": timezone.now(), "hostname": self.request.hostname or ""}
    )


@shared_task(bind=True, ignore_result=True, max_retries=6, acks_late=True)
def send_email(self, delivery_id):
    """Send one recorded email; SMTP failures retry with backoff (1, 2, 4... minutes), then mark it failed."""
    try:
        mail.deliver(delivery_id)
    except Exception as exc:  # noqa: BLE001 - any SMTP or network error
        if self.request.retries >= self.max_retries:
            mail.mark_failed(delivery_id)
            logger.error("Email %s failed for good: %s", delivery_id, exc)
            return
        raise self.retry(exc=exc, countdown=min(60 * 2 ** self.request.retries, 3600))


@shared_task(ignore_result=True)
def send_pending_emails():
    """Sweep: emails recorded more than a minute ago and still pending (e.g. queued while the broker was down)."""
    cutoff = timezone.now() - timedelta(minutes=1)
    for delivery_id in EmailDelivery.objects.filter(status=EmailDelivery.Status.PENDING, created_at__lt=cutoff,
                                                    attempts=0).values_list("pk", flat=True)[:500]:
        send_email.delay(delivery_id)


@shared_task(ignore_result=True)
def send_daily_reminders():
    """Each responsible inspector: their overdue cases and those due tomorrow (one email a day each)."""
    from patrol.notifications import record_daily_reminders

    ids = record_daily_reminders(timezone.localdate())
    for delivery_id in ids:
        send_email.delay(delivery_id)


@shared_task(ignore_result=True, acks_late=True)
def make_thumbnail(photo_id):
    from patrol.models import Photo
    from patrol.photos import make_thumbnail as build

    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is not None:
        build(photo)


@shared_task(ignore_result=True)
def make_missing_thumbnails():
    """Sweep: photos stored more than two minutes ago without a thumbnail (a lost task, a dead worker)."""
    from patrol.models import Photo

    cutoff = timezone.now() - timedelta(minutes=2)
    for photo_id in (Photo.objects.filter(thumbnail="", uploaded_at__lt=cutoff).exclude(content_type="image/heic")
                     .values_list("pk", flat=True)[:200]):
        make_thumbnail.delay(photo_id)
