"""Settings for Control Room, read from the environment (see README for every variable)."""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (set DEBUG=1 for development).")
    SECRET_KEY = "django-insecure-development-only-key-not-for-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "import_export",
    "controlroom.apps.LoginProtectionConfig",  # django-axes
    "csp",
    "controlroom",
    "districts",
    "members",
    "calls",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "controlroom.middleware.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "controlroom.middleware.LanguageMiddleware",
    "controlroom.middleware.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "controlroom.middleware.HtmxRedirectMiddleware",
    "controlroom.middleware.DownloadReadyMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "controlroom.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

WSGI_APPLICATION = "controlroom.wsgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded database of `make run`, with several people trying it at once: a transaction takes the write
    # lock when it begins and others wait for it (up to 20 s) rather than fail with "database is locked", and
    # readers do not wait for writers (WAL).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "districts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "controlroom.auth.UserBackend"]

# Password guessing: 5 failures for one username from one address lock that pair for 30 minutes. Keyed on
# both, so one operator's typos never lock out the rest of a call centre behind the same public IP.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "controlroom.audit.client_address"  # the client's, not the TLS proxy's
AXES_VERBOSE = False

# No inline scripts or styles anywhere: every script and stylesheet is a file under static/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Hindi first; English one click away.
LANGUAGE_CODE = "hi"
LANGUAGES = [("hi", "हिन्दी"), ("en", "English")]
# The second holds Hindi for the admin, import-export and axes strings their packages leave in English.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "vendor"]
FORMAT_MODULE_PATH = ["controlroom.formats"]
TIME_ZONE = "Asia/Kolkata"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Uploaded member lists hold personal data: kept outside the web root and never served by URL, and readable by
# the app's own user only, whatever the server's umask.
MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "private")
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# One operator shift is about 9 hours; a session ends with it.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=9 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
# Messages name members and their numbers ("9812345670 is already enrolled in …"): keep them on the server,
# not in a cookie that proxies and browser tools can read.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"

SECURE = not DEBUG
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=SECURE)
CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=SECURE)
LANGUAGE_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=SECURE)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=SECURE)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The proxy must set X-Forwarded-Proto and append the client's address to X-Forwarded-For.
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

REDIS_URL = env("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    # Every console request reads the session: from Redis first, PostgreSQL only on a miss.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: Redis is the broker; PostgreSQL rows are the truth about jobs.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Checking and writing a member list takes a core for a minute; it gets a queue of its own so batch top-ups
# never wait behind it. Production runs a low-priority worker for "imports" (docker-compose.yml); a worker
# started without -Q takes both queues.
CELERY_TASK_QUEUES = [Queue("celery"), Queue("imports")]
CELERY_TASK_ROUTES = {
    "members.tasks.upload_validate_task": {"queue": "imports"},
    "members.tasks.upload_import_task": {"queue": "imports"},
}

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="controlroom@localhost")
# Who gets the evening summary (comma-separated); nobody when empty.
DAILY_SUMMARY_EMAILS = env.list("DAILY_SUMMARY_EMAILS", default=[])

# Every record goes through the one root handler, whose filter masks mobile numbers (personal data). Django's own
# console and server handlers are replaced so nothing reaches the output past the mask, and SQL (with its
# parameters) is never logged. Each line says when, how bad and where from: web, workers and beat write to one log.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_mobiles": {"()": "controlroom.logging.MaskMobiles"}},
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_mobiles"], "formatter": "line"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": [], "level": "INFO"},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "INFO"},
    },
}
# Celery keeps the logging above instead of putting its own unfiltered handler on the root logger.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# The calling floor (see calls/services.py).
CALLS_BATCH_SIZE = env.int("CALLS_BATCH_SIZE", default=25)
CALLS_TOP_UP_BELOW = env.int("CALLS_TOP_UP_BELOW", default=5)
CALLS_RETRY_COOLDOWN_MINUTES = env.int("CALLS_RETRY_COOLDOWN_MINUTES", default=120)
CALLS_MAX_ATTEMPTS = env.int("CALLS_MAX_ATTEMPTS", default=3)
CALLS_IDLE_TIMEOUT_MINUTES = env.int("CALLS_IDLE_TIMEOUT_MINUTES", default=20)
CALLS_UNDO_SECONDS = env.int("CALLS_UNDO_SECONDS", default=120)
# A personal call-back waits for its operator this long past its time, then anyone may call it: an operator
# who is off that day does not keep the member from being called.
CALLS_PERSONAL_GRACE_MINUTES = env.int("CALLS_PERSONAL_GRACE_MINUTES", default=120)

