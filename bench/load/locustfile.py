"""The mixed scenario (issue #8): inspectors in the field and supervisors at the map, through the real API.

Run by run.py (headless), with LOAD_FIXTURE (from prepare.py), LOAD_OUT, LOAD_INSPECTORS and LOAD_SUPERVISORS.

Inspector (phone): starts a patrol, then at random: logs a finding with two photos, sends a batch of GPS track
points, lists nearby cases. Like the phone's outbox, a finding, a photo, a track batch or a patrol start that got
no answer, a 5xx or a 429 is sent again, identical (same client_uuid / seq, same bytes), with backoff 1, 2, 4, 8 s,
for up to LOAD_RETRY_BUDGET_S (default 180 s). Every client_uuid that got 201 or 200 goes to accepted.jsonl, for
check.py. Every non-2xx answer or network error goes to failures.jsonl with its duration.

LOAD_CADENCE=field makes the inspector keep the phone app's pace instead (static/js/field/patrol.js sends the track
at least once a minute; docs/OPERATIONS.md estimates 60-250 requests an hour on a patrol day): every 50-70 s a track
batch of 10 points, and with it, one time in six, a finding with its two photos (about ten an hour) and one time in
three the nearby list, about 110 requests an hour. The stress cadence (the default) is about 650 an hour.

Supervisor (map page): pans the map with filters (cases, list beside the map, KPIs, with If-None-Match like the
browser), opens case pages (detail and record), and acts on cases of its own share (file, else comment) with
If-Match. Actions are not retried: they are not idempotent.
"""
import hashlib
import itertools
import json
import math
import os
import random
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from locust import HttpUser, between, task

FIXTURE = json.loads(Path(os.environ["LOAD_FIXTURE"]).read_text())
OUT = Path(os.environ["LOAD_OUT"])
PHOTOS = [p.read_bytes() for p in sorted(Path(os.environ["LOAD_FIXTURE"]).parent.glob("photo-*.jpg"))]
RETRY_BUDGET_S = float(os.environ.get("LOAD_RETRY_BUDGET_S", "180"))
CADENCE = os.environ.get("LOAD_CADENCE", "stress")
ACCEPTED = open(OUT / "accepted.jsonl", "a", buffering=1)
FAILURES = open(OUT / "failures.jsonl", "a", buffering=1)
CST = timezone(timedelta(hours=8))
_inspector_numbers = itertools.count()
_supervisor_numbers = itertools.count()


def now_iso():
    return datetime.now(CST).isoformat(timespec="seconds")


def log_failure(name, status, elapsed_ms, attempt, detail=""):
    FAILURES.write(json.dumps({"t": time.time(), "name": name, "status": status, "ms": round(elapsed_ms, 1),
                               "attempt": attempt, "detail": detail[:300]}, ensure_ascii=False) + "\n")


def unique_jpeg(data, key):
    """The same picture with a JPEG comment segment holding ``key``: other bytes, so another SHA-256."""
    payload = key.encode()
    return data[:2] + b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload + data[2:]


class Api(HttpUser):
    abstract = True

    def on_start(self):
        self.client.headers["Authorization"] = f"Token {self.account['token']}"
        self.client.headers["Accept-Language"] = "zh-hans"

    def call(self, method, url, name, ok=(200, 201), **kwargs):
        """One request; returns the response (status 0 for a network error)."""
        start = time.perf_counter()
        with self.client.request(method, url, name=name, catch_response=True, timeout=60, **kwargs) as response:
            if response.status_code in ok:
                response.success()
            else:
                elapsed = (time.perf_counter() - start) * 1000
                detail = "" if response.status_code >= 500 or not response.text else response.text
                log_failure(name, response.status_code, elapsed, 1, detail or str(response.error or ""))
                response.failure(f"HTTP {response.status_code}")
        return response

    def send_until_accepted(self, method, url, name, **kwargs):
        """The phone's outbox: resend the same request after no answer, 5xx or 429 until 200/201 or the budget."""
        start, delay, attempt = time.monotonic(), 1.0, 0
        while True:
            attempt += 1
            t0 = time.perf_counter()
            with self.client.request(method, url, name=name, catch_response=True, timeout=60, **kwargs) as response:
                status = response.status_code
                if status in (200, 201):
                    response.success()
                else:
                    elapsed = (time.perf_counter() - t0) * 1000
                    detail = "" if status >= 500 or not response.text else response.text
                    log_failure(name, status, elapsed, attempt, detail or str(response.error or ""))
                    response.failure(f"HTTP {status}")
            if status in (200, 201):
                return response, attempt, time.monotonic() - start
            if not (status == 0 or status >= 500 or status == 429) or time.monotonic() - start > RETRY_BUDGET_S:
                return response, attempt, time.monotonic() - start
            time.sleep(min(delay, 8.0) * random.uniform(0.8, 1.2))
            delay *= 2


