#!/usr/bin/env bash
# The mixed load (50 inspectors + 10 supervisors) on its own PostgreSQL, Redis and Celery worker while the fault
# "redis-stop" acts (bench/faults/faults.py says what it does); then the checks and the report. Extra arguments go to
# bench/load/run.py, e.g. --duration 300. Everything started is stopped on exit (run.py's finally/signal handlers;
# the trap below also ends run.py itself if this script is interrupted).
set -euo pipefail
cd "$(dirname "$0")/../.."
.venv/bin/python bench/load/run.py --fault redis-stop --duration 180 --seed-cases 0 --fault-at 60 "$@" &
child=$!
trap 'kill -TERM $child 2>/dev/null; wait $child' INT TERM
wait $child
