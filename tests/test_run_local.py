"""`make run` (scripts/run-local.sh) is a small production: gunicorn with DEBUG off, a worker and beat; a TERM or an
INT to its process group, as a service manager or Ctrl-C sends, stops all of them within 15 s and leaves nothing."""
import os
import signal
import socket
import stat
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

# It starts a real Celery worker and beat: run with the other real_worker tests, one at a time.
pytestmark = pytest.mark.real_worker


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def group_members(pgid):
    """Live processes in process group ``pgid`` (zombies are already gone: they only wait to be reaped)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat_line = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        state, _ppid, pgrp = stat_line.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            members.append((int(entry.name), cmdline.strip()))
    return members


def alive(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(condition, timeout, interval=0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    return None


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()
    except OSError:
        return None


@pytest.fixture
def make_run(tmp_path):
    port = free_port()
    var = tmp_path / "var"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PYTEST_", "DJANGO_", "REDIS_", "DATABASE_", "SECRET_KEY", "DEBUG"))}
    # Its own var/ (filesystem broker, logs, key) and an empty embedded database: the test is about processes.
    env.update(XUNCHA_VAR_DIR=str(var), PORT=str(port), DATABASE_URL=f"spatialite:///{tmp_path / 'db.sqlite3'}",
               STATIC_ROOT=str(tmp_path / "static"))
    process = subprocess.Popen(["scripts/run-local.sh"], cwd=settings.BASE_DIR, env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yield process, port, var
    if process.poll() is None or group_members(process.pid):
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def logs(var):
    return "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in sorted((var / "log").glob("*.log")))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_the_process_group_stops_web_worker_and_beat_within_15_seconds(make_run, signum):
    process, port, var = make_run
    page = wait_for(lambda: get(f"http://127.0.0.1:{port}/no-such-page/"), timeout=90)
    assert page, logs(var)
    status, headers, body = page
    # gunicorn with DEBUG off: the app's own 404 page, never Django's debug page with the settings.
    assert status == 404 and headers.get("Server", "").startswith("gunicorn"), (status, headers)
    assert "未找到" in body and "/static/css/app.css" in body and "DEBUG = True" not in body
    assert wait_for(lambda: "ready" in (var / "log" / "worker.log").read_text(), timeout=90), logs(var)
    assert wait_for(lambda: "Starting" in (var / "log" / "beat.log").read_text(), timeout=30), logs(var)
    key_file = var / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and len(key_file.read_text().strip()) >= 50

    members = group_members(process.pid)
    commands = " | ".join(command for _pid, command in members)
    assert "gunicorn" in commands and "worker worker" in commands and "worker beat" in commands, commands

    started = time.monotonic()
    os.killpg(process.pid, signum)
    gone = wait_for(lambda: process.poll() is not None and not group_members(process.pid), timeout=20, interval=0.2)
    elapsed = time.monotonic() - started
    assert gone, f"still running after {elapsed:.1f} s: {group_members(process.pid)}\n{logs(var)}"
    assert elapsed < 15, elapsed
    assert process.returncode == 0
    # Nor did any of them leave the group to linger elsewhere.
    assert not [command for pid, command in members if alive(pid)]
