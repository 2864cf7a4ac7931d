"""After a run: is every finding the clients think was accepted in the database exactly once, and nothing else?
Does every photo have its thumbnail, and did every summary email go out exactly once?

    python bench/load/check.py OUT_DIR [--settle SECONDS] [--sweep-after SECONDS]

Reads OUT_DIR/accepted.jsonl (written by the load clients) and OUT_DIR/mail.jsonl (the SMTP sink), queries the
run's database (the environment of run.py) and writes OUT_DIR/check.json. With --settle it first waits up to that
long for the follow-up work (thumbnails, pending emails, requested summaries) to finish; from --sweep-after seconds
on it also queues the periodic sweeps itself every 30 s (make_missing_thumbnails, send_pending_emails,
send_due_summaries), as beat would every 1-5 minutes.
"""
import argparse
import collections
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

import django  # noqa: E402

django.setup()

from django.core.files.storage import default_storage  # noqa: E402
from django.db.models import Count, Q  # noqa: E402

from patrol.models import Case, CaseEvent, Photo  # noqa: E402
from notifications.models import Delivery  # noqa: E402
from summaries.models import Summary  # noqa: E402

LOAD_USERS = Q(uploaded_by__username__startswith="load_")
NO_THUMBNAIL = Q(thumbnail="") | Q(thumbnail__isnull=True)


def pending():
    return {
        "photos_without_thumbnail": Photo.objects.filter(LOAD_USERS).filter(NO_THUMBNAIL).count(),
        "summaries_requested": Summary.objects.filter(status=Summary.Status.REQUESTED).count(),
        "emails_pending": Delivery.objects.filter(status=Delivery.Status.PENDING).count(),
    }


def settle(limit, sweep_after):
    from worker.celery import app

    start, sweeps = time.monotonic(), []
    state = pending()
    print(f"  settle: at the end of the load {state}", flush=True)
    last_sweep = None
    while any(state.values()) and time.monotonic() - start < limit:
        elapsed = time.monotonic() - start
        if elapsed >= sweep_after and (last_sweep is None or time.monotonic() - last_sweep >= 30):
            for name in ("worker.tasks.make_missing_thumbnails", "worker.tasks.send_pending_emails",
                         "worker.tasks.send_due_summaries"):
                try:
                    app.send_task(name)
                except Exception as exc:  # noqa: BLE001
                    print(f"  settle: could not queue {name}: {exc}")
            last_sweep = time.monotonic()
            sweeps.append(round(elapsed))
            print(f"  settle: +{elapsed:.0f}s sweeps queued; still {state}", flush=True)
        time.sleep(3)
        state = pending()
    return {"settle_s": round(time.monotonic() - start, 1), "sweeps_queued_at_s": sweeps, "left": state}


