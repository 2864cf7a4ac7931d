"""The Celery app: `celery -A worker worker` and `celery -A worker beat`."""
import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("xuncha")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_filesystem_broker_folders(sender, **kwargs):
    # Kombu's filesystem transport (the embedded default) needs its folders before the first publish.
    options = sender.conf.broker_transport_options or {}
    if str(sender.conf.broker_url).startswith("filesystem://"):
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            if options.get(key):
                os.makedirs(options[key], exist_ok=True)

# The beat schedule lives here and nowhere else.
app.conf.beat_schedule = {
    # Every 30 seconds: prove to /healthz that a worker is alive and taking tasks.
    "worker-heartbeat": {"task": "worker.tasks.heartbeat", "schedule": 30.0},
    # Every minute: send emails that were recorded but not queued (the broker was down) or not yet sent.
    "send-pending-emails": {"task": "worker.tasks.send_pending_emails", "schedule": 60.0},
    # Every minute: thumbnails for photos whose thumbnail task was lost (broker down, worker killed); the map's
    # popups and the case page show them, so a lost one should not wait long. One index probe when none is missing.
    "make-missing-thumbnails": {"task": "worker.tasks.make_missing_thumbnails", "schedule": 60.0},
    # Every minute: watermarked display copies (patrol.watermark) whose task was lost, and those of photos taken
    # before display copies existed; the case page shows the original until there is one.
    "make-missing-display-copies": {"task": "worker.tasks.make_missing_display_copies", "schedule": 60.0},
    # Every minute: export jobs lost while the broker was down or when their worker died go back to the queue.
    "requeue-stale-exports": {"task": "worker.tasks.requeue_stale_exports", "schedule": 60.0},
    # Every day at 03:15 Beijing time: delete export files older than 7 days (they hold party data).
    "delete-old-exports": {"task": "worker.tasks.delete_old_exports", "schedule": crontab(hour=3, minute=15)},
    # Every day at 03:25 Beijing time: delete built dossier files (案卷, party data) older than DOSSIER_KEEP_DAYS.
    "delete-old-dossiers": {"task": "worker.tasks.delete_old_dossiers", "schedule": crontab(hour=3, minute=25)},
    # Every hour at :40: delete video uploads that received nothing for VIDEO_UPLOAD_ABANDONED_HOURS, with their parts.
    "delete-abandoned-video-uploads": {"task": "worker.tasks.delete_abandoned_video_uploads",
                                       "schedule": crontab(minute=40)},
    # Every hour at :50: delete 图斑 files uploaded for a dry run and left unconfirmed for TUBAN_UPLOAD_KEEP_HOURS.
    "delete-abandoned-tuban-uploads": {"task": "worker.tasks.delete_abandoned_tuban_uploads",
                                       "schedule": crontab(minute=50)},
    # Every day at 07:30 Beijing time: each inspector's overdue cases and those due tomorrow.
    "daily-reminders": {"task": "worker.tasks.send_daily_reminders", "schedule": crontab(hour=7, minute=30)},
    # Every five minutes: the summaries now due. Which are due, and to whom, is read from the database each time
    # (Campaign.summary_schedule and .recipients, JurisdictionSummarySchedule; set in the app or the admin), so a
    # changed schedule counts without restarting beat. Scheduled summaries go out from 08:00 Beijing time:
    # daily, on Mondays (weekly) or on the 1st (monthly); see summaries/services.py.
    "send-due-summaries": {"task": "worker.tasks.send_due_summaries", "schedule": 300.0},
    # Every day at 06:00 Beijing time: 执法公示 — publish the decisions made before today (the supervisor had the
    # decision's day to hold one back), withdraw revoked ones, take down those past their retention.
    # Every day at 00:05 Beijing time: the map rollup's deadlines now past are merged per cell (patrol.rollup), so
    # the overdue counts read one row per cell. The counts are exact with or without it.
    "fold-past-deadlines": {"task": "worker.tasks.fold_past_deadlines", "schedule": crontab(hour=0, minute=5)},
    "publish-disclosures": {"task": "worker.tasks.publish_disclosures", "schedule": crontab(hour=6, minute=0)},
}