# Every periodic job expires: one still queued when the next is due (the workers were down, or busy) is dropped,
# rather than all of them running one after another when the workers come back. A daily one waits a few hours.
DAILY_JOB_EXPIRES = 3 * 60 * 60
CELERY_BEAT_SCHEDULE = {
    "calls-daily-summary": {
        "task": "calls.tasks.daily_summary_send",
        "schedule": crontab(hour=21, minute=30),
        "options": {"expires": DAILY_JOB_EXPIRES},
    },
    "calls-top-up-batches": {"task": "calls.tasks.batch_build_all", "schedule": 30.0, "options": {"expires": 30}},
    "calls-release-stale-batches": {
        "task": "calls.tasks.batch_release_stale",
        "schedule": 60.0,
        "options": {"expires": 60},
    },
}

# Member uploads (see members/services.py): stuck jobs go back to a worker, and uploaded files with the
# personal data in them are deleted after the retention period.
UPLOAD_RETENTION_DAYS = env.int("UPLOAD_RETENTION_DAYS", default=30)
# A check or import that has not moved for this long lost its worker (a running import holds its row lock
# and is never taken for stuck; a running check moves every few seconds); a received file whose check never
# started, after the shorter wait. A president is watching the progress bar meanwhile: minutes, not ten.
UPLOAD_STUCK_SECONDS = env.int("UPLOAD_STUCK_SECONDS", default=3 * 60)
UPLOAD_RECEIVED_STUCK_SECONDS = env.int("UPLOAD_RECEIVED_STUCK_SECONDS", default=2 * 60)
UPLOAD_RECOVER_EVERY_SECONDS = env.int("UPLOAD_RECOVER_EVERY_SECONDS", default=60)
# A list previewed in the admin's member import waits in the private folder for Confirm; one nobody confirmed is
# deleted after this, by the hourly purge below (so within the hour after).
ADMIN_IMPORT_KEEP_HOURS = env.int("ADMIN_IMPORT_KEEP_HOURS", default=24)
CELERY_BEAT_SCHEDULE |= {
    "members-recover-stuck-uploads": {
        "task": "members.tasks.uploads_recover_task",
        "schedule": float(UPLOAD_RECOVER_EVERY_SECONDS),
        "options": {"expires": UPLOAD_RECOVER_EVERY_SECONDS},
    },
    # On the clock, not every so many hours from beat's start: each deploy restarts beat, and an interval would
    # start again with it, putting the purge of personal data off for as long as deploys come often enough.
    "members-purge-old-uploads": {
        "task": "members.tasks.uploads_purge_task",
        "schedule": crontab(minute=5),
        "options": {"expires": 60 * 60},
    },
}

# The audit log is kept at least a year. A database trigger refuses to delete younger events, whatever this says;
# the nightly purge deletes what is older than this.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)
if AUDIT_RETENTION_DAYS < 365:
    raise ImproperlyConfigured("AUDIT_RETENTION_DAYS must be at least 365: the audit log is kept for a year.")
CELERY_BEAT_SCHEDULE |= {
    "controlroom-purge-old-audit-events": {
        "task": "controlroom.tasks.audit_purge_task",
        "schedule": crontab(hour=3, minute=15),
        "options": {"expires": DAILY_JOB_EXPIRES},
    },
}
