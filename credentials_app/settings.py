"""Django settings for the credentials manager, read once from the environment."""
from pathlib import Path

import django
import environ

from credentials_app.local_secrets import read_or_create_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core -------------------------------------------------------------------
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
DEBUG = env.bool("DEBUG", default=False)
# A self-hosted install gets a random SECRET_KEY kept under var/. It signs sessions only:
# stored credentials never depend on it.
SECRET_KEY = env.str("SECRET_KEY", default="") or read_or_create_secret_key(VAR_DIR / "secret.key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Serves the API docs' scripts from our own static files, as the strict CSP requires.
    "ninja",
    "credentials_app",
]

_DJANGO_HAS_CSP = django.VERSION >= (6, 0)
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware"
    if _DJANGO_HAS_CSP
    else "credentials_app.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "credentials_app.middleware.FirstRunSetupMiddleware",
    "credentials_app.middleware.KeyringErrorMiddleware",
    "credentials_app.api.idempotency.IdempotencyMiddleware",
]

ROOT_URLCONF = "credentials_app.urls"
WSGI_APPLICATION = "credentials_app.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
                "credentials_app.context_processors.sandbox",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
# SQLite under var/ is the embedded default; DATABASE_URL=postgres://... moves to PostgreSQL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )

# --- Authentication ---------------------------------------------------------
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Security headers -------------------------------------------------------
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Scripts and styles come only from our own static files: no inline code anywhere.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
}

# --- Static files -----------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = True

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# API keys are masked on error pages and reports even with DEBUG on.
DEFAULT_EXCEPTION_REPORTER_FILTER = "credentials_app.error_reports.AlwaysSafeExceptionReporterFilter"

# --- Logging ----------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"urllib3": {"level": "WARNING"}},
}

# --- Credentials: encryption ------------------------------------------------
# Comma-separated keys from `manage.py generate_encryption_key`: the first encrypts, all decrypt.
CREDENTIALS_ENCRYPTION_KEYS = env.list("CREDENTIALS_ENCRYPTION_KEYS", default=[])
# Used only when CREDENTIALS_ENCRYPTION_KEYS is empty; created on first start (mode 0600).
CREDENTIALS_ENCRYPTION_KEY_FILE = Path(
    env.str("CREDENTIALS_ENCRYPTION_KEY_FILE", default=str(VAR_DIR / "encryption.key"))
)

# --- Credentials: checks against providers ----------------------------------
CONNECTOR_CONNECT_TIMEOUT = env.float("CONNECTOR_CONNECT_TIMEOUT", default=5.0)
# Humanitix documents a slow first request after a quiet period: never below 15 s.
CONNECTOR_READ_TIMEOUT = max(15.0, env.float("CONNECTOR_READ_TIMEOUT", default=20.0))
CONNECTOR_MAX_BODY_BYTES = env.int("CONNECTOR_MAX_BODY_BYTES", default=256 * 1024)
# A credential not checked for this many days "needs attention".
CREDENTIAL_STALE_AFTER_DAYS = env.int("CREDENTIAL_STALE_AFTER_DAYS", default=30)

# --- Provider sandbox (local emulations, for trying the app without keys) ----
# Honoured only with DEBUG on or PROVIDER_SANDBOX_ALLOWED=true; never settable from the UI.
PROVIDER_SANDBOX_URL = env.str("PROVIDER_SANDBOX_URL", default="")
PROVIDER_SANDBOX_ALLOWED = env.bool("PROVIDER_SANDBOX_ALLOWED", default=False)
PROVIDER_SANDBOX_CA_BUNDLE = env.str("PROVIDER_SANDBOX_CA_BUNDLE", default=str(VAR_DIR / "sandbox-ca.pem"))
