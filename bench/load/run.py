"""Run the mixed load scenario (issue #8) against its own stack, optionally with a fault, and print the report.

    .venv/bin/python bench/load/run.py                         # 50 inspectors + 10 supervisors, 5 minutes
    .venv/bin/python bench/load/run.py --duration 45 --inspectors 10 --supervisors 2 --seed-cases 0   # quick
    .venv/bin/python bench/load/run.py --fault pg-restart      # see bench/faults/

It starts its own PostgreSQL cluster (initdb into a temporary folder, port 5441), redis-server (6391), an SMTP
sink (8025), gunicorn (8061, production settings), a Celery worker and beat; creates and seeds the database;
runs locust headless with CSV output; then checks the database (check.py) and prints the tables. Everything it
started is stopped on exit, on Ctrl-C and on SIGTERM, and the temporary folder is removed. Outputs stay in
var/bench/<name>/ (locust CSVs, accepted.jsonl, failures.jsonl, monitor.jsonl, check.json, logs, report.md).
"""
import argparse
import csv
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "faults"))

from stack import APP_PY, ROOT, Stack  # noqa: E402

LOCUST = ROOT / "bench" / ".venv-load" / "bin" / "locust"
TARGET_MS = {"/api/v1/cases/ [finding]": 300, "/api/v1/map/cases/": 300}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inspectors", type=int, default=50)
    parser.add_argument("--supervisors", type=int, default=10)
    parser.add_argument("--duration", type=int, default=300, help="seconds of load")
    parser.add_argument("--seed-cases", type=int, default=50_000, help="synthetic cases for volume (seed_demo --cases)")
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--web-nodes", type=int, default=1,
                        help="gunicorn nodes; more than one puts nginx on --web-port in front of them (scale-out)")
    parser.add_argument("--workers", type=int, default=1, help="Celery worker processes (each --worker-concurrency)")
    parser.add_argument("--object-store", action="store_true",
                        help="files in a SeaweedFS bucket with object lock (S3_ENDPOINT_URL) instead of the disk")
    parser.add_argument("--scale-out", action="store_true",
                        help="the many-machines run of issue #16: 2 web nodes behind nginx, 2 workers, SeaweedFS, "
                             "200 inspectors + 20 supervisors (each can still be set)")
    parser.add_argument("--cadence", choices=["stress", "field"], default="stress",
                        help="stress: an inspector acts every 4-12 s (a finding every ~36 s); field: as the phone "
                             "app does, a track batch a minute and a finding every ~6 minutes (locustfile.py)")
    parser.add_argument("--fault", choices=["none", "pg-restart", "redis-stop", "worker-kill"], default="none")
    parser.add_argument("--fault-at", type=float, default=60, help="seconds into the load")
    parser.add_argument("--settle", type=float, default=420, help="longest wait for follow-up work after the load")
    parser.add_argument("--name", default=None, help="output folder name under var/bench/")
    parser.add_argument("--pg-port", type=int, default=5441)
    parser.add_argument("--redis-port", type=int, default=6391)
    parser.add_argument("--web-port", type=int, default=8061)
    parser.add_argument("--smtp-port", type=int, default=8025)
    return parser.parse_args()