def percentile(values, q):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--settle", type=float, default=0)
    parser.add_argument("--sweep-after", type=float, default=150)
    args = parser.parse_args()
    out = Path(args.out)
    result = {"at_end_of_load": pending()}
    if args.settle:
        result["settle"] = settle(args.settle, args.sweep_after)

    accepted = collections.defaultdict(dict)
    for line in (out / "accepted.jsonl").read_text().splitlines() if (out / "accepted.jsonl").exists() else []:
        row = json.loads(line)
        accepted[row["kind"]][row["uuid"]] = row
    case_keys, photo_keys = set(accepted["case"]), set(accepted["photo"])

    # Findings: each accepted client_uuid exactly once, with exactly one "report" event; none that no client saw.
    counts = dict(Case.objects.filter(client_uuid__in=case_keys).values_list("client_uuid").annotate(n=Count("pk"))
                  .values_list("client_uuid", "n"))
    counts = {str(k): n for k, n in counts.items()}
    load_cases = Case.objects.filter(reported_by__username__startswith="load_")
    report_events = dict(CaseEvent.objects.filter(case__in=load_cases, action="report").values_list("case_id")
                         .annotate(n=Count("pk")).values_list("case_id", "n"))
    result["findings"] = {
        "accepted_by_clients": len(case_keys),
        "retried_before_accepted": sum(1 for r in accepted["case"].values() if r.get("attempts", 1) > 1),
        "present_once": sum(1 for k in case_keys if counts.get(k) == 1),
        "missing": sorted(k for k in case_keys if k not in counts),
        "more_than_once": sorted(k for k, n in counts.items() if n > 1),
        "extra_in_db": load_cases.exclude(client_uuid__in=case_keys).count(),
        "in_db_total": load_cases.count(),
        "cases_without_exactly_one_report_event": sum(1 for pk in load_cases.values_list("pk", flat=True)
                                                      if report_events.get(pk) != 1),
    }

    photos = Photo.objects.filter(LOAD_USERS)
    photo_counts = {str(k): n for k, n in Photo.objects.filter(client_uuid__in=photo_keys)
                    .values_list("client_uuid").annotate(n=Count("pk")).values_list("client_uuid", "n")}
    lags = []
    for uploaded_at, thumbnail in photos.exclude(NO_THUMBNAIL).values_list("uploaded_at", "thumbnail"):
        # The file's time on the disk, or the object's LastModified in the bucket.
        if default_storage.exists(thumbnail):
            lags.append(default_storage.get_modified_time(thumbnail).timestamp() - uploaded_at.timestamp())
    result["photos"] = {
        "accepted_by_clients": len(photo_keys),
        "present_once": sum(1 for k in photo_keys if photo_counts.get(k) == 1),
        "missing": sorted(k for k in photo_keys if k not in photo_counts),
        "extra_in_db": photos.exclude(client_uuid__in=photo_keys).count(),
        "in_db_total": photos.count(),
        "without_thumbnail": photos.filter(NO_THUMBNAIL).count(),
        "thumbnail_lag_s": {"n": len(lags), "p50": percentile(lags, 50), "p95": percentile(lags, 95),
                            "p99": percentile(lags, 99), "max": max(lags) if lags else None,
                            "mean": statistics.fmean(lags) if lags else None},
    }

    if os.environ.get("S3_ENDPOINT_URL"):
        result["photos"]["bucket"] = bucket_check(photos)

    # Summary emails: every recorded delivery of a summary sent, and received by the sink exactly once.
    received = collections.Counter()
    other_mail = 0
    for line in (out / "mail.jsonl").read_text().splitlines() if (out / "mail.jsonl").exists() else []:
        row = json.loads(line)
        if row["summary"] is None:
            other_mail += 1
            continue
        for rcpt in row["rcpt"]:
            received[(rcpt, row["summary"])] += 1
    expected = list(Summary.deliveries.through.objects.values_list("summary_id", "delivery__recipient",
                                                                    "delivery__status"))
    expected_keys = {(rcpt, sid) for sid, rcpt, _ in expected}
    result["summaries"] = {
        "summaries": dict(Summary.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n")),
        "deliveries": dict(collections.Counter(status for _, _, status in expected)),
        "received_exactly_once": sum(1 for key in expected_keys if received[key] == 1),
        "received_more_than_once": sorted(f"{r} summary {s}: {received[(r, s)]}" for r, s in expected_keys
                                          if received[(r, s)] > 1),
        "not_received": sorted(f"{r} summary {s}" for r, s in expected_keys if received[(r, s)] == 0),
        "received_without_delivery_row": sum(n for key, n in received.items() if key not in expected_keys),
        "other_emails_received": other_mail,
    }
    (out / "check.json").write_text(json.dumps(result, indent=1, default=str))
    print(json.dumps(result, indent=1, default=str)[:3000])


def bucket_check(load_photos):
    """Every photo of the load in the bucket once (one version: never written twice), and no object under photos/
    that no photo names (a file stored by a request whose row was then rolled back)."""
    client = default_storage.connection.meta.client
    bucket = default_storage.bucket_name
    versions = collections.Counter()
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix="photos/"):
        for version in page.get("Versions", []):
            versions[version["Key"]] += 1
    names = set(load_photos.values_list("file", flat=True))
    every_photo = set(Photo.objects.values_list("file", flat=True))
    return {"once": sum(1 for n in names if versions[n] == 1),
            "missing": sorted(n for n in names if versions[n] == 0),
            "more_than_one_version": sorted(n for n in names if versions[n] > 1),
            "unreferenced": sum(1 for key in versions if key not in every_photo),
            "objects": len(versions)}


if __name__ == "__main__":
    main()
