"""Cost against table size (issue #20), printed, not asserted: each path's server time as a ratio to
``GET /api/v1/me/`` in the same run, medians of interleaved runs, through Django's test Client (session, middleware,
gzip) as the demo supervisor (inspector for the field page and finding create).

Reads an existing database seeded with ``seed_demo --cases N`` (run it at 10k, 100k, 1M and compare the tables):

  export DATABASE_URL=postgis://postgres@127.0.0.1:5432/xbench DJANGO_SETTINGS_MODULE=config.settings.production …
  .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_demo --cases 100000
  .venv/bin/python bench/scale.py

Finding create writes (one case per run, in the demo's LWG, marked 'bench'); so does the summary task (a monthly
summary of LWG for the last calendar month, made again on each run, sent to the demo supervisor and leader with an
email address made up for them): its time is ``worker.tasks.send_summary``'s work (produce_summary) plus building
each email as the send task does, and its size the largest email's bytes. The rest only reads.
"""
import os
import random
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "0")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from notifications.transports import message  # noqa: E402
from patrol import rollup  # noqa: E402
from patrol.models import Case, User  # noqa: E402
from summaries.models import JurisdictionSummarySchedule, Summary  # noqa: E402
from summaries.services import produce_summary  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", 15))


def main():
    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    supervisor = User.objects.get(username="supervisor")
    inspector = User.objects.get(username="inspector")
    jurisdiction = supervisor.jurisdiction
    total = Case.objects.filter(jurisdiction=jurisdiction).count()
    rollup.fold_past_deadlines(timezone.localdate())
    west, south, east, north = jurisdiction.boundary.extent
    margin = 0.01
    bbox = f"{west - margin},{south - margin},{east + margin},{north + margin}"
    desk, field = Client(), Client()
    desk.force_login(supervisor)
    field.force_login(inspector)
    gz = {"HTTP_ACCEPT_ENCODING": "gzip"}
    rng = random.Random(1)
    village = jurisdiction.villages.order_by("name").first()
    vx0, vy0, vx1, vy1 = village.boundary.extent
    prepared = village.boundary.prepared
    from django.contrib.gis.geos import Point

    def finding():
        while True:
            x, y = rng.uniform(vx0, vx1), rng.uniform(vy0, vy1)
            if prepared.contains(Point(x, y, srid=4326)):
                break
        body = {"client_uuid": str(uuid.uuid4()), "location": {"type": "Point", "coordinates": [x, y]},
                "accuracy_m": 5, "category": "extension", "stage": "completed", "address": "bench"}
        return field.post("/api/v1/cases/", body, content_type="application/json")

    paths = {
        "GET /api/v1/me/ (baseline)": lambda: desk.get("/api/v1/me/"),
        "overview: map cases, whole jurisdiction, zoom 12": lambda: desk.get(
            f"/api/v1/map/cases/?bbox={bbox}&zoom=12", **gz),
        "map list, whole jurisdiction, by deadline": lambda: desk.get(f"/api/v1/map/list/?bbox={bbox}", **gz),
        "KPI strip (this month)": lambda: desk.get("/api/v1/map/kpis/"),
        "ledger first page": lambda: desk.get("/ledger/"),
        "field page (inspector)": lambda: field.get("/field/"),
        "finding create (POST /api/v1/cases/)": finding,
    }
    samples = {name: [] for name in paths}
    sizes = {}
    for name, run in paths.items():  # warm up, check
        response = run()
        assert response.status_code in (200, 201), (name, response.status_code, response.content[:300])
        sizes[name] = len(response.content)
    for _ in range(ROUNDS):
        for name, run in paths.items():
            start = time.perf_counter()
            run()
            samples[name].append(time.perf_counter() - start)
    base = statistics.median(samples["GET /api/v1/me/ (baseline)"])
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Xuncha scale benchmark · {timezone.now():%Y-%m-%d %H:%M} UTC · {os.cpu_count()} CPUs (load {load}) · "
          f"{connection.cursor().connection.info.server_version} · {settings.SETTINGS_MODULE}")
    print(f"jurisdiction {jurisdiction.code}: {total:,} cases; medians of {ROUNDS} interleaved rounds")
    print(f"{'path':55} {'median':>10} {'ratio':>7} {'bytes':>10}")
    for name in paths:
        median = statistics.median(samples[name])
        print(f"{name:55} {median * 1000:8.1f} ms {median / base:7.1f} {sizes[name]:>10,}")
    summary_seconds, email_bytes, ledger_rows = summary_task(jurisdiction)
    print(f"{'summary task, monthly, whole jurisdiction':55} {summary_seconds * 1000:8.0f} ms {'':>7} "
          f"{email_bytes:>10,}  (ledger rows {ledger_rows:,})")


def summary_task(jurisdiction):
    """One monthly summary of the jurisdiction for the last calendar month: seconds, largest email bytes, ledger rows."""
    today = timezone.localdate()
    end = today.replace(day=1) - timedelta(days=1)
    start = end.replace(day=1)
    schedule, _ = JurisdictionSummarySchedule.objects.get_or_create(jurisdiction=jurisdiction)
    for user in User.objects.filter(jurisdiction=jurisdiction, username__in=["supervisor", "leader"]):
        if not user.email:
            user.email = f"{user.username}@bench.invalid"
            user.save(update_fields=["email"])
        schedule.recipients.add(user)
    old = Summary.objects.filter(jurisdiction=jurisdiction, campaign=None, kind=Summary.Kind.MONTHLY,
                                 period_start=start, period_end=end)
    for summary in old:
        summary.deliveries.all().delete()
    old.delete()
    summary = Summary.objects.create(jurisdiction=jurisdiction, kind=Summary.Kind.MONTHLY, period_start=start,
                                     period_end=end)
    started = time.perf_counter()
    delivery_ids = produce_summary(summary.pk)
    sizes = [len(message(delivery).message().as_bytes())
             for delivery in Summary.objects.get(pk=summary.pk).deliveries.filter(pk__in=delivery_ids)]
    seconds = time.perf_counter() - started
    summary.refresh_from_db()
    return seconds, max(sizes, default=0), summary.files.get("ledger_rows", 0)


if __name__ == "__main__":
    main()
