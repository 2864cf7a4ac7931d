#!/usr/bin/env bash
# The mixed load scenario: see bench/load/run.py --help and bench/README.md. Extra arguments go to run.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
.venv/bin/python bench/load/run.py "$@" &
child=$!
trap 'kill -TERM $child 2>/dev/null; wait $child' INT TERM
wait $child
