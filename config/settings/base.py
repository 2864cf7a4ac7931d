"""Settings shared by every environment. ``local``, ``test`` and ``production`` only override.

Everything that differs between machines comes from the environment (see the table in README.md).
"""
from pathlib import Path

import dj_database_url
from kombu import Queue

from config.env import env, env_bool, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env("XUNCHA_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env("SECRET_KEY", "")  # production.py insists on a real one
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "leaflet",
    "axes",
    "csp",
    "gis.apps.GeoConfig",
    "notifications",
    "patrol",
    "documents",
    "videos",
    "exports",
    "disclosure",
    "summaries",
    "tuban",
    "api",
    "worker",
    "demo",
]

MIDDLEWARE = [
    # First: everything after it (throttles, django-axes, logs) sees the client's address, not the proxy's.
    "core.client_address.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # API answers hold personal data: kept by no cache unless the endpoint says otherwise (see the module).
    "api.middleware.ApiNoStoreMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it watches the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# The embedded default is SpatiaLite in var/; production and the test suite use PostGIS
# (DATABASE_URL=postgis://user:pass@host:5432/name).
DATABASE_URL = env("DATABASE_URL", f"spatialite:///{VAR_DIR / 'xuncha.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"].endswith("spatialite"):
    # Several processes (web, worker, beat) share one file: wait for a lock rather than fail. The wait only
    # works when a transaction takes the write lock at BEGIN (IMMEDIATE): a deferred one that read first and
    # then writes gets "database is locked" at once, without waiting. WAL lets pages read while a task writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20, transaction_mode="IMMEDIATE", init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # Fail fast when the database is unreachable instead of hanging a request.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    # No JIT compilation: it pays off for long analytical scans, and here it only added its compile time (1.3 s of a
    # monthly summary's 8 s at a million cases, issue #20) to queries that read indexes. (PgBouncer passes this
    # startup option only when "options" is in its ignore_startup_parameters; docs/OPERATIONS.md.)
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
SPATIALITE_LIBRARY_PATH = env("SPATIALITE_LIBRARY_PATH", "mod_spatialite")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "patrol.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(VAR_DIR / "static")))
# The cut-down CJK fonts documents are rendered with (documents.fonts; `manage.py build_document_fonts`). Part of
# the installation, not of its data: built with the code (and into the Docker image), not kept in VAR_DIR.
DOCUMENT_FONT_DIR = Path(env("DOCUMENT_FONT_DIR", str(BASE_DIR / "build" / "fonts")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
# Media is never served from a public URL: photos go through a view that checks jurisdiction.
MEDIA_URL = "/media-not-public/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# With S3_ENDPOINT_URL, uploaded and generated files go to S3-compatible object storage instead (config/storage.py:
# evidence locked in COMPLIANCE mode; the bucket needs versioning and object lock: manage.py setup_object_storage).
# Keys may come from files (S3_ACCESS_KEY_ID_FILE, S3_SECRET_ACCESS_KEY_FILE).
S3_ENDPOINT_URL = env("S3_ENDPOINT_URL", "")
if S3_ENDPOINT_URL:
    STORAGES["default"] = {"BACKEND": "config.storage.EvidenceStorage", "OPTIONS": {
        "endpoint_url": S3_ENDPOINT_URL,
        "bucket_name": env("S3_BUCKET", "xuncha-evidence"),
        "access_key": env("S3_ACCESS_KEY_ID", ""),
        "secret_key": env("S3_SECRET_ACCESS_KEY", ""),
        "region_name": env("S3_REGION", "us-east-1"),
        "addressing_style": env("S3_ADDRESSING_STYLE", "path"),
        "signature_version": "s3v4",
        # Never replace an object: a second file of the same name gets a new name, as on disk.
        "file_overwrite": False,
        "default_acl": None,
        # Files are served through the app's views (jurisdiction checked), never by a public or signed URL.
        "querystring_auth": False,
    }}

# Uploads: a photo is at most 15 MB and a request carries at most 20 files.
PHOTO_MAX_BYTES = env_int("PHOTO_MAX_BYTES", 15 * 1024 * 1024)
# Body-camera videos (videos.uploads) arrive in chunks of at most 8 MB, each stored as it comes, up to 4 GB a file.
VIDEO_MAX_BYTES = env_int("VIDEO_MAX_BYTES", 4 * 1024**3)
VIDEO_CHUNK_MAX_BYTES = env_int("VIDEO_CHUNK_MAX_BYTES", 8 * 1024 * 1024)
# An upload that received nothing for this many hours is abandoned: beat deletes it and its parts (the phone's
# outbox starts the transfer again).
VIDEO_UPLOAD_ABANDONED_HOURS = env_int("VIDEO_UPLOAD_ABANDONED_HOURS", 48)
# A 图斑 file uploaded for a dry run and neither confirmed nor cancelled is deleted by beat after this many hours
# (tuban.uploads); confirming it later asks for the upload again.
TUBAN_UPLOAD_KEEP_HOURS = env_int("TUBAN_UPLOAD_KEEP_HOURS", 6)
# Built dossier files (案卷 PDFs, documents.DossierJob) are deleted this many days after they were finished; asking
# again builds a new one.
DOSSIER_KEEP_DAYS = env_int("DOSSIER_KEEP_DAYS", 7)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # non-file request bodies
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # larger files spool to disk
DATA_UPLOAD_MAX_NUMBER_FILES = 20
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
FILE_UPLOAD_PERMISSIONS = 0o640

# --- Celery ---------------------------------------------------------------------------------
# REDIS_URL switches the broker to Redis; without it the embedded default uses Kombu's
# filesystem transport, so `make run` needs no server.
REDIS_URL = env("REDIS_URL", "")
CELERY_BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
        # Kombu polls the folder once a second by default, which with prefetch 1 drains only about one task per
        # second per process: the demo's photo thumbnails then held up a summary for minutes.
        "polling_interval": 0.1,
    }
CELERY_TIMEZONE = TIME_ZONE
# Two queues, read in name order: "celery" (fresh work) before "sweep" (what the periodic sweeps re-queue,
# worker/tasks.py). Every worker reads both: no -Q is needed on its command line.
CELERY_TASK_DEFAULT_QUEUE = "celery"
# Each with its own routing key: two queues bound to one key would each get a copy of every task.
CELERY_TASK_QUEUES = (Queue("celery", routing_key="celery"), Queue("sweep", routing_key="sweep"))
CELERY_BROKER_TRANSPORT_OPTIONS["queue_order_strategy"] = "sorted"
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged after it ran, and handed to another worker if its worker dies.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A cold shutdown (SIGQUIT, or a TERM where REMAP_SIGTERM=SIGQUIT, as `make run` sets) gives running tasks this many
# seconds, then cancels them back to the queue (acks_late) and exits; a plain TERM still waits for them (warm).
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = env_int("CELERY_SOFT_SHUTDOWN_TIMEOUT", 6)
CELERY_TASK_ALWAYS_EAGER = False
# Publishing from a request must not wait for a broker that is down (kombu would retry for about 6 s):
# one attempt, a short connect timeout, and the work is recorded in the database for a beat sweep anyway
# (core/queue.py). The worker's own consumer reconnects by its own settings, unaffected.
CELERY_BROKER_TRANSPORT_OPTIONS.setdefault("max_retries", 0)
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS.setdefault("socket_connect_timeout", 2)
    # A Redis that accepts connections but does not answer (hung, stopped, a half-open network path) would hold a
    # publish, and the request making it, forever: give up after 5 s (the work is swept up later).
    CELERY_BROKER_TRANSPORT_OPTIONS.setdefault("socket_timeout", 5)
    # A task taken by a worker that then died (SIGKILL, power loss) goes back to the queue after this many
    # seconds (acks_late). Keep it above the longest retry countdown (an hour) or retries run early.
    CELERY_BROKER_TRANSPORT_OPTIONS.setdefault("visibility_timeout", env_int("CELERY_VISIBILITY_TIMEOUT", 3600))

# The cache holds the API's throttle counters: in Redis when there is one, so that every web process counts
# together (config/cache.py; a Redis that is down reads as an empty cache), else in each process's memory.
if REDIS_URL:
    CACHES = {"default": {
        "BACKEND": "config.cache.FailOpenRedisCache",
        "LOCATION": env("CACHE_URL", REDIS_URL),
        "KEY_PREFIX": "xuncha",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }}

# --- Summaries (汇总报告, summaries/services.py) ---------------------------------------------
# A font with Chinese glyphs for the charts (Debian's fonts-noto-cjk); without it the charts still render,
# with a warning in the log, but Chinese labels show as boxes.
SUMMARY_CHART_FONT = env("SUMMARY_CHART_FONT", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
# Summary emails that SMTP refuses are retried after 1, 2, 4... times this many seconds (6 retries).
EMAIL_RETRY_BASE_S = env_int("EMAIL_RETRY_BASE_S", 60)
# A summary's ledger (案件台账) rides in its email up to this many rows (about 2 MB of xlsx); a larger one is built
# after the emails went out and the email links to it on the summary page (#20: a million-case jurisdiction's
# ledger was a 40 MB attachment and 80 s of the summary task).
SUMMARY_LEDGER_ATTACH_MAX_ROWS = env_int("SUMMARY_LEDGER_ATTACH_MAX_ROWS", 20000)

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Xuncha 巡查 <noreply@xuncha.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first, so that an anonymous request gets 401 with WWW-Authenticate rather than 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Per user (or per address when anonymous); a 429 says when to retry (Retry-After). The address is REMOTE_ADDR
    # as core.client_address left it: DRF must not read X-Forwarded-For itself (anyone can write one).
    "NUM_PROXIES": 0,
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        # Measured in Chromium (tests/browser/test_throttle_budget.py): the map page opens with 7 requests, then about
        # 3 a pan (cases, list, 卫片图斑) and 3–4 a filter change; a busy hour of one action every 5 s is 2,200–2,900.
        # 20,000 leaves a 5x margin over the worst of that (3,000 ran out in 55 minutes for one supervisor, #16). A
        # phone on patrol sends far fewer (estimated).
        "user": env("API_RATE_USER", "20000/hour"),
        "anon": env("API_RATE_ANON", "100/hour"),
        "login": env("API_RATE_LOGIN", "30/hour"),
    },
    # JSON nested deeper than api.parsers.MAX_JSON_DEPTH is a 400, not a RecursionError.
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.ShallowJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["api.filters.StrictFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "PAGE_SIZE": 50,
    # drf-spectacular's, plus the error answers every operation can give (api/schema.py).
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Xuncha API",
    "DESCRIPTION": "巡查 — illegal-construction patrol and case tracking",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Group operations by resource (cases, patrols, map, …) rather than under one "v1" tag.
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # The schema describes the API, not the view that serves the schema (and its format/lang switches).
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {
        "PhotoStageEnum": "patrol.choices.PhotoStage",
        "ConstructionStageEnum": "patrol.choices.Stage",
        "CaseStatusEnum": "patrol.choices.Status",
    },
}

# The summaries' choice sets by name in the API schema (summaries/models.py; otherwise they collide with other
# fields called "kind" and "status").
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update({
    "SummaryKindEnum": "summaries.models.Summary.Kind",
    "SummaryStatusEnum": "summaries.models.Summary.Status",
})

# --- Maps -----------------------------------------------------------------------------------
TIANDITU_KEY = env("TIANDITU_KEY", "")
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (40.78, 111.62),
    "DEFAULT_ZOOM": 12,
    "MIN_ZOOM": 3,
    "MAX_ZOOM": 19,
    "RESET_VIEW": False,
    "TILES": [("OpenStreetMap", "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
               {"attribution": "&copy; OpenStreetMap contributors", "maxZoom": 19})],
}
# Exports of more rows than this run as a Celery job with progress instead of inside the request.
LEDGER_SYNC_LIMIT = env_int("LEDGER_SYNC_LIMIT", 20_000)
# Two findings closer than this are probably the same building.
NEARBY_CASE_METRES = env_int("NEARBY_CASE_METRES", 30)

# --- Security -------------------------------------------------------------------------------
# The proxies in front of the app whose X-Forwarded-For is believed (core/client_address.py): addresses and
# networks ("127.0.0.1,10.0.0.0/8") or a number of proxies ("1"). Empty: the header is ignored.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
# Lock an account (per user name and address) after 5 failed logins for 30 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "api.lockout.lockout_response"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "core.client_address.remote_addr"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# No inline script anywhere; map tiles are the one thing loaded from outside.
_TILE_HOSTS = ["https://*.openstreetmap.org", "https://*.tianditu.gov.cn"]
CONTENT_SECURITY_POLICY = {
    # The Django admin and django-leaflet's admin widget use inline script; the admin is for IT
    # staff only and keeps Django's own protections (login, CSRF, X-Frame-Options).
    "EXCLUDE_URL_PREFIXES": ["/admin/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *_TILE_HOSTS],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "worker-src": ["'self'"],
    },
}

# GDAL 3.6 (Debian 12) cannot block file and network access from spatial-reference strings. No user
# input reaches GDAL as a spatial reference: uploads carry GeoJSON points in WGS-84 only, and boundary
# files are read by the admin's own command line (gis/importers.py), whose SRS comes from the file.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # WeasyPrint logs each rendering step at INFO and every CSS property it ignores at WARNING: only errors matter.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "weasyprint": {"level": "ERROR"},
                "fontTools": {"level": "WARNING"}},
}
