"""The one settings module. Everything that differs between machines comes from the environment."""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env is a convenience for developers; production sets real variables.
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-dev-only-key-do-not-use-in-production-0123456789abcdef"  # noqa: S105 (DEBUG only)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "city",
    "dispatch",
    "evaluation",
    "field",
    "mobile_api",
    "hotline",
    "open311",
    "maps",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "citymgmt.middleware.RefuseNulMiddleware",  # NUL in a path, query or form field → 400 (not /hotline/)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "citymgmt.middleware.DomainErrorMiddleware",  # domain errors of non-DRF views → error JSON or page
    # Last, as axes asks: turns a locked-out login page into the 429 page (citymgmt.login_guard).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "citymgmt.urls"
ASGI_APPLICATION = "citymgmt.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "citymgmt" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "citymgmt.navigation.menu",
            ],
        },
    },
]

# --- Database: an SQLite file by default (WAL, busy timeout); DATABASE_URL for PostgreSQL.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The test database is a file, not memory, so a real server process (browser tests) can share it.
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"citymgmt-test-{os.getpid()}.sqlite3")}
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock
            # at BEGIN so concurrent writers wait (timeout) instead of failing mid-transaction.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    # Every process keeps a small pool (Django's psycopg pool): daphne runs sync code in a few
    # threads, so a process needs at most DATABASE_POOL_MAX connections. Size PostgreSQL's
    # max_connections for (web + worker processes) × DATABASE_POOL_MAX plus headroom (README,
    # "Running on several processes and machines"). A connection is checked before it is handed
    # out (CONN_HEALTH_CHECKS), so a restarted PostgreSQL costs failed requests while it is
    # down, never a restart.
    # DATABASE_POOL_MAX=0 turns the pool off: then CONN_MAX_AGE (health-checked) applies.
    DATABASE_POOL_MAX = env.int("DATABASE_POOL_MAX", default=4)
    DATABASE_POOL_TIMEOUT_S = env.float("DATABASE_POOL_TIMEOUT_S", default=3.0)
    if DATABASE_POOL_MAX > 0:
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": DATABASE_POOL_MAX,
            "timeout": DATABASE_POOL_TIMEOUT_S,  # waiting for a free (or new) connection, then 503
            "max_idle": 300,
        }  # CONN_HEALTH_CHECKS below makes Django pass psycopg_pool's check_connection
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer and cache when REDIS_URL is set; in-memory otherwise.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # redis-py 8 caps a pool at 100 connections by default, which breaks past ~100 sockets a process.
    REDIS_MAX_CONNECTIONS = env.int("REDIS_MAX_CONNECTIONS", default=2000)
    # A Redis that does not answer a connect within this many seconds counts as down (instead of
    # hanging a request); reconnects happen by themselves when it is back.
    REDIS_CONNECT_TIMEOUT_S = env.float("REDIS_CONNECT_TIMEOUT_S", default=3.0)
    _redis_host = {
        "address": REDIS_URL,
        "max_connections": REDIS_MAX_CONNECTIONS,
        "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_S,
    }
    CHANNEL_LAYER_BACKEND = env.str("CHANNEL_LAYER_BACKEND", default="channels_redis.pubsub.RedisPubSubChannelLayer")
    # Channel names are global in a Redis server (pub/sub ignores the database number): deployments
    # or test runs sharing one Redis each need their own prefix, or they hear each other's boards.
    _layer_config = {"hosts": [_redis_host], "prefix": env.str("CHANNEL_LAYER_PREFIX", default="asgi")}
    if CHANNEL_LAYER_BACKEND.endswith("core.RedisChannelLayer"):
        # The core layer skips a member whose queue holds `capacity` messages and drops messages
        # older than `expiry` s (boards fill such gaps from the log, but fewer is better).
        _layer_config["capacity"] = env.int("CHANNEL_LAYER_CAPACITY", default=1000)
        _layer_config["expiry"] = env.int("CHANNEL_LAYER_EXPIRY_S", default=60)
    CHANNEL_LAYERS = {"default": {"BACKEND": CHANNEL_LAYER_BACKEND, "CONFIG": _layer_config}}
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="citymgmt"),
            # Fail fast when Redis is away: callers fall back (citymgmt.softcache), never wait.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
# Password guessing (citymgmt/login_guard.py): django-axes guards authenticate() itself, so every
# door (login page, admin, API token, any later one) is covered. Failures are counted in the
# database per username *and* address together; the count is taken before the password check.
AUTHENTICATION_BACKENDS = [
    "citymgmt.login_guard.GuardBackend",  # an AxesStandaloneBackend: first, before any password check
    "citymgmt.login_guard.PasswordBackend",  # Django's ModelBackend; a right password clears the count
]
AXES_ENABLED = True
AXES_LOCK_OUT_AT_FAILURE = True
AXES_HANDLER = "citymgmt.login_guard.GuardHandler"
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)  # failed logins per username + address …
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))  # … within / locked for this
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # nobody locks another's account from elsewhere
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # refused attempts are not counted: the cool-off is fixed
AXES_LOCKOUT_CALLABLE = "citymgmt.login_guard.lockout_response"
# REMOTE_ADDR only, never X-Forwarded-For from the client; behind a proxy see README "Behind a proxy".
AXES_CLIENT_IP_CALLABLE = "citymgmt.login_guard.client_address"
AXES_HTTP_RESPONSE_CODE = 429

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Language and time: the interface ships in Chinese first, English available.
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and media files: whitenoise serves static files from the same process.
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Production (DEBUG off): hashed, compressed files (gzip and brotli), written by `collectstatic` in
# the Procfile's release step and served by whitenoise with far-future caching. Development, and
# the tests (tests/testenv.py sets PLAIN_STATIC_FILES, they run no collectstatic), serve plain
# files straight from the apps.
PLAIN_STATIC_FILES = env.bool("PLAIN_STATIC_FILES", default=DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if PLAIN_STATIC_FILES
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = PLAIN_STATIC_FILES
# Source maps (megabytes, fetched only by developer tools) are served as they are: compressing them
# with brotli would take most of the release step's time.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (
    *("jpg", "jpeg", "png", "gif", "webp", "zip", "gz", "tgz", "bz2", "tbz", "xz", "br", "swf", "flv"),
    *("woff", "woff2", "3gp", "3gpp", "asf", "avi", "m4v", "mov", "mp4", "mpeg", "mpg", "webm", "wmv", "map"),
)

