"""Celery tasks: thin, idempotent, taking ids and re-reading rows."""
from celery import shared_task
from django.utils import timezone

from worker.models import WorkerHeartbeat


@shared_task(bind=True, ignore_result=True)
def heartbeat(self):
    WorkerHeartbeat.objects.update_or_create(
        name="worker", defaults={"beat_at": timezone.now(), "hostname": self.request.hostname or ""}
    )
