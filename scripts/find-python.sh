#!/usr/bin/env bash
# Print the path of a Python 3.11–3.13 whose sqlite3 module can load extensions (SpatiaLite needs it).
# pyenv and some distribution builds compile sqlite3 without extension loading; Debian's /usr/bin/python3 has it.
set -u
candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
candidates+=(/usr/bin/python3.11 /usr/bin/python3 /usr/local/bin/python3.11 python3.11 python3.12 python3.13 python3)
check='import sys, sqlite3
assert (3, 11) <= sys.version_info[:2] <= (3, 13), "version"
c = sqlite3.connect(":memory:")
c.enable_load_extension(True)
import venv, ensurepip'
for candidate in "${candidates[@]}"; do
  path=$(command -v "$candidate" 2>/dev/null) || continue
  if "$path" -c "$check" >/dev/null 2>&1; then
    echo "$path"
    exit 0
  fi
done
cat >&2 <<'MSG'
No suitable Python found. Xuncha needs Python 3.11–3.13 with venv and a sqlite3 module that can load
extensions (for SpatiaLite). On Debian/Ubuntu: sudo apt-get install python3 python3-venv
(Debian's /usr/bin/python3 works; pyenv builds usually do not unless built with
PYTHON_CONFIGURE_OPTS="--enable-loadable-sqlite-extensions"). Or point PYTHON=/path/to/python3.
MSG
exit 1