# --- Security: production-like settings pass `manage.py check --deploy`.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"  # pages that embed a map of our own opt in with xframe_options_sameorigin

# --- Uploads: photos are checked again in the app; this stops a giant body early.
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- REST API
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "mobile_api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "citymgmt.api.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "citymgmt handset API (城管通)",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Files in multipart bodies need request components of their own.
    "COMPONENT_SPLIT_REQUEST": True,
    # The docs page loads Swagger UI from our static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema and the docs are the public contract; reading them needs no login.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
}

# --- The city
CITY_NAME = env.str("CITY_NAME", default="白银市白银区")
# The base map (city/basemap.py): the city's own tile service (an XYZ or WMTS template such as
# 天地图's; `{key}` or an empty `tk=` gets MAP_TILES_KEY), an optional labels layer on top (天地图's
# cva_w), or an MBTiles file the app serves itself at /maps/tiles/{z}/{x}/{y}.png (offline).
# MAP_TILES_CRS: "gcj02" when the tiles are drawn in GCJ-02 (Gaode-style): everything is shifted
# for display only, stored coordinates stay WGS-84.
MAP_TILES_URL = env.str("MAP_TILES_URL", default="")
MAP_TILES_LABELS_URL = env.str("MAP_TILES_LABELS_URL", default="")
MAP_TILES_KEY = env.str("MAP_TILES_KEY", default="")
MAP_TILES_SUBDOMAINS = env.str("MAP_TILES_SUBDOMAINS", default="abc")
MAP_TILES_ATTRIBUTION = env.str("MAP_TILES_ATTRIBUTION", default="")
MAP_TILES_MAX_ZOOM = env.int("MAP_TILES_MAX_ZOOM", default=18)
MAP_TILES_CRS = env.str("MAP_TILES_CRS", default="wgs84")
MAP_TILES_MBTILES = env.str("MAP_TILES_MBTILES", default="")
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="")
# Open311 GeoReport v2 (open311/): our jurisdiction_id (optional in requests; any other is 404),
# the contact discovery names, and whether media_url may point into private networks (tests only).
OPEN311_JURISDICTION_ID = env.str("OPEN311_JURISDICTION_ID", default="620402")
OPEN311_CONTACT = env.str("OPEN311_CONTACT", default="12319")
OPEN311_MEDIA_ALLOW_PRIVATE = env.bool("OPEN311_MEDIA_ALLOW_PRIVATE", default=False)
# The public report page /report/: reports per minute from one address.
REPORT_PAGE_PER_ADDRESS_PER_MINUTE = env.int("REPORT_PAGE_PER_ADDRESS_PER_MINUTE", default=5)
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
SMS_BACKEND = env.str("SMS_BACKEND", default="console")
# A report filed offline is accepted for this many days after it was made (its `reported_at`).
REPORT_MAX_AGE_DAYS = env.int("REPORT_MAX_AGE_DAYS", default=30)
HOTLINE_SMS_PER_HOUR = env.int("HOTLINE_SMS_PER_HOUR", default=10)  # new reports per number per hour
HOTLINE_CALL_TAKER_NUMBER = env.str("HOTLINE_CALL_TAKER_NUMBER", default="")  # voice menu 0 dials this
# Residents' numbers are stored in E.164; one written without a country code is read in this region.
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="CN")
# The voice line: the <Say> voice per language (Twilio's Polly / Google voice names) and the speech
# recognition confidence below which a voice report is marked for a call-taker to listen to.
HOTLINE_VOICE_ZH = env.str("HOTLINE_VOICE_ZH", default="Polly.Zhiyu-Neural")
HOTLINE_VOICE_EN = env.str("HOTLINE_VOICE_EN", default="Polly.Joanna-Neural")
HOTLINE_SPEECH_LISTEN_BELOW = env.float("HOTLINE_SPEECH_LISTEN_BELOW", default=0.6)

# --- Tuning: every setting the code reads is declared here, with its default (and in the README).
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=30)  # a handset token's lifetime
POSITION_TRAIL_SAMPLE_S = env.int("POSITION_TRAIL_SAMPLE_S", default=30)  # at most one kept trail point per …
POSITION_EVENT_INTERVAL_S = env.int("POSITION_EVENT_INTERVAL_S", default=5)  # inspector.position on boards
REPLAY_MAX_EVENTS = env.int("REPLAY_MAX_EVENTS", default=5000)  # a longer gap → resync instead of replay
REPLAY_MAX_AGE_HOURS = env.int("REPLAY_MAX_AGE_HOURS", default=24)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
