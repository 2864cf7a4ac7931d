"""The Celery app: `celery -A worker worker` and `celery -A worker beat`."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("xuncha")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The beat schedule lives here and nowhere else.
app.conf.beat_schedule = {
    # Every 30 seconds: prove to /healthz that a worker is alive and taking tasks.
    "worker-heartbeat": {"task": "worker.tasks.heartbeat", "schedule": 30.0},
}
