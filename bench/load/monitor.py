"""Samples during a run, one JSON line every INTERVAL seconds: database connections (pg_stat_activity of the
run's own cluster, by state), the Celery queue depth in Redis (LLEN celery), GET /healthz (status and time) and
the load average. Every probe has a short timeout and a failure is recorded, not raised: faults are the point.

    python bench/load/monitor.py OUT.jsonl PG_PORT REDIS_PORT WEB_PORT [INTERVAL]
"""
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request

import psycopg
import redis


def main():
    out_path, pg_port, redis_port, web_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    interval = float(sys.argv[5]) if len(sys.argv) > 5 else 2.0
    out = open(out_path, "a", buffering=1)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    r = redis.Redis(host="127.0.0.1", port=redis_port, socket_timeout=1, socket_connect_timeout=1)
    while True:
        started = time.time()
        sample = {"t": started, "load1": os.getloadavg()[0]}
        try:
            with psycopg.connect(host="127.0.0.1", port=pg_port, user="postgres", dbname="postgres",
                                 connect_timeout=2, application_name="bench-monitor") as conn:
                rows = conn.execute(
                    "SELECT coalesce(state, '-'), count(*) FROM pg_stat_activity WHERE datname = 'xuncha' "
                    "AND backend_type = 'client backend' AND application_name <> 'bench-monitor' GROUP BY 1").fetchall()
                sample["db"] = dict(rows)
                sample["db_total"] = sum(n for _, n in rows)
        except Exception as exc:  # noqa: BLE001
            sample["db_error"] = exc.__class__.__name__
        try:
            sample["queue"] = r.llen("celery")
        except Exception as exc:  # noqa: BLE001
            sample["queue_error"] = exc.__class__.__name__
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/healthz", timeout=10) as response:
                sample["healthz"] = response.status
        except urllib.error.HTTPError as exc:
            sample["healthz"] = exc.code
        except Exception as exc:  # noqa: BLE001
            sample["healthz"] = exc.__class__.__name__
        sample["healthz_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        out.write(json.dumps(sample) + "\n")
        time.sleep(max(0.0, interval - (time.time() - started)))


if __name__ == "__main__":
    main()
