"""A broker that accepts connections but never answers (a hung Redis) must not hold a request."""
import os
import subprocess
import sys
import time

from django.conf import settings


def test_queueing_work_gives_up_on_a_stopped_redis_within_seconds(redis_server):
    redis_server.hang()
    code = (
        "import time, django; django.setup()\n"
        "from core.queue import enqueue_on_commit\n"
        "started = time.monotonic()\n"
        "enqueue_on_commit('worker.tasks.heartbeat')\n"  # outside a transaction: publishes at once, never raises
        "print(round(time.monotonic() - started, 1))\n"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "DJANGO_", "REDIS_"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.local", REDIS_URL=redis_server.url)
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                            cwd=settings.BASE_DIR)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Could not queue" in result.stderr  # logged for the sweep, not raised
    assert float(result.stdout.split()[-1]) < 8, result.stdout
    assert time.monotonic() - started < 20
