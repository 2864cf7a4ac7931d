#!/usr/bin/env bash
# `make run`: the web server, a Celery worker and Celery beat on the embedded default; Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.local}"
PORT="${PORT:-8000}"
PY=.venv/bin/python
mkdir -p var/log var/mail var/broker/queue var/broker/processed

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "Stopping Xuncha…"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  # A worker finishing a task may take a moment; one that has not stopped after 10 s is killed (its task
  # was not acknowledged, so it runs again next time: tasks are acks_late).
  for _ in $(seq 20); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  for pid in "${pids[@]}"; do pkill -KILL -P "$pid" 2>/dev/null || true; kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
# Ctrl-C (or a TERM) is the normal way out: stop everything and exit 0, so make does not report an error.
trap 'stop; exit 0' INT TERM
trap stop EXIT

.venv/bin/celery -A worker worker --loglevel=INFO --concurrency=2 --hostname="worker@%h" >var/log/worker.log 2>&1 &
pids+=($!)
.venv/bin/celery -A worker beat --loglevel=INFO --schedule=var/celerybeat-schedule >var/log/beat.log 2>&1 &
pids+=($!)

cat <<MSG

  Xuncha 巡查 is starting at http://127.0.0.1:${PORT}/
  Demo users (password xuncha-demo): inspector, inspector2, supervisor, legal, leader (LWG);
  other_supervisor (DEMO2); admin (Django admin at /admin/).
  Emails are written to var/mail/; worker and beat logs are in var/log/. Ctrl-C stops everything.

MSG
$PY manage.py runserver "127.0.0.1:${PORT}" &
pids+=($!)
wait -n "${pids[@]}"
status=$?
# (With Ctrl-C the web server may stop first, with status 0: nothing to report then.)
[ "$status" = 0 ] || echo "A process of Xuncha stopped by itself (exit $status); see var/log/. Stopping the others." >&2
exit "$status"
