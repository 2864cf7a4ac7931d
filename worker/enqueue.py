"""Queueing Celery work without letting a broker outage hurt the request that asked for it."""
import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, *args, **kwargs):
    """Send ``task`` to the broker after the current transaction commits; never raise.

    Work that must not be lost is also recorded in the database (e.g. EmailDelivery) and swept up by a
    beat task, so a failed publish here only delays it.
    """

    def publish():
        try:
            task.apply_async(args=args, kwargs=kwargs, retry=False)
        except Exception:  # noqa: BLE001 - the broker being down must not fail the request
            logger.warning("Could not queue %s%r; the periodic sweep will pick it up", task.name, args, exc_info=True)

    transaction.on_commit(publish)
