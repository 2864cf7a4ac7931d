"""The embedded default that `make run` uses: SpatiaLite, filesystem broker, mail to var/mail/."""
from config.env import env, env_bool

from .base import *  # noqa: F401,F403
from .base import SECRET_KEY as _SECRET_KEY

DEBUG = env_bool("DEBUG", True)
# A fixed key is fine on a developer's machine and nowhere else (production.py refuses it).
SECRET_KEY = _SECRET_KEY or "local-only-not-secret-xuncha-development-key"
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