class Inspector(Api):
    abstract = CADENCE == "field"  # FieldPaceInspector below runs instead
    fixed_count = int(os.environ.get("LOAD_INSPECTORS", "50"))
    wait_time = between(4, 12)

    def on_start(self):
        number = next(_inspector_numbers) % len(FIXTURE["inspectors"])
        self.account = FIXTURE["inspectors"][number]
        super().on_start()
        self.points = FIXTURE["village_points"][self.account["village"]]
        self.position = random.choice(self.points)
        self.seq = 0
        self.patrol_id = None
        body = {"client_uuid": str(uuid.uuid4()), "kind": "daily", "note": ""}
        response, _, _ = self.send_until_accepted("POST", "/api/v1/patrols/", "/api/v1/patrols/ [start]", json=body)
        if response.status_code in (200, 201):
            self.patrol_id = response.json()["id"]
        elif response.status_code == 409:
            self.patrol_id = (response.json()["error"]["fields"].get("open_patrol") or [None])[0]

    def record(self, kind, key, status, **extra):
        ACCEPTED.write(json.dumps({"kind": kind, "uuid": key, "status": status, "user": self.account["id"],
                                   "t": time.time(), **extra}) + "\n")

    @task(2)
    def finding(self):
        self.position = random.choice(self.points)
        lng, lat = self.position
        key = str(uuid.uuid4())
        body = {"client_uuid": key, "location": {"type": "Point", "coordinates": [lng, lat]},
                "accuracy_m": round(random.uniform(3, 25), 1), "location_source": "device_gps",
                "category": random.choice(FIXTURE["categories"]), "stage": random.choice(["under_construction",
                                                                                          "completed"]),
                "estimated_area_m2": str(random.randint(10, 300)), "floors": random.randint(1, 3),
                "structure": "colour_steel", "address": "压力测试地址", "description": "院外加盖彩钢房（压力测试）",
                "party_name": "张三", "party_phone": "13800000000"}
        if self.patrol_id:
            body["patrol"] = self.patrol_id
        response, attempts, took = self.send_until_accepted("POST", "/api/v1/cases/", "/api/v1/cases/ [finding]",
                                                            json=body)
        if response.status_code not in (200, 201):
            self.record("case-given-up", key, response.status_code, attempts=attempts, outbox_s=took)
            return
        case_id = response.json()["id"]
        self.record("case", key, response.status_code, id=case_id, attempts=attempts, outbox_s=took)
        for n in range(2):
            photo_key = str(uuid.uuid4())
            data = unique_jpeg(random.choice(PHOTOS), photo_key)
            fields = {"client_uuid": photo_key, "sha256": hashlib.sha256(data).hexdigest(), "taken_at": now_iso(),
                      "location": json.dumps({"type": "Point", "coordinates": [lng, lat]}), "accuracy_m": "8",
                      "stage": "before"}
            response, attempts, _ = self.send_until_accepted(
                "POST", f"/api/v1/cases/{case_id}/photos/", "/api/v1/cases/{id}/photos/", data=fields,
                files={"file": (f"IMG_{n}.jpg", data, "image/jpeg")})
            if response.status_code in (200, 201):
                self.record("photo", photo_key, response.status_code, case=case_id, attempts=attempts)

    @task(4)
    def track(self):
        if not self.patrol_id:
            return
        lng, lat = self.position
        points, t = [], datetime.now(CST) - timedelta(seconds=50)
        for k in range(10):
            angle = random.uniform(0, 2 * math.pi)
            lng, lat = lng + 0.00005 * math.cos(angle), lat + 0.00004 * math.sin(angle)
            points.append({"lng": round(lng, 6), "lat": round(lat, 6), "accuracy_m": round(random.uniform(3, 15), 1),
                           "t": (t + timedelta(seconds=5 * k)).isoformat(timespec="seconds")})
        self.position = [lng, lat]
        seq, self.seq = self.seq, self.seq + 1
        self.send_until_accepted("POST", f"/api/v1/patrols/{self.patrol_id}/track/", "/api/v1/patrols/{id}/track/",
                                 json={"seq": seq, "points": points})

    @task(3)
    def nearby(self):
        lng, lat = self.position
        self.call("GET", f"/api/v1/cases/nearby/?lng={lng}&lat={lat}&radius=500", "/api/v1/cases/nearby/")


