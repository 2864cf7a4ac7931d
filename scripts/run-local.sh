#!/usr/bin/env bash
# `make run`: a small production on one machine — gunicorn (DEBUG off, static files by WhiteNoise), a Celery worker
# and Celery beat on the embedded default. `make dev` (XUNCHA_DEV=1) runs Django's auto-reloading debug server instead.
#
# Ctrl-C, or TERM/INT to the whole process group (what a service manager sends), stops all three within 15 s:
# each gets TERM once, and whatever still runs after 10 s is killed with its children.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.local}"
PORT="${PORT:-8000}"
VAR="${XUNCHA_VAR_DIR:-$PWD/var}"
PY=.venv/bin/python
DEV="${XUNCHA_DEV:-}"
mkdir -p "$VAR/log" "$VAR/mail" "$VAR/broker/queue" "$VAR/broker/processed"

if [ -n "$DEV" ]; then
  export DEBUG="${DEBUG:-true}"
else
  export DEBUG="${DEBUG:-false}"
  # A key made once for this machine and kept only in var/ (readable by this user alone); the settings read
  # it through SECRET_KEY_FILE. Written to a temporary name first, so a key file is never half written.
  key_file="$VAR/secret_key"
  if [ ! -s "$key_file" ]; then
    (umask 077 && $PY -c "import secrets; print(secrets.token_urlsafe(64))" >"$key_file.new" && mv "$key_file.new" "$key_file")
  fi
  chmod 600 "$key_file"
  if [ -z "${SECRET_KEY:-}" ] && [ -z "${SECRET_KEY_FILE:-}" ]; then
    export SECRET_KEY_FILE="$key_file"
  fi
fi

pids=()
stopping=""
stop() {
  [ -n "$stopping" ] && return
  stopping=1
  trap - INT TERM EXIT
  echo; echo "Stopping Xuncha…"
  # A service manager may have sent TERM to every process of the group already; a second TERM is harmless
  # (gunicorn and beat stop either way; the worker runs one task at a time in its own process, see below).
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 20); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  # Still running after 10 s (a long task): killed. Tasks are acknowledged late, so the task runs again later
  # (with Redis it goes back to the queue; with the filesystem broker the beat sweeps re-queue recorded work).
  for pid in "${pids[@]}"; do pkill -KILL -P "$pid" 2>/dev/null || true; kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
# Ctrl-C (or a TERM) is the normal way out: stop everything and exit 0, so make does not report an error.
trap 'stop; exit 0' INT TERM
trap stop EXIT

# --pool=solo: the task runs in the worker's own process. A prefork pool's children also receive the TERM sent
# to the process group and die mid-task, and the parent then sat in "Warm shutdown" for minutes (issue #16).
# REMAP_SIGTERM=SIGQUIT: a TERM starts Celery's cold shutdown, which gives a running task
# CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT (6 s) and puts what it could not finish back in the queue, instead of a warm
# shutdown that kept taking new work until the script's 10 s were up.
REMAP_SIGTERM=SIGQUIT .venv/bin/celery -A worker worker --loglevel=INFO --pool=solo --hostname="worker@%h" >"$VAR/log/worker.log" 2>&1 &
pids+=($!)
.venv/bin/celery -A worker beat --loglevel=INFO --schedule="$VAR/celerybeat-schedule" >"$VAR/log/beat.log" 2>&1 &
pids+=($!)

cat <<MSG

  Xuncha 巡查 is starting at http://127.0.0.1:${PORT}/$([ -n "$DEV" ] && echo " (debug server, reloads on changes)")
  Demo users (password xuncha-demo): inspector, inspector2, supervisor, legal, leader (LWG);
  other_supervisor (DEMO2); admin (Django admin at /admin/).
  Emails are written to $VAR/mail/; web, worker and beat logs are in $VAR/log/. Ctrl-C stops everything.

MSG
if [ -n "$DEV" ]; then
  $PY manage.py runserver "127.0.0.1:${PORT}" &
else
  # Two processes of four threads each: enough for an office; a request waits at most 60 s; on TERM, requests in
  # flight get 8 s to finish.
  .venv/bin/gunicorn config.wsgi:application --bind "127.0.0.1:${PORT}" --workers "${WEB_WORKERS:-2}" \
    --threads 4 --timeout 60 --graceful-timeout 8 --access-logfile "$VAR/log/access.log" \
    --error-logfile "$VAR/log/web.log" &
fi
pids+=($!)
status=0
wait -n "${pids[@]}" || status=$?
# (With Ctrl-C the web server may stop first, with status 0: nothing to report then.)
[ "$status" = 0 ] || echo "A process of Xuncha stopped by itself (exit $status); see $VAR/log/. Stopping the others." >&2
exit "$status"
