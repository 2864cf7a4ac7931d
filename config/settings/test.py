"""The test suite: PostGIS on the local server unless DATABASE_URL says otherwise.

The SpatiaLite smoke run sets DATABASE_URL=spatialite:///... itself (see Makefile).
"""
import os

os.environ.setdefault("DATABASE_URL", "postgis://postgres@127.0.0.1:5432/xuncha")

from .base import *  # noqa: E402,F401,F403
from .base import SECRET_KEY as _SECRET_KEY  # noqa: E402

SECRET_KEY = _SECRET_KEY or "test-only-not-secret"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; never in production
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
