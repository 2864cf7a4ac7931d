"""Production: everything secret or host-specific must come from the environment."""
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_required

from .base import *  # noqa: F401,F403
from .base import DATABASES, STORAGES

DEBUG = False
SECRET_KEY = env_required("SECRET_KEY")
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 random characters")
if DATABASES["default"]["ENGINE"].endswith("spatialite"):
    raise ImproperlyConfigured("production runs on PostGIS: set DATABASE_URL=postgis://...")

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "config.staticfiles.StaticFilesStorage"}}

# HTTPS everywhere; behind a proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Except the health check: the container's own check and the proxy's plain-HTTP server ask over HTTP, and a redirect to
# HTTPS is not an answer (docker-compose.yml, deploy/nginx.conf; found by scripts/compose-check.sh).
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
