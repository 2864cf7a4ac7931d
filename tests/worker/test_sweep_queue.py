"""What a sweep finds waits in the "sweep" queue, which workers read only when fresh work is done."""
import hashlib
import io
import uuid
from datetime import timedelta

import pytest
import redis
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from patrol import workflow
from tests.factories import finding
from worker import tasks
from worker.celery import app

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_only]


def lengths(client):
    return client.llen("celery"), client.llen("sweep")


def test_the_thumbnail_sweep_queues_lost_thumbnails_behind_fresh_work(users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 200)).save(out, "JPEG")
    data = out.getvalue()
    case, _ = workflow.report_finding(actor=users["inspector"], **finding())
    an_hour_ago = timezone.now() - timedelta(hours=1)
    # Its thumbnail task was lost (stored an hour ago, still no thumbnail): what the sweep is for.
    workflow.attach_photo(case_id=case.pk, actor=users["inspector"], client_uuid=uuid.uuid4(), file=ContentFile(data),
                          sha256=hashlib.sha256(data).hexdigest(), content_type="image/jpeg", size_bytes=len(data),
                          taken_at=an_hour_ago, stage="before", now=an_hour_ago)

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete("celery", "sweep")
    # Bind the queues as a starting worker does: routing then follows the bindings, not the queue names.
    with app.connection_for_write() as connection:
        for queue in app.amqp.queues.values():
            queue(connection.default_channel).declare()
    try:
        tasks.make_missing_thumbnails()
        assert lengths(client) == (0, 1)
        # Fresh work goes to "celery" only: one copy, not one per queue.
        tasks.heartbeat.delay()
        assert lengths(client) == (1, 1)
    finally:
        client.delete("celery", "sweep")


def test_workers_read_both_queues_fresh_work_first():
    assert [queue.name for queue in app.conf.task_queues] == ["celery", "sweep"]
    with app.connection_for_read() as connection:
        cycle = connection.default_channel._queue_cycle
        # BRPOP is given the queues in this order (after any rotation), and Redis answers from the first that holds
        # a task; the default round robin would alternate between them.
        cycle.update(["sweep", "celery"])
        for _ in range(3):
            assert cycle.consume(2) == ["celery", "sweep"]
            cycle.rotate("celery")
