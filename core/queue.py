"""Queueing Celery work without letting a broker outage hurt the request that asked for it.

The domain decides that work is to be done; ``worker.tasks`` does it by calling the domain's services. So the
domain names the task instead of importing it (as the beat schedule does): the import goes one way only, from
the worker down to the domain. ``tests/test_architecture.py`` checks that every name queued here is a task the
worker registers.
"""
import logging

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task_name, *args, queue=None):
    """Send the task named ``task_name`` to the broker after the current transaction commits; never raise.

    Work that must not be lost is also recorded in the database (e.g. a notification Delivery) and swept up by a
    beat task, so a failed publish here only delays it.
    """
    transaction.on_commit(lambda: publish(task_name, *args, queue=queue))


def publish(task_name, *args, queue=None):
    """Send the task named ``task_name`` now; never raise (a broker that is down is logged, the sweep catches up)."""
    options = {"queue": queue} if queue else {}
    try:
        current_app.send_task(task_name, args=args, retry=False, **options)
    except Exception:  # noqa: BLE001 - the broker being down must not fail the request
        logger.warning("Could not queue %s%r; the periodic sweep will pick it up", task_name, args, exc_info=True)
