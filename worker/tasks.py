"""Celery tasks: thin, idempotent, taking ids and re-reading rows."""
import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from worker import mail
from worker.models import EmailDelivery, WorkerHeartbeat

logger = logging.getLogger(__name__)


@shared_task(bind=True, ignore_result=True)
def heartbeat(self):
    WorkerHeartbeat.objects.update_or_create(
        name="worker", defaults={"beat_at": timezone.now(), "hostname": self.request.hostname or ""}
    )


# The longest wait between two attempts at one email, however many attempts came before.
EMAIL_RETRY_MAX_S = 3600


# Work a sweep finds (a backlog of lost thumbnails or emails) waits in a queue of its own, which workers read only
# when the default one is empty (settings: CELERY_TASK_QUEUES, "sorted" order): a new upload's thumbnail never
# waits behind a sweep's backlog.
SWEEP_QUEUE = "sweep"


def email_retry_countdown(retries):
    """Seconds before the next attempt after ``retries`` retries: EMAIL_RETRY_BASE_S × 1, 2, 4..., at most an hour."""
    return min(settings.EMAIL_RETRY_BASE_S * 2 ** retries, EMAIL_RETRY_MAX_S)


@shared_task(bind=True, ignore_result=True, max_retries=6, acks_late=True)
def send_email(self, delivery_id):
    """Send one recorded email; SMTP failures retry after 1, 2, 4... × EMAIL_RETRY_BASE_S, then it is marked failed."""
    try:
        mail.deliver(delivery_id)
    except Exception as exc:  # noqa: BLE001 - any SMTP or network error
        if self.request.retries >= self.max_retries:
            mail.mark_failed(delivery_id)
            logger.error("Email %s failed for good: %s", delivery_id, exc)
            return
        raise self.retry(exc=exc, countdown=email_retry_countdown(self.request.retries))


@shared_task(ignore_result=True)
def send_pending_emails():
    """Sweep: emails recorded more than a minute ago and still pending (e.g. queued while the broker was down)."""
    cutoff = timezone.now() - timedelta(minutes=1)
    for delivery_id in EmailDelivery.objects.filter(status=EmailDelivery.Status.PENDING, created_at__lt=cutoff,
                                                    attempts=0).values_list("pk", flat=True)[:500]:
        send_email.apply_async((delivery_id,), queue=SWEEP_QUEUE)


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
        make_thumbnail.apply_async((photo_id,), queue=SWEEP_QUEUE)


@shared_task(ignore_result=True, acks_late=True)
def build_export(job_id):
    """Build one large ledger export (patrol.exports.run_export_job); a second run finds it taken or done."""
    from patrol.exports import run_export_job

    run_export_job(job_id)


@shared_task(ignore_result=True)
def requeue_stale_exports():
    """Sweep: export jobs still queued a minute after they were asked for (the broker was down), or running
    without progress for a while (their worker died)."""
    from patrol.exports import STALE_JOB_AFTER
    from worker.models import ExportJob

    now = timezone.now()
    stale = (ExportJob.objects.filter(status=ExportJob.Status.QUEUED, created_at__lt=now - timedelta(minutes=1))
             | ExportJob.objects.filter(status=ExportJob.Status.RUNNING, updated_at__lt=now - STALE_JOB_AFTER))
    for job_id in stale.values_list("pk", flat=True)[:100]:
        build_export.delay(job_id)


@shared_task(ignore_result=True)
def delete_old_exports(days=7):
    """Export files hold personal data (当事人): delete jobs and their files a week after they were asked for."""
    from worker.models import ExportJob

    for job in ExportJob.objects.filter(created_at__lt=timezone.now() - timedelta(days=days)).iterator():
        if job.file:
            job.file.delete(save=False)
        job.delete()


# --- summaries (汇总报告, worker/summaries.py) ---------------------------------------------------------


@shared_task(ignore_result=True, acks_late=True)
def send_summary(summary_id):
    """Build a requested summary (once), record its emails (once per recipient) and queue them.

    Safe to run twice or in two workers at once; a worker killed half-way leaves the task unacknowledged,
    and the next worker finishes it without sending anything twice.
    """
    from worker.models import Summary
    from worker.summaries import produce_summary

    try:
        delivery_ids = produce_summary(summary_id)
    except Exception as exc:
        Summary.objects.filter(pk=summary_id).update(last_error=f"{exc.__class__.__name__}: {exc}"[:2000])
        raise
    for delivery_id in delivery_ids:
        send_summary_email.delay(delivery_id)


@shared_task(bind=True, ignore_result=True, max_retries=6, acks_late=True)
def send_summary_email(self, delivery_id):
    """Send one summary email; SMTP failures retry after 1, 2, 4... × EMAIL_RETRY_BASE_S, then it is marked failed
    (the summary page shows so)."""
    try:
        mail.deliver(delivery_id)
    except Exception as exc:  # noqa: BLE001 - any SMTP or network error
        if self.request.retries >= self.max_retries:
            mail.mark_failed(delivery_id)
            logger.error("Summary email %s failed for good: %s", delivery_id, exc)
            return
        raise self.retry(exc=exc, countdown=email_retry_countdown(self.request.retries))


@shared_task(ignore_result=True)
def send_due_summaries():
    """Sweep: record and queue the summaries due by each campaign's and jurisdiction's schedule (read from the
    database, so a change counts at once), and queue again those whose task was lost."""
    from worker.summaries import request_due_summaries

    request_due_summaries(timezone.now())