def wait_healthy(port, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                body = json.loads(response.read())
                if body["database"]["ok"] and body["broker"]["ok"]:
                    return body
        except Exception:  # noqa: BLE001
            pass
        time.sleep(1)
    raise SystemExit("the app did not become healthy")


def warm_up(stack, limit_s=300):
    """Let the workers make the thumbnails of the seed's photos before the load starts: the seed stores about 400
    photos without one, and their sweep, queued by beat in the first minute, otherwise competes with the load's first
    minute for the same cores (the scale-out run's first 60 s had a p95 of 6.6 s for findings, its rest 0.25 s)."""
    started = time.monotonic()
    missing = "SELECT count(*) FROM patrol_photo WHERE thumbnail = '' OR thumbnail IS NULL"
    stack.manage("shell", "-c", "from worker.tasks import make_missing_thumbnails as sweep\n"
                 "for _ in range(4): sweep.delay()", stdout=subprocess.DEVNULL)
    while time.monotonic() - started < limit_s:
        left = int(stack.psql(missing).strip() or 0)
        if not left:
            break
        time.sleep(2)
    else:
        left = int(stack.psql(missing).strip() or 0)
    stack.note(f"warm-up: the seed's photos without a thumbnail {left} after {time.monotonic() - started:.0f} s")


def main():
    args = parse_args()
    if args.scale_out:
        defaults = {"inspectors": 50, "supervisors": 10, "web_nodes": 1, "workers": 1, "web_workers": 4}
        wanted = {"inspectors": 200, "supervisors": 20, "web_nodes": 2, "workers": 2, "web_workers": 3}
        for key, value in wanted.items():
            if getattr(args, key) == defaults[key]:
                setattr(args, key, value)
        args.object_store = True
    name = args.name or f"{'load' if args.fault == 'none' else args.fault}-{time.strftime('%Y%m%d-%H%M%S')}"
    out = ROOT / "var" / "bench" / name
    out.mkdir(parents=True, exist_ok=True)
    if not LOCUST.exists():
        raise SystemExit(f"{LOCUST} is missing: python3 -m venv bench/.venv-load && "
                         "bench/.venv-load/bin/pip install -r bench/requirements.txt")
    stack = Stack(pg_port=args.pg_port, redis_port=args.redis_port, web_port=args.web_port, smtp_port=args.smtp_port,
                  web_workers=args.web_workers, worker_concurrency=args.worker_concurrency, out_dir=out,
                  web_nodes=args.web_nodes)

    def on_signal(signum, frame):
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        run(stack, args, out)
    finally:
        stack.close()
    print(f"\nOutputs: {out}")


def run(stack, args, out):
    load_before = os.getloadavg()
    stack.note(f"run {out.name}: {args.inspectors} inspectors + {args.supervisors} supervisors, {args.duration}s, "
               f"fault {args.fault}; load average before {load_before[0]:.2f} {load_before[1]:.2f} "
               f"{load_before[2]:.2f}")
    stack.start_postgres()
    stack.psql("CREATE DATABASE xuncha", db="postgres")
    stack.psql("CREATE EXTENSION postgis")
    stack.start_redis()
    stack.start_smtp()
    if args.web_nodes > 1:
        # nginx is the peer of every request: the throttles count the client behind it (core.client_address).
        stack.env["TRUSTED_PROXIES"] = "127.0.0.1"
    stack.note("own PostgreSQL, Redis and SMTP sink up; migrating and seeding")
    quiet = {"stdout": subprocess.DEVNULL}
    stack.manage("migrate", "-v0", **quiet)
    if args.object_store:
        stack.start_object_store()
        stack.note(f"SeaweedFS up ({stack.seaweed.endpoint}), bucket with object lock and versioning")
    seed = ["seed_demo"] + (["--cases", str(args.seed_cases)] if args.seed_cases else [])
    stack.manage(*seed, "-v0", stdout=subprocess.DEVNULL, stderr=open(out / "seed.log", "w"))
    stack.manage("collectstatic", "--noinput", "-v0", **quiet)
    stack.psql("ANALYZE")
    summary_campaigns = 12 if args.fault == "worker-kill" else 0
    subprocess.run([APP_PY, str(ROOT / "bench" / "load" / "prepare.py"), str(out), "--inspectors",
                    str(args.inspectors), "--supervisors", str(max(args.supervisors, 3 if summary_campaigns else 0)),
                    "--summary-campaigns", str(summary_campaigns)], cwd=ROOT, env=stack.env, check=True)
    cases_total = stack.psql("SELECT count(*) FROM patrol_case").strip()
    stack.start_web()
    stack.start_worker(args.workers)
    stack.start_beat()
    wait_healthy(args.web_port)
    warm_up(stack)
    nodes = f"{args.web_nodes} gunicorn nodes behind nginx" if args.web_nodes > 1 else "gunicorn"
    stack.note(f"app up: {nodes}, {args.web_workers} sync workers each, {args.workers} celery worker(s) of "
               f"concurrency {args.worker_concurrency}, beat; {cases_total} cases in the database")

    stack.spawn("monitor", [APP_PY, str(ROOT / "bench" / "load" / "monitor.py"), str(out / "monitor.jsonl"),
                            str(args.pg_port), str(args.redis_port), str(args.web_port), "2"])
    locust_env = {"LOAD_FIXTURE": str(out / "fixture.json"), "LOAD_OUT": str(out),
                  "LOAD_INSPECTORS": str(args.inspectors), "LOAD_SUPERVISORS": str(args.supervisors),
                  "LOAD_CADENCE": args.cadence}
    stack.env.update(locust_env)
    users = args.inspectors + args.supervisors
    locust = stack.spawn("locust", [str(LOCUST), "-f", str(ROOT / "bench" / "load" / "locustfile.py"), "--headless",
                                    "--host", f"http://127.0.0.1:{args.web_port}", "--users", str(users),
                                    "--spawn-rate", "10", "--run-time", f"{args.duration}s", "--stop-timeout", "60",
                                    "--csv", str(out / "locust"), "--only-summary", "--loglevel", "WARNING",
                                    "--exit-code-on-error", "0"])
    started = time.monotonic()
    stack.note("locust started")
    fault_result = {}
    fault_thread = None
    if args.fault != "none":
        import faults

        action = faults.ACTIONS[args.fault]
        fault_thread = threading.Thread(target=lambda: fault_result.update(action(stack, args, started, out)),
                                        daemon=True)
        fault_thread.start()
    locust.wait(timeout=args.duration + 300)
    stack.note(f"locust finished after {time.monotonic() - started:.0f}s")
    if fault_thread:
        fault_thread.join(timeout=120)
    load_after = os.getloadavg()
    stack.note(f"load average at the end {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    stack.note("checking (waiting for follow-up work first)")
    subprocess.run([APP_PY, str(ROOT / "bench" / "load" / "check.py"), str(out), "--settle", str(args.settle),
                    "--sweep-after", "150"], cwd=ROOT, env=stack.env, check=True)
    stack.kill("monitor")
    meta = {"args": vars(args), "load_before": load_before, "load_after": load_after, "cases_total": cases_total,
            "fault": fault_result, "cpus": os.cpu_count(), "when": time.strftime("%Y-%m-%d %H:%M")}
    (out / "meta.json").write_text(json.dumps(meta, indent=1))
    report = make_report(out)
    (out / "report.md").write_text(report)
    print("\n" + report)


# --- report ----------------------------------------------------------------------------------------------

def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def outbox_text(out):
    rows = read_jsonl(out / "accepted.jsonl")
    took = sorted(r["outbox_s"] for r in rows if r["kind"] == "case" and "outbox_s" in r)
    given_up = sum(1 for r in rows if r["kind"] == "case-given-up")
    if not took:
        return "—"
    pick = lambda q: took[min(len(took) - 1, int(round(q * (len(took) - 1))))]  # noqa: E731
    return (f"p50 {pick(0.5) * 1000:.0f} ms, p95 {pick(0.95) * 1000:.0f} ms, max {took[-1]:.1f} s; "
            f"given up after the retry budget: {given_up}")


def make_report(out):
    meta = json.loads((out / "meta.json").read_text())
    check = json.loads((out / "check.json").read_text())
    args = meta["args"]
    lines = [f"### Run `{out.name}` · {meta['when']} · {meta['cpus']} CPUs · load average before "
             f"{meta['load_before'][0]:.2f}/{meta['load_before'][1]:.2f}/{meta['load_before'][2]:.2f}, "
             f"after {meta['load_after'][0]:.2f}/{meta['load_after'][1]:.2f}/{meta['load_after'][2]:.2f}",
             "",
             f"{args['inspectors']} inspectors + {args['supervisors']} supervisors for {args['duration']} s, fault "
             f"`{args['fault']}`, inspectors' cadence `{args.get('cadence', 'stress')}`; "
             f"{int(meta['cases_total']):,} cases in the database at the start; "
             + (f"{args.get('web_nodes', 1)} gunicorn nodes behind nginx, " if args.get("web_nodes", 1) > 1 else
                "gunicorn ")
             + f"{args['web_workers']} sync workers each, {args.get('workers', 1)} Celery worker(s) of concurrency "
             f"{args['worker_concurrency']}"
             + ("; files in SeaweedFS (object lock)" if args.get("object_store") else "") + ".", ""]
    rows = list(csv.DictReader(open(out / "locust_stats.csv")))
    lines += ["| endpoint | requests | failures | req/s | p50 ms | p95 ms | p99 ms | max ms | target |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for row in rows:
        label = row["Name"] if row["Type"] in ("GET", "POST", "") else f"{row['Type']} {row['Name']}"
        if row["Name"] == "Aggregated":
            label = "**all requests**"
        target = TARGET_MS.get(row["Name"])
        target_text = ""
        if target:
            target_text = f"p95 ≤ {target} ms: {'met' if float(row['95%'] or 0) <= target else '**missed**'}"
        lines.append(f"| {label} | {row['Request Count']} | {row['Failure Count']} | {float(row['Requests/s']):.2f} | "
                     f"{row['50%']} | {row['95%']} | {row['99%']} | {float(row['Max Response Time']):.0f} | "
                     f"{target_text} |")
    failures = read_jsonl(out / "failures.jsonl")
    if failures:
        by = {}
        for f in failures:
            by.setdefault((f["name"], f["status"]), []).append(f["ms"])
        lines += ["", "Failed answers (every attempt, retries included):", "",
                  "| endpoint | status | count | median ms | max ms | first seen → last seen |", "|---|---|---:|---:|---:|---|"]
        for (name, status), values in sorted(by.items(), key=lambda kv: -len(kv[1])):
            ts = [f["t"] for f in failures if f["name"] == name and f["status"] == status]
            lines.append(f"| {name} | {status or 'no answer'} | {len(values)} | {statistics.median(values):.0f} | "
                         f"{max(values):.0f} | {time.strftime('%H:%M:%S', time.localtime(min(ts)))} → "
                         f"{time.strftime('%H:%M:%S', time.localtime(max(ts)))} |")
    monitor = read_jsonl(out / "monitor.jsonl")
    db = [m["db_total"] for m in monitor if "db_total" in m]
    active = [m["db"].get("active", 0) for m in monitor if "db" in m]
    queue = [m["queue"] for m in monitor if "queue" in m]
    loads = [m["load1"] for m in monitor]
    health = [m for m in monitor if m.get("healthz") != 200]
    f, p = check["findings"], check["photos"]
    lag = p["thumbnail_lag_s"]
    fmt = lambda v: "—" if v is None else f"{v:.1f}"  # noqa: E731
    lines += ["", "| figure | value |", "|---|---|",
              f"| database connections (pg_stat_activity, client backends, every 2 s) | max {max(db, default=0)}, "
              f"median {statistics.median(db) if db else 0:.0f}; active max {max(active, default=0)} |",
              f"| Celery queue depth (LLEN celery, every 2 s) | max {max(queue, default=0)}, median "
              f"{statistics.median(queue) if queue else 0:.0f} |",
              f"| queue lag: photo upload → thumbnail file written | p50 {fmt(lag['p50'])} s, p95 {fmt(lag['p95'])} s, "
              f"p99 {fmt(lag['p99'])} s, max {fmt(lag['max'])} s (n = {lag['n']}) |",
              f"| load average (1 min) during the run | median {statistics.median(loads) if loads else 0:.2f}, max "
              f"{max(loads, default=0):.2f} |",
              f"| /healthz samples not 200 | {len(health)} of {len(monitor)}"
              + (f" ({', '.join(sorted({str(m.get('healthz')) for m in health}))}; slowest "
                 f"{max(m['healthz_ms'] for m in health):.0f} ms)" if health else "") + " |",
              f"| findings accepted by the clients (201/200) | {f['accepted_by_clients']} "
              f"({f['retried_before_accepted']} after at least one retry) |",
              "| time from first send to acceptance of a finding (the outbox, retries included) | "
              + outbox_text(out) + " |",
              f"| … in the database exactly once | {f['present_once']} (missing {len(f['missing'])}, "
              f"more than once {len(f['more_than_once'])}) |",
              f"| … findings in the database no client saw accepted | {f['extra_in_db']} |",
              f"| … cases without exactly one `report` event | {f['cases_without_exactly_one_report_event']} |",
              f"| photos accepted by the clients / in the database once / extra | {p['accepted_by_clients']} / "
              f"{p['present_once']} / {p['extra_in_db']} |",
              f"| photos without thumbnail: at the end of the load → at the end | "
              f"{check['at_end_of_load']['photos_without_thumbnail']} → {p['without_thumbnail']} |"]
    if "bucket" in p:
        b = p["bucket"]
        lines.append(f"| photos in the bucket: the load's photos there with exactly one version / missing / more "
                     f"than one version; objects under photos/ no photo names | {b['once']} / {len(b['missing'])} / "
                     f"{len(b['more_than_one_version'])}; {b['unreferenced']} |")
    if "settle" in check:
        s = check["settle"]
        lines.append(f"| wait for follow-up work after the load | {s['settle_s']} s; sweeps queued by the checker at "
                     f"{s['sweeps_queued_at_s'] or 'never (not needed)'} s; left {s['left']} |")
    sm = check["summaries"]
    if sm["deliveries"] or sm["summaries"]:
        lines.append(f"| summaries by status / summary emails by status | {sm['summaries']} / {sm['deliveries']} |")
        lines.append(f"| summary emails received exactly once / more than once / not received | "
                     f"{sm['received_exactly_once']} / {len(sm['received_more_than_once'])} / "
                     f"{len(sm['not_received'])} |")
    if meta.get("fault"):
        lines += ["", "Fault timeline:", ""] + [f"- {event}" for event in meta["fault"].get("events", [])]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--report":
        print(make_report(Path(sys.argv[2])))
    else:
        main()
