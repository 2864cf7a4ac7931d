"""GET /healthz: database, broker and the last worker heartbeat, as JSON (503 when the database is down)."""
import socket
from urllib.parse import urlparse

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from worker.models import WorkerHeartbeat

HEARTBEAT_STALE_AFTER_S = 120


def _database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True, "engine": connection.vendor}
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return {"ok": False, "engine": connection.vendor, "error": exc.__class__.__name__}


def _broker():
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        folder = settings.CELERY_BROKER_DIR
        return {"ok": folder.exists(), "transport": "filesystem"}
    parsed = urlparse(url)
    # A raw PING with a short timeout: the health check must never hang on the broker.
    try:
        with socket.create_connection((parsed.hostname or "localhost", parsed.port or 6379), timeout=1) as sock:
            if parsed.password:
                sock.sendall(f"AUTH {parsed.password}\r\n".encode())
                sock.recv(64)
            sock.sendall(b"PING\r\n")
            ok = sock.recv(64).startswith(b"+PONG")
        return {"ok": ok, "transport": parsed.scheme}
    except OSError as exc:
        return {"ok": False, "transport": parsed.scheme, "error": exc.__class__.__name__}


def _worker(database_ok):
    if not database_ok:
        return {"ok": False, "last_heartbeat": None}
    beat = WorkerHeartbeat.objects.filter(name="worker").first()
    if beat is None:
        return {"ok": False, "last_heartbeat": None}
    age = (timezone.now() - beat.beat_at).total_seconds()
    return {"ok": age < HEARTBEAT_STALE_AFTER_S, "last_heartbeat": beat.beat_at.isoformat(), "age_s": round(age)}


@never_cache
@require_GET
def healthz(request):
    database = _database()
    body = {"database": database, "broker": _broker(), "worker": _worker(database["ok"])}
    body["ok"] = all(part["ok"] for part in body.values())
    return JsonResponse(body, status=200 if database["ok"] else 503)
