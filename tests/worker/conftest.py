"""Real parts for task tests: an SMTP server (aiosmtpd), Redis, and a Celery worker process."""
import ctypes
import ctypes.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import pytest
from aiosmtpd.controller import Controller


class Inbox:
    """An aiosmtpd handler that keeps every message, and can refuse the first N with 451."""

    def __init__(self):
        self.messages = []
        self.refuse_next = 0

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_next > 0:
            self.refuse_next -= 1
            return "451 Try again later"
        self.messages.append(envelope)
        return "250 OK"


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# Looked up here, in the parent: the child may only call it (no dlopen between fork and exec).
_prctl = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True).prctl if sys.platform == "linux" else None


def _die_with_parent(parent_pid):
    """preexec_fn for a worker process: the kernel kills it (SIGKILL) when the pytest process dies, however it
    dies (Ctrl-C twice, SIGKILL, a crash), so an interrupted run leaves no Celery worker behind taking tasks."""
    def preexec():
        if _prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")  # Popen raises it in the parent
        if os.getppid() != parent_pid:
            os._exit(1)  # the parent died before the signal was armed: do not start at all
    return preexec


def worker_popen(args, **kwargs):
    """``subprocess.Popen`` for a process that must not outlive this pytest process (Linux: PR_SET_PDEATHSIG).

    The signal fires when the thread that forked the child ends; fixtures run on pytest's main thread, which
    lives as long as the process.
    """
    if _prctl is not None:
        kwargs["preexec_fn"] = _die_with_parent(os.getpid())
    return subprocess.Popen(args, **kwargs)


class _LoggedPopen(subprocess.Popen):
    """A worker process whose repr is its log, so a failed assertion shows what the worker did."""

    def __repr__(self):
        return "<celery worker log>\n" + self.log()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    inbox.port = port
    yield inbox
    controller.stop()


def wait_for(predicate, timeout=30, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


@pytest.fixture
def redis_url(settings):
    """The test run's Redis database (config/settings/test.py), emptied first."""
    import redis

    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    return settings.CELERY_BROKER_URL


@pytest.fixture
def celery_worker(transactional_db, smtp_server, redis_url, settings):
    """A real `celery worker` process on Redis, using the test database and the test SMTP server."""
    from worker.celery import app

    # This process publishes on the same broker as the worker, through fresh connection pools (a pool made
    # earlier may point at another Redis database).
    previous_broker = app.conf.broker_url
    app.conf.broker_url = redis_url
    app._pool = None  # noqa: SLF001
    app.amqp._producer_pool = None  # noqa: SLF001
    database = settings.DATABASES["default"]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "REDIS_URL": redis_url,
           "DATABASE_URL": f"postgis://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
           "XUNCHA_TEST_EMAIL_SMTP": f"127.0.0.1:{smtp_server.port}", "MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.pop("PYTEST_XDIST_WORKER", None)  # else config/settings/test.py would pick its own Redis database
    log_path = tempfile.mktemp(prefix="celery-worker-", suffix=".log")
    log = open(log_path, "w")  # a file, not a pipe nobody reads: a full pipe would block the worker
    hostname = f"test-{uuid.uuid4().hex[:8]}@test"
    process = worker_popen(
        [sys.executable, "-m", "celery", "-A", "worker", "worker", "--pool=solo", "--concurrency=1",
         "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat", f"--hostname={hostname}"],
        cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    process.log = lambda: open(log_path).read()[-6000:]
    process.__class__ = _LoggedPopen
    ready = wait_for(lambda: app.control.ping(destination=[hostname], timeout=0.5), timeout=40)
    if not ready:
        process.kill()
        pytest.fail("the Celery worker did not start:\n" + process.log())
    yield process
    app.conf.broker_url = previous_broker
    app._pool = None  # noqa: SLF001
    app.amqp._producer_pool = None  # noqa: SLF001
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