class FieldPaceInspector(Inspector):
    """The inspector at the phone app's pace (LOAD_CADENCE=field): one tick a minute."""
    abstract = CADENCE != "field"
    fixed_count = int(os.environ.get("LOAD_INSPECTORS", "50"))
    wait_time = between(50, 70)

    def on_start(self):
        super().on_start()
        # Phones are not all switched on in the same second: each one's minute starts at its own moment.
        time.sleep(random.uniform(0, 60))

    def minute(self):
        self.track()
        roll = random.random()
        if roll < 1 / 6:
            self.finding()
        elif roll < 1 / 6 + 1 / 3:
            self.nearby()


# Its only task; set here because a subclass's @task would come on top of the inherited ones.
FieldPaceInspector.tasks = [FieldPaceInspector.minute]


class Supervisor(Api):
    fixed_count = int(os.environ.get("LOAD_SUPERVISORS", "10"))
    wait_time = between(2, 6)

    def on_start(self):
        self.number = next(_supervisor_numbers) % len(FIXTURE["supervisors"])
        self.account = FIXTURE["supervisors"][self.number]
        super().on_start()
        self.case_ids = FIXTURE["case_ids"].get(str(self.number)) or []
        self.etags = {}

    def filters(self):
        roll, params = random.random(), {}
        if roll < 0.3:
            params["status"] = random.sample(FIXTURE["statuses"], random.randint(1, 2))
        elif roll < 0.45:
            params["overdue"] = "true"
        elif roll < 0.6:
            params["category"] = random.choice(FIXTURE["categories"])
        elif roll < 0.7:
            params["village"] = random.choice(FIXTURE["village_ids"])
        elif roll < 0.75:
            params["campaign"] = random.choice(FIXTURE["campaigns"])
        return params

    def conditional_get(self, path, params, name):
        request_key = (path, json.dumps(params, sort_keys=True))  # the browser's cache is keyed by the URL
        headers = {"If-None-Match": self.etags[request_key]} if request_key in self.etags else {}
        response = self.call("GET", path, name, ok=(200, 304), params=params, headers=headers)
        if response.status_code == 200 and response.headers.get("ETag"):
            self.etags[request_key] = response.headers["ETag"]
        return response

    @task(5)
    def map_pan(self):
        west, south, east, north = FIXTURE["extent"]
        zoom = random.choice([12, 13, 14, 14, 15, 15, 16, 17])
        width = 360 / 2 ** zoom * (1200 / 256)
        height = width * 0.6
        lng = random.uniform(west, max(west, east - width)) if zoom > 12 else west
        lat = random.uniform(south, max(south, north - height)) if zoom > 12 else south
        bbox = [lng, lat, lng + width, lat + height] if zoom > 12 else [west, south, east, north]
        params = {"bbox": ",".join(f"{v:.6f}" for v in bbox), "zoom": zoom, **self.filters()}
        self.conditional_get("/api/v1/map/cases/", params, "/api/v1/map/cases/")
        self.conditional_get("/api/v1/map/list/", {k: v for k, v in params.items() if k != "zoom"},
                             "/api/v1/map/list/")
        self.conditional_get("/api/v1/map/kpis/", {k: v for k, v in params.items() if k not in ("zoom", "bbox")},
                             "/api/v1/map/kpis/")

    @task(3)
    def case_page(self):
        if not self.case_ids:
            return
        case_id = random.choice(self.case_ids)
        self.call("GET", f"/api/v1/cases/{case_id}/", "/api/v1/cases/{id}/")
        self.call("GET", f"/api/v1/cases/{case_id}/events/", "/api/v1/cases/{id}/events/")

    @task(2)
    def case_action(self):
        if not self.case_ids:
            return
        case_id = random.choice(self.case_ids)
        response = self.call("GET", f"/api/v1/cases/{case_id}/", "/api/v1/cases/{id}/")
        if response.status_code != 200:
            return
        actions = {a["action"] for a in response.json().get("available_actions", []) if a["available"]}
        if "file" in actions:
            # 立案 names the article it rests on (the statutory procedure, #13).
            action, body = "file", {"note": "符合立案条件（压力测试）", "legal_basis": "planning_art65"}
        elif "comment" in actions:
            action, body = "comment", {"note": "已查看（压力测试）"}
        else:
            return
        self.call("POST", f"/api/v1/cases/{case_id}/actions/{action}/", "/api/v1/cases/{id}/actions/{action}/",
                  json=body, headers={"If-Match": response.headers.get("ETag", "")})
