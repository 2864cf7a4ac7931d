"""What each fault script does while the load runs (called by bench/load/run.py --fault NAME in a thread).

Each action gets the Stack (our own PostgreSQL cluster, redis-server and Celery worker: never the shared ones),
the run's arguments, the monotonic time the load started and the output folder; it returns {"events": [...]}, the
timeline for the report.
"""
import json
import random
import signal
import time
import urllib.error
import urllib.request


def _at(started, seconds):
    time.sleep(max(0.0, started + seconds - time.monotonic()))


def _event(stack, started, events, text):
    line = f"+{time.monotonic() - started:5.1f}s {text}"
    events.append(line)
    stack.note(line)


def pg_restart(stack, args, started, out, down_s=10):
    """Stop our PostgreSQL (fast shutdown: sessions are cut) in the middle of the load, keep it down for
    ``down_s`` seconds, start it again."""
    events = []
    _at(started, args.fault_at)
    _event(stack, started, events, "PostgreSQL: pg_ctl stop -m fast")
    t0 = time.monotonic()
    stack.stop_postgres_server("fast")
    _event(stack, started, events, f"PostgreSQL stopped (took {time.monotonic() - t0:.1f}s); down for {down_s}s")
    time.sleep(down_s)
    stack.start_postgres_server()
    _event(stack, started, events, "PostgreSQL started again (pg_ctl start -w returned)")
    return {"events": events}


def redis_stop(stack, args, started, out, down_s=30):
    """Stop our redis-server (SIGTERM; it has no persistence, so queued tasks are lost with it) for ``down_s``
    seconds, start a new one on the same port."""
    events = []
    _at(started, args.fault_at)
    queued = None
    try:
        queued = int(__import__("subprocess").run(["redis-cli", "-p", str(stack.redis_port), "llen", "celery"],
                                                  capture_output=True, text=True, timeout=5).stdout.strip())
    except Exception:  # noqa: BLE001
        pass
    _event(stack, started, events, f"Redis: stopping (SIGTERM); {queued} tasks waiting in the queue are lost with it")
    stack.kill("redis")
    time.sleep(down_s)
    stack.start_redis()
    _event(stack, started, events, f"Redis started again after {down_s}s (empty)")
    return {"events": events}


def _send_summary(stack, fixture, campaign_id):
    token = fixture["supervisors"][0]["token"]
    request = urllib.request.Request(f"http://127.0.0.1:{stack.web_port}/api/v1/campaigns/{campaign_id}/summary/send/",
                                     method="POST", headers={"Authorization": f"Token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read()).get("summary")
    except urllib.error.HTTPError as exc:
        return exc.code, None


def _wait_for_log(path, offset, needle, count=1, timeout=20.0):
    """Wait until ``needle`` appeared ``count`` times in the file after ``offset``; return True if it did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path, "rb") as fh:
            fh.seek(offset)
            if fh.read().count(needle.encode()) >= count:
                return True
        time.sleep(0.02)
    return False


def worker_kill(stack, args, started, out, every_s=25, per_round=3):
    """Every ``every_s`` seconds: ask for the summaries of ``per_round`` campaigns (and once more for one already
    asked for), then SIGKILL the worker's whole process group (parent and pool children: no clean shutdown, no
    acknowledgement) at a moment read from the worker's log — rounds alternate between "0.15 s after it took the
    first summary task" (a summary takes 0.3-0.5 s here: charts, workbook, recording the emails) and "as soon as it
    took the first summary email task" (sending takes ~30 ms) — and start a new worker 3 s later. Thumbnails are
    being made all the while for the photos the inspectors upload, so every kill also hits some of those."""
    events = []
    fixture = json.loads((out / "fixture.json").read_text())
    campaigns = list(fixture["summary_campaigns"])
    asked = []
    rng = random.Random(8)
    moment, round_no = 30.0, 0
    log = out / "worker.log"
    while campaigns and moment < args.duration - 30:
        _at(started, moment)
        batch, campaigns = campaigns[:per_round], campaigns[per_round:]
        offset = log.stat().st_size
        answers = [_send_summary(stack, fixture, c) for c in batch]
        if asked:
            answers.append(_send_summary(stack, fixture, rng.choice(asked)))
        asked += batch
        _event(stack, started, events, f"asked for summaries of campaigns {batch} (+1 repeat): {answers}")
        if round_no % 2 == 0:
            seen = _wait_for_log(log, offset, "send_summary[", 1)
            time.sleep(0.15)
            when = "0.15 s after the worker took a summary task" if seen else "(no summary task seen in 20 s)"
        else:
            seen = _wait_for_log(log, offset, "send_summary_email[", 1)
            when = "as the worker took a summary email task" if seen else "(no email task seen in 20 s)"
        stack.kill("worker", signal.SIGKILL)
        state = stack.psql("SELECT (SELECT count(*) FROM worker_summary WHERE status = 'requested'), "
                           "(SELECT count(*) FROM worker_emaildelivery WHERE status = 'pending'), "
                           "(SELECT count(*) FROM patrol_photo p JOIN patrol_user u ON u.id = p.uploaded_by_id "
                           "WHERE u.username LIKE 'load_%' AND (p.thumbnail = '' OR p.thumbnail IS NULL))").strip()
        _event(stack, started, events, f"SIGKILL to the worker's process group {when}; right after: summaries not "
                                       f"built | emails pending | load photos without thumbnail = {state}")
        time.sleep(3)
        stack.start_worker()
        _event(stack, started, events, "new worker started")
        moment += every_s
        round_no += 1
    return {"events": events}


ACTIONS = {"pg-restart": pg_restart, "redis-stop": redis_stop, "worker-kill": worker_kill}
