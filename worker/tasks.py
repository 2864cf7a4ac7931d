"""Celery tasks: thin, idempotent, taking ids and re-reading rows; each calls a service of the domain.

The domain queues these by name (core.queue.enqueue_on_commit) and never imports this module: imports go from
here down to the apps, never back.
"""
import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from disclosure import services as disclosure
from documents import dossier
from exports import services as exports
from notifications import services as notifications
from patrol import photos, rollup, watermark
from patrol.models import Photo
from patrol.notifications import record_daily_reminders
from summaries import services as summaries
from summaries.models import Summary
from tuban import uploads as tuban_uploads
from videos import uploads
from worker.models import WorkerHeartbeat

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


def _deliver(task, delivery_id, what):
    try:
        notifications.deliver(delivery_id)
    except Exception as exc:  # noqa: BLE001 - any SMTP or network error
        if task.request.retries >= task.max_retries:
            notifications.mark_failed(delivery_id)
            logger.error("%s %s failed for good: %s", what, delivery_id, exc)
            return
        raise task.retry(exc=exc, countdown=email_retry_countdown(task.request.retries))


@shared_task(bind=True, ignore_result=True, max_retries=6, acks_late=True)
def send_email(self, delivery_id):
    """Send one recorded notification (notifications.Delivery, any channel); failures retry after 1, 2, 4... ×
    EMAIL_RETRY_BASE_S, then it is marked failed."""
    _deliver(self, delivery_id, "Notification")


@shared_task(ignore_result=True)
def send_pending_emails():
    """Sweep: notifications recorded more than a minute ago and never tried (e.g. queued while the broker was down)."""
    for delivery_id in notifications.pending_deliveries(timezone.now() - timedelta(minutes=1))[:500]:
        send_email.apply_async((delivery_id,), queue=SWEEP_QUEUE)


@shared_task(ignore_result=True)
def send_daily_reminders():
    """Each responsible inspector: their overdue cases and those due tomorrow (one email a day each)."""
    for delivery_id in record_daily_reminders(timezone.localdate()):
        send_email.delay(delivery_id)


@shared_task(ignore_result=True, acks_late=True)
def make_thumbnail(photo_id):
    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is not None:
        photos.make_thumbnail(photo)


@shared_task(ignore_result=True)
def make_missing_thumbnails():
    """Sweep: photos stored more than two minutes ago without a thumbnail (a lost task, a dead worker)."""
    for photo_id in photos.photos_without_thumbnail(timezone.now() - timedelta(minutes=2))[:200]:
        make_thumbnail.apply_async((photo_id,), queue=SWEEP_QUEUE)


@shared_task(ignore_result=True, acks_late=True)
def make_display_copy(photo_id):
    """The photo's watermarked display copy (patrol.watermark); a second run finds it made."""
    photo = Photo.objects.filter(pk=photo_id).select_related("case", "uploaded_by").first()
    if photo is not None:
        watermark.make_display_copy(photo)


@shared_task(ignore_result=True)
def make_missing_display_copies():
    """Sweep: photos stored more than two minutes ago without a display copy (a lost task, or a photo taken before
    display copies existed: 200 a minute until none is left)."""
    for photo_id in watermark.photos_without_display_copy(timezone.now() - timedelta(minutes=2))[:200]:
        make_display_copy.apply_async((photo_id,), queue=SWEEP_QUEUE)


@shared_task(ignore_result=True, acks_late=True)
def build_export(job_id):
    """Build one large ledger export (exports.services.run_export_job); a second run finds it taken or done."""
    exports.run_export_job(job_id)


@shared_task(ignore_result=True)
def requeue_stale_exports():
    """Sweep: export jobs still queued a minute after they were asked for (the broker was down), or running
    without progress for a while (their worker died)."""
    exports.requeue_stale_jobs()


@shared_task(ignore_result=True)
def delete_old_exports(days=7):
    """Export files hold personal data (当事人): delete jobs and their files a week after they were asked for."""
    exports.delete_old_jobs(days)


@shared_task(ignore_result=True)
def delete_old_dossiers():
    """Dossier files hold party data and are built again on request: delete finished jobs older than
    DOSSIER_KEEP_DAYS, with their files."""
    dossier.delete_old_dossier_jobs(settings.DOSSIER_KEEP_DAYS)


@shared_task(ignore_result=True)
def delete_abandoned_video_uploads():
    """Video uploads that stopped half-way more than VIDEO_UPLOAD_ABANDONED_HOURS ago: their parts go."""
    uploads.delete_abandoned_uploads(settings.VIDEO_UPLOAD_ABANDONED_HOURS)


@shared_task(ignore_result=True)
def delete_abandoned_tuban_uploads():
    """图斑 files uploaded for a dry run that nobody confirmed or cancelled within TUBAN_UPLOAD_KEEP_HOURS."""
    tuban_uploads.delete_abandoned_uploads(settings.TUBAN_UPLOAD_KEEP_HOURS)


@shared_task(ignore_result=True)
def fold_past_deadlines():
    """The map rollup's deadline rows before today, merged per cell (patrol.rollup)."""
    rollup.fold_past_deadlines(timezone.localdate())


# --- summaries (汇总报告, summaries/services.py) ------------------------------------------------------


@shared_task(ignore_result=True, acks_late=True)
def send_summary(summary_id):
    """Build a requested summary (once), record its emails (once per recipient) and queue them.

    Safe to run twice or in two workers at once; a worker killed half-way leaves the task unacknowledged,
    and the next worker finishes it without sending anything twice.
    """
    try:
        delivery_ids = summaries.produce_summary(summary_id)
    except Exception as exc:
        Summary.objects.filter(pk=summary_id).update(last_error=f"{exc.__class__.__name__}: {exc}"[:2000])
        raise
    for delivery_id in delivery_ids:
        send_summary_email.delay(delivery_id)


@shared_task(bind=True, ignore_result=True, max_retries=6, acks_late=True)
def send_summary_email(self, delivery_id):
    """Send one summary email; SMTP failures retry after 1, 2, 4... × EMAIL_RETRY_BASE_S, then it is marked failed
    (the summary page shows so)."""
    _deliver(self, delivery_id, "Summary email")


@shared_task(ignore_result=True, acks_late=True)
def build_summary_ledger(summary_id):
    """The ledger of a summary too large to attach to its email, built after the emails went out."""
    summaries.build_summary_ledger(summary_id)


@shared_task(ignore_result=True)
def send_due_summaries():
    """Sweep: record and queue the summaries due by each campaign's and jurisdiction's schedule (read from the
    database, so a change counts at once), and queue again those whose task was lost."""
    summaries.request_due_summaries(timezone.now())


@shared_task(ignore_result=True, acks_late=True)
def build_dossier(job_id):
    """Build one case file (documents.dossier.run_dossier_job); a second run finds it taken or done."""
    dossier.run_dossier_job(job_id)


@shared_task(ignore_result=True)
def publish_disclosures():
    """执法公示's daily run: register new decisions, withdraw revoked ones, publish, take down expired ones
    (disclosure.services.run_daily; every step is safe to run twice)."""
    return disclosure.run_daily()
