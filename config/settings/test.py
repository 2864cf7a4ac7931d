"""The test suite: PostGIS on the local server unless DATABASE_URL says otherwise.

The SpatiaLite smoke run sets DATABASE_URL=spatialite:///... itself (see Makefile).
"""
import os
from pathlib import Path

os.environ.setdefault("DATABASE_URL", "postgis://postgres@127.0.0.1:5432/xuncha")
# Tasks go to the real local Redis, one database per pytest-xdist worker so parallel runs do not mix.
# (Set, not defaulted: every xdist worker inherits the environment of the process that started it.)
_xdist = os.environ.get("PYTEST_XDIST_WORKER")
if _xdist:
    os.environ["REDIS_URL"] = f"redis://127.0.0.1:6379/{10 + int(_xdist[2:] or 0)}"
else:
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/10")

from .base import *  # noqa: E402,F401,F403
from .base import SECRET_KEY as _SECRET_KEY  # noqa: E402

SECRET_KEY = _SECRET_KEY or "test-only-not-secret"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; never in production
# Each test process counts throttles in its own memory (tests/conftest.py clears it per test); the Redis cache of
# the other settings is tested on its own in tests/hardening/test_cache.py.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# A Celery worker started by a test sends through the test's own SMTP server (tests/worker/conftest.py).
if os.environ.get("XUNCHA_TEST_EMAIL_SMTP"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST, _port = os.environ["XUNCHA_TEST_EMAIL_SMTP"].split(":")
    EMAIL_PORT = int(_port)

if DATABASES["default"]["ENGINE"].endswith("spatialite"):  # noqa: F405
    # The smoke run in two pytest-xdist workers: pytest-django suffixes each worker's test database name
    # (_gw0, _gw1), and Django's default name ("test_" + NAME) would put the prefix before the whole path.
    _smoke = Path(DATABASES["default"]["NAME"])  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(_smoke.with_name(f"test_{_smoke.name}"))}  # noqa: F405
