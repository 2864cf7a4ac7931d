"""The embedded default: SpatiaLite, filesystem broker, mail to var/mail/.

`make run` serves it as a small production (gunicorn, DEBUG off, a key made once in var/secret_key: see
scripts/run-local.sh); `make dev` and manage.py on a developer's machine keep DEBUG on.
"""
from django.core.exceptions import ImproperlyConfigured

from config.env import env, env_bool

from .base import *  # noqa: F401,F403
from .base import SECRET_KEY as _SECRET_KEY

DEBUG = env_bool("DEBUG", True)
# A fixed key is fine for the debug server on a developer's machine and nowhere else (production.py refuses it).
if not _SECRET_KEY and not DEBUG:
    raise ImproperlyConfigured("with DEBUG off, set SECRET_KEY or SECRET_KEY_FILE (make run makes var/secret_key)")
SECRET_KEY = _SECRET_KEY or "local-only-not-secret-xuncha-development-key"
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
