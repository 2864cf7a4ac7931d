"""``celery -A tests.worker.paused_worker worker``: the real app and tasks, except that a summary's emails are never
queued: the worker stops for good right after ``produce_summary`` committed the summary and its emails.

The test that kills a worker at that moment (tests/worker/test_summaries.py) starts this one. The pause lives here,
in test code, by replacing the queueing call in this worker process only; the production path has no hook.
"""
import time

import django

django.setup()

from worker import tasks  # noqa: E402
from worker.celery import app  # noqa: E402,F401 - the app `celery -A` looks for

# Never import this module into the test process: it would stop that process's summary emails too.


def _pause_for_good(*args, **kwargs):
    print("Paused before queueing the summary's emails", flush=True)
    time.sleep(600)


tasks.send_summary_email.delay = _pause_for_good
