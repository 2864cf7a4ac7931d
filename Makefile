# Xuncha — the two commands: `make run` and `make test`. See README.md.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PG_URL ?= postgis://postgres@127.0.0.1:5432/xuncha
SMOKE_DB := var/smoke.sqlite3

.PHONY: run dev test setup system-packages system-packages-test venv deps dev-deps messages fonts db-local seed test-postgis test-spatialite \
        test-browser-setup lock check clean

## make run: set everything up and run web (gunicorn, DEBUG off) + worker + beat on SpatiaLite (http://127.0.0.1:8000)
run: setup
	@scripts/run-local.sh

## make dev: the same with Django's auto-reloading debug server (DEBUG on) instead of gunicorn
dev: setup
	@XUNCHA_DEV=1 scripts/run-local.sh

## make test: set everything up and run the whole suite on PostGIS, then the SpatiaLite smoke run
test: system-packages-test dev-deps messages fonts
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/lint-imports --no-cache
	@$(MAKE) --no-print-directory test-postgis
	@$(MAKE) --no-print-directory test-spatialite

setup: system-packages deps messages fonts db-local

system-packages:
	@scripts/system-packages.sh run

system-packages-test:
	@scripts/system-packages.sh test

$(VENV)/.created:
	@python=$$(scripts/find-python.sh) && echo "Creating $(VENV) with $$python" && $$python -m venv $(VENV)
	@$(PIP) install -q --upgrade pip==25.3 2> >(grep -v "WARNING: Location" >&2)
	@touch $@

$(VENV)/.deps: requirements.txt $(VENV)/.created
	@echo "Installing Python dependencies…"
	@$(PIP) install -q -r requirements.txt 2> >(grep -v "WARNING: Location" >&2)
	@touch $@

$(VENV)/.dev-deps: requirements-dev.txt requirements.txt $(VENV)/.deps
	@$(PIP) install -q -r requirements-dev.txt 2> >(grep -v "WARNING: Location" >&2)
	@touch $@

deps: $(VENV)/.deps
dev-deps: $(VENV)/.dev-deps

messages: $(VENV)/.deps
	@$(PY) manage.py compilemessages --ignore '.venv/*' -v0

## the document fonts: Noto Serif CJK SC cut down to GB 2312 (documents/fonts.py), a few seconds, once
fonts: $(VENV)/.deps
	@$(PY) manage.py build_document_fonts -v0

db-local: deps
	@mkdir -p var
	@$(PY) manage.py migrate -v0
	@test -f var/.seeded || { $(PY) manage.py seed_demo && touch var/.seeded; }
	@$(PY) manage.py collectstatic --noinput -v0

test-postgis:
	@psql "postgresql://postgres@127.0.0.1:5432/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname='xuncha'" | grep -q 1 \
	  || psql "postgresql://postgres@127.0.0.1:5432/postgres" -qc "CREATE DATABASE xuncha"
	@psql "postgresql://postgres@127.0.0.1:5432/xuncha" -qc "CREATE EXTENSION IF NOT EXISTS postgis" 2>/dev/null
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} $(VENV)/bin/pytest -n 2 --dist loadgroup -m "not real_worker" $(PYTEST_ARGS)
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} $(VENV)/bin/pytest -m real_worker $(PYTEST_ARGS)

test-spatialite:
	@mkdir -p var && rm -f $(SMOKE_DB) var/test_smoke.sqlite3*
	DATABASE_URL=spatialite:///$(CURDIR)/$(SMOKE_DB) $(VENV)/bin/pytest -n 2 --dist loadgroup -m "smoke and not real_worker" $(PYTEST_ARGS)

## make lock: re-pin requirements*.txt from requirements*.in
lock:
	@rm -rf /tmp/xuncha-lock && $$(scripts/find-python.sh) -m venv /tmp/xuncha-lock
	@/tmp/xuncha-lock/bin/pip install -q -r requirements.in && \
	  { echo "# Pinned by 'pip freeze' from requirements.in (Python 3.11). Regenerate: make lock"; \
	    /tmp/xuncha-lock/bin/pip freeze | grep -v '^pip=='; } > requirements.txt

check: deps
	DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY=$$(head -c 60 /dev/urandom | base64 | tr -d '\n/+=') \
	  DATABASE_URL=$(PG_URL) ALLOWED_HOSTS=xuncha.example.org $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf var build $(VENV)
