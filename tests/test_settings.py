"""Production settings: secure by default and strict about what must come from the environment."""
import os
import re
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = pytest.mark.smoke


def run_manage(*args, timeout=120, **env):
    # A production environment, not the test run's (the browser tests allow async-unsafe ORM calls).
    dropped = ("SECRET_KEY", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    full_env = {k: v for k, v in os.environ.items() if k not in dropped}
    full_env.update(DJANGO_SETTINGS_MODULE="config.settings.production", **env)
    return subprocess.run([sys.executable, "manage.py", *args], env=full_env, capture_output=True, text=True,
                          timeout=timeout, cwd=settings.BASE_DIR)


def test_production_settings_pass_check_deploy_with_no_warnings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=secrets.token_urlsafe(60),
                        DATABASE_URL="postgis://postgres@127.0.0.1:5432/xuncha", ALLOWED_HOSTS="xuncha.example.org")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_collects_the_static_files_with_hashed_names(tmp_path):
    """The Docker image runs collectstatic with WhiteNoise's manifest storage, which fails on any file a CSS or
    JS file points at that is missing (a vendored script's source map once broke it)."""
    import json

    result = run_manage("collectstatic", "--noinput", "-v0", SECRET_KEY=secrets.token_urlsafe(60),
                        DATABASE_URL="postgis://postgres@127.0.0.1:5432/xuncha", ALLOWED_HOSTS="xuncha.example.org",
                        STATIC_ROOT=str(tmp_path), timeout=400)  # 44 s of CPU: minutes on a loaded machine
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    # Readable by all: the image collects them as root and serves them as the user xuncha (not 0o640 as evidence).
    unreadable = [str(p) for p in tmp_path.rglob("*") if not p.stat().st_mode & 0o004]
    assert unreadable == [], unreadable[:5]
    for name in ("js/field.js", "js/map.js", "vendor/leaflet.markercluster/leaflet.markercluster.js",
                 "leaflet/leaflet.js"):
        assert (tmp_path / manifest[name]).exists() and (tmp_path / (manifest[name] + ".gz")).exists(), name
    # The ES modules import each other by their hashed names: what the service worker keeps is what they load.
    imports = re.findall(r'from "([^"]+)";', (tmp_path / manifest["js/field.js"]).read_text())
    assert "./field/" + manifest["js/field/outbox.js"].rsplit("/", 1)[1] in imports
    assert "./config." + manifest["js/config.js"].split("config.", 1)[1] in imports
    assert all(re.search(r"\.[0-9a-f]{12}\.js$", target) for target in imports), imports
    # The records module, loaded on first use, by its hashed name too (an import back from a module it imports
    # would be a cycle whose hashes never settle: collectstatic failed with "Max post-process passes exceeded").
    field = (tmp_path / manifest["js/field.js"]).read_text()
    assert 'import("./field/' + manifest["js/field/records.js"].rsplit("/", 1)[1] + '")' in field


def test_production_answers_the_health_check_over_http_and_redirects_the_rest():
    """The compose file's health check and the proxy's port-80 server ask /healthz over plain HTTP: a redirect to
    HTTPS would be no answer (seen when docker-compose.yml first ran, #16). The database is down here: 503."""
    script = ("from django.test import Client; c = Client(); h = c.get('/healthz'); r = c.get('/login/'); "
              "print(h.status_code, r.status_code, r.get('Location'))")
    result = run_manage("shell", "-c", script, SECRET_KEY=secrets.token_urlsafe(60), ALLOWED_HOSTS="testserver",
                        DATABASE_URL="postgis://postgres@127.0.0.1:1/none")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines()[-1].split() == ["503", "301", "https://testserver/login/"]


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DATABASE_URL="postgis://postgres@127.0.0.1:5432/xuncha")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_reads_the_secret_key_from_a_file(tmp_path):
    key_file = tmp_path / "secret"
    key_file.write_text(secrets.token_urlsafe(60))
    result = run_manage("check", SECRET_KEY_FILE=str(key_file), DATABASE_URL="postgis://postgres@127.0.0.1/xuncha")
    assert result.returncode == 0, result.stderr


def test_production_refuses_the_embedded_database():
    result = run_manage("check", SECRET_KEY=secrets.token_urlsafe(60), DATABASE_URL="spatialite:////tmp/x.sqlite3")
    assert result.returncode != 0
    assert "production runs on PostGIS" in result.stderr
