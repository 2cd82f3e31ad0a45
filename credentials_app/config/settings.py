"""Django settings for the credentials manager, read once from the environment."""
from datetime import timedelta
from pathlib import Path

import django
import environ

from credentials_app.local_secrets import create_private_file, read_or_create_secret_key
from credentials_app.signin.csp import csp_with_sign_on

BASE_DIR = Path(__file__).resolve().parent.parent.parent
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
    "axes",
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
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Above this line applies to every answer; below it, to all but the proxy and Vault-style reads.
    "credentials_app.middleware.MachineEndpointsMiddleware",
    "credentials_app.middleware.Utf8FormsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "credentials_app.middleware.NoStoreForSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "credentials_app.middleware.FirstRunSetupMiddleware",
    "credentials_app.middleware.KeyringErrorMiddleware",
    "credentials_app.api.idempotency.IdempotencyMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "credentials_app.config.urls"
WSGI_APPLICATION = "credentials_app.config.wsgi.application"
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
                "credentials_app.views.context_processors.sandbox",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
# SQLite under var/ is the embedded default; DATABASE_URL=postgres://... moves to PostgreSQL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
# Keep each worker thread's connection between requests: opening one costs more than most requests
# (a TCP and auth handshake on PostgreSQL, the PRAGMAs on SQLite). Checked before reuse.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL with synchronous=NORMAL: a commit no longer waits for a disk flush; a crash of the app
    # loses nothing, a power cut at worst the last commits, and the database never corrupts.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20,
         "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
    # SQLite creates the WAL and shared-memory files with the database file's mode: make that 0600.
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        create_private_file(Path(DATABASES["default"]["NAME"]))

# --- Cache and counting windows ----------------------------------------------
# Check budgets and proxy rate limits are counted in the database by default, so every process
# and app server shares them; REDIS_URL (or CACHE_URL) moves them to that shared cache instead.
_CACHE_URL = env.str("REDIS_URL", default="") or env.str("CACHE_URL", default="")
CACHES = {
    "default": environ.Env.cache_url_config(_CACHE_URL)
    if _CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
COUNTING_WINDOWS_IN_CACHE = bool(_CACHE_URL)

# --- Authentication ---------------------------------------------------------
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
# Messages can hold an invitation's link, a bearer credential: kept in the session, never in a cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
# Failed sign-ins are counted per account and per client address by django-axes, on
# /accounts/login/ and /admin/login/ alike (both go through authenticate()). The counts are rows in
# the database, so every app server sees them; an admin unlocks under Axes in the admin.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "credentials_app.sign_in_lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "credentials_app.sign_in_lockout.client_address"
# Behind N reverse proxies that each append to X-Forwarded-For, set this to N; 0 trusts REMOTE_ADDR only.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Email -----------------------------------------------------------------
# Only needed for password reset, which is off (404) until EMAIL_URL or EMAIL_HOST is set.
# EMAIL_URL is django-environ's form: smtp+tls://user:password@host:587, consolemail://, ...
_EMAIL = environ.Env.email_url_config(env.str("EMAIL_URL", default="")) if env.str("EMAIL_URL", default="") else {
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": env.str("EMAIL_HOST", default=""),
    "EMAIL_PORT": env.int("EMAIL_PORT", default=25),
    "EMAIL_HOST_USER": env.str("EMAIL_HOST_USER", default=""),
    "EMAIL_HOST_PASSWORD": env.str("EMAIL_HOST_PASSWORD", default=""),
    "EMAIL_USE_TLS": env.bool("EMAIL_USE_TLS", default=False),
}
EMAIL_CONFIGURED = bool(env.str("EMAIL_URL", default="") or _EMAIL["EMAIL_HOST"])
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="webmaster@localhost")
if django.VERSION >= (6, 1):
    # Django 6.1 replaces the EMAIL_* settings with MAILERS.
    _SMTP_OPTIONS = {"EMAIL_HOST": "host", "EMAIL_PORT": "port", "EMAIL_HOST_USER": "username",
                     "EMAIL_HOST_PASSWORD": "password", "EMAIL_USE_TLS": "use_tls", "EMAIL_USE_SSL": "use_ssl"}
    _SMTP = _EMAIL["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    MAILERS = {
        "default": {
            "BACKEND": _EMAIL["EMAIL_BACKEND"],
            "OPTIONS": {option: _EMAIL[name] for name, option in _SMTP_OPTIONS.items() if _SMTP and name in _EMAIL},
        }
    }
elif EMAIL_CONFIGURED:
    globals().update({name: value for name, value in _EMAIL.items() if value not in (None, "")})

# --- Security headers -------------------------------------------------------
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
# Behind HTTPS: redirect plain HTTP, and ask browsers to use HTTPS only (HSTS) for this long.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Opt-in, and only behind a proxy that sets (and strips from clients) this header, e.g.
# SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https. Trusted blindly otherwise: never a default.
_PROXY_SSL_HEADER = env.list("SECURE_PROXY_SSL_HEADER", default=[])
SECURE_PROXY_SSL_HEADER = tuple(_PROXY_SSL_HEADER) if len(_PROXY_SSL_HEADER) == 2 else None
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
DEFAULT_EXCEPTION_REPORTER_FILTER = "credentials_app.config.error_reports.AlwaysSafeExceptionReporterFilter"

# --- Logging ----------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # User text (names, paths, usernames) reaches log lines: CR and LF are escaped in every message.
    "filters": {
        "escape_line_breaks": {"()": "credentials_app.config.log_filters.EscapeLineBreaks"},
        "no_traceback_for_refusals": {"()": "credentials_app.config.log_filters.NoTracebackForRefusals"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["escape_line_breaks"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "urllib3": {"level": "WARNING"},
        # Django logs PermissionDenied with its traceback; a refusal is one warning line.
        "django.request": {"filters": ["no_traceback_for_refusals"]},
    },
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

# Check budgets: key checks per fixed window, per user, per user and provider, and per credential
# ("Check now"). The defaults are out of reach of a person and stop a script using the app as an oracle.
CHECK_BUDGET_WINDOW_SECONDS = env.int("CHECK_BUDGET_WINDOW_SECONDS", default=60)
CHECK_BUDGET_PER_USER = env.int("CHECK_BUDGET_PER_USER", default=20)
CHECK_BUDGET_PER_PROVIDER = env.int("CHECK_BUDGET_PER_PROVIDER", default=12)
CHECK_BUDGET_PER_CREDENTIAL = env.int("CHECK_BUDGET_PER_CREDENTIAL", default=5)

# --- Machine use: the provider proxy and Vault-style secret reads -----------
# Calls a minute through the proxy per credential, protecting the provider's own limits (0: no limit).
PROXY_RATE_LIMIT_PER_MINUTE = env.int("PROXY_RATE_LIMIT_PER_MINUTE", default=600)
# Proxied calls are counted in memory and written every this many seconds (0: each call as it ends).
PROXY_USAGE_FLUSH_SECONDS = env.float("PROXY_USAGE_FLUSH_SECONDS", default=1.0)
# Vault clients read connections at /v1/<mount>/data/<connections path>/<connection id> (Airflow's defaults).
MACHINE_VAULT_MOUNT = env.str("MACHINE_VAULT_MOUNT", default="secret")
MACHINE_VAULT_CONNECTIONS_PATH = env.str("MACHINE_VAULT_CONNECTIONS_PATH", default="connections")

# --- Provider sandbox (local emulations, for trying the app without keys) ----
# Honoured only with DEBUG on or PROVIDER_SANDBOX_ALLOWED=true; never settable from the UI.
PROVIDER_SANDBOX_URL = env.str("PROVIDER_SANDBOX_URL", default="")
PROVIDER_SANDBOX_ALLOWED = env.bool("PROVIDER_SANDBOX_ALLOWED", default=False)
PROVIDER_SANDBOX_CA_BUNDLE = env.str("PROVIDER_SANDBOX_CA_BUNDLE", default=str(VAR_DIR / "sandbox-ca.pem"))

# --- The watch: scheduled re-checks, and keys noticed failing in use --------
# Each credential is checked again this often, at its own stable time of day (spread over the interval).
WATCH_CHECK_INTERVAL_HOURS = env.float("WATCH_CHECK_INTERVAL_HOURS", default=24.0)
# A check that could not be done is retried after this many minutes, doubling each time, up to the interval.
WATCH_RETRY_MINUTES = env.float("WATCH_RETRY_MINUTES", default=15.0)
# A rejected key is checked again after 2, 4, ... intervals, at most this many days apart.
WATCH_REJECTED_MAX_DAYS = env.float("WATCH_REJECTED_MAX_DAYS", default=7.0)
# A worker holds the checks it claimed this long, renewing as it goes; if it dies, others take them after it.
WATCH_LEASE_SECONDS = env.int("WATCH_LEASE_SECONDS", default=300)
# How often an idle worker looks for due checks, and for keys noticed failing in use to confirm.
WATCH_POLL_SECONDS = env.float("WATCH_POLL_SECONDS", default=2.0)
# Checks one worker claims at once, runs at once, and runs at once against one provider.
WATCH_BATCH = env.int("WATCH_BATCH", default=1000)
WATCH_CONCURRENCY = env.int("WATCH_CONCURRENCY", default=16)
WATCH_PER_PROVIDER = env.int("WATCH_PER_PROVIDER", default=4)
# Proxied calls answered "invalid key" trigger at most one confirming check per credential in this window.
WATCH_CONFIRM_WINDOW_SECONDS = env.int("WATCH_CONFIRM_WINDOW_SECONDS", default=300)

# --- Notifications (email, Slack, signed webhooks) --------------------------
# Webhook and Slack URLs may reach private and loopback addresses (http:// to loopback only) when on.
NOTIFICATION_ALLOW_PRIVATE_URLS = env.bool("NOTIFICATION_ALLOW_PRIVATE_URLS", default=DEBUG)
# A failed delivery is tried again after this many seconds, doubling each time, up to NOTIFICATION_MAX_ATTEMPTS tries.
NOTIFICATION_RETRY_SECONDS = env.int("NOTIFICATION_RETRY_SECONDS", default=60)
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=8)
# Seconds to connect to, and then to wait for, a mail server or webhook receiver.
NOTIFICATION_TIMEOUT = env.float("NOTIFICATION_TIMEOUT", default=10.0)
if django.VERSION >= (6, 1):
    # Notification mail goes to the same server through a mailer of its own, which waits NOTIFICATION_TIMEOUT.
    MAILERS["notifications"] = {
        **MAILERS["default"],
        "OPTIONS": {**MAILERS["default"]["OPTIONS"], **({"timeout": NOTIFICATION_TIMEOUT} if _SMTP else {})},
    }
# The app's public address, e.g. https://creds.example.com: messages then link to the credential's page.
APP_BASE_URL = env.str("APP_BASE_URL", default="").rstrip("/")

# --- Sign-in: django-allauth, two factors and a second look (issue 21) ------
# Kept in one section so it moves to config/settings.py as a block. allauth serves /accounts/login/
# (the same "username" and "password" fields) and /admin/login/; django-axes still counts failures.
# Before credentials_app, whose admin replaces allauth's (second factors are reset by an audited action).
INSTALLED_APPS[INSTALLED_APPS.index("credentials_app"):0] = [
    "allauth", "allauth.account", "allauth.mfa", "allauth.usersessions",
]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "allauth.account.middleware.AccountMiddleware",
)
# Right after the messages: a person who must enrol reaches nothing but enrolment (and sign-out).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
    "credentials_app.signin.enforcement.TwoFactorEnrolmentMiddleware",
)
# Each signed-in session's address, browser and last request, for the Sessions page (at most once a minute).
MIDDLEWARE.insert(
    MIDDLEWARE.index("credentials_app.signin.enforcement.TwoFactorEnrolmentMiddleware"),
    "credentials_app.signin.sessions.SessionLastSeenMiddleware",
)
USERSESSIONS_TRACK_ACTIVITY = False  # SessionLastSeenMiddleware does, without a write per request.
SESSION_LAST_SEEN_SECONDS = 60
# allauth's per-address limits and the Sessions page count the real client behind N proxies too.
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
ACCOUNT_ADAPTER = "credentials_app.signin.adapter.AccountAdapter"
ACCOUNT_FORMS = {"login": "credentials_app.signin.forms.LoginForm"}
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_REDIRECT_URL = LOGOUT_REDIRECT_URL
# Sessions last as long as before (SESSION_COOKIE_AGE), with no "Remember me" box to forget.
ACCOUNT_SESSION_REMEMBER = True
# django-axes counts failed passwords (AccountAdapter.pre_authenticate leaves them to it); allauth's
# "login_failed" limit counts wrong second-factor codes per account, with the same numbers.
ACCOUNT_RATE_LIMITS = {"login_failed": f"{AXES_FAILURE_LIMIT}/{int(AXES_COOLOFF_TIME.total_seconds())}s/key"}
# A second look: sensitive acts ask for the password or a second factor again once the last proof
# (signing in, or the last second look) is older than this.
ACCOUNT_REAUTHENTICATION_TIMEOUT = env.int("REAUTHENTICATION_MINUTES", default=5) * 60
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
# Authenticator apps' secrets and recovery codes' seeds are sealed under the keyring (signin/sealed_factors.py).
MFA_ADAPTER = "credentials_app.signin.adapter.MFAAdapter"
MFA_TOTP_ISSUER = env.str("TWO_FACTOR_ISSUER", default="Credential Manager")
# Browsers allow WebAuthn on http://localhost only; anywhere else the app must be served over HTTPS.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG or env.bool("WEBAUTHN_ALLOW_INSECURE_ORIGIN", default=False)
# "staff" or "everyone" must add a second factor before anything else; team admins can also
# require it of their team's members. "none" leaves it to each person (and their teams).
TWO_FACTOR_REQUIRED_FOR = env.str("TWO_FACTOR_REQUIRED_FOR", default="none")
# A team invitation's link works once, for this many days.
INVITATION_DAYS = env.int("INVITATION_DAYS", default=7)

# --- Single sign-on: OpenID Connect (issue 21) -------------------------------
# Any OpenID Connect provider (Keycloak, Okta, Entra ID, Google). Off until
# OIDC_PROVIDER_URL is set. The first sign-in makes the account; a verified email links an existing one.
INSTALLED_APPS[INSTALLED_APPS.index("credentials_app"):0] = [
    "allauth.socialaccount", "allauth.socialaccount.providers.openid_connect",
]
OIDC_PROVIDER_URL = env.str("OIDC_PROVIDER_URL", default="")
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": "sso",
                "name": env.str("OIDC_NAME", default="single sign-on"),
                "client_id": env.str("OIDC_CLIENT_ID", default=""),
                "secret": env.str("OIDC_CLIENT_SECRET", default=""),
                "settings": {
                    "server_url": OIDC_PROVIDER_URL,
                    "scope": env.list("OIDC_SCOPES", default=["openid", "profile", "email"]),
                },
            }
        ] if OIDC_PROVIDER_URL else [],
    }
}
SECURE_CSP = csp_with_sign_on(SECURE_CSP, OIDC_PROVIDER_URL)
SOCIALACCOUNT_ADAPTER = "credentials_app.signin.sso.SocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
# The adapter links by a verified email itself: allauth's own linking would wipe the password of an
# account whose address it has not verified (every account made in the admin).
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False
# The claim listing the person's groups, and "group=Team:role" pairs (role admin or member), e.g.
# OIDC_GROUP_TEAMS=ops-admins=Ops:admin,ops=Ops:member. Kept in step at every single sign-on.
OIDC_GROUPS_CLAIM = env.str("OIDC_GROUPS_CLAIM", default="groups")
OIDC_GROUP_TEAMS = env.dict("OIDC_GROUP_TEAMS", default={})
# "owner": only superusers sign in with a password (break glass); everyone else uses single sign-on.
LOCAL_SIGN_IN = env.str("LOCAL_SIGN_IN", default="everyone")
# Signing in with a passkey alone is a local sign-in too: off when only the owner signs in locally.
MFA_PASSKEY_LOGIN_ENABLED = LOCAL_SIGN_IN == "everyone"
# false: an invitation is accepted only by an existing account (or single sign-on), never by making a
# password account. There is never self sign-up; this closes the last way to make a local account.
LOCAL_SIGN_UP = env.bool("LOCAL_SIGN_UP", default=True) and LOCAL_SIGN_IN == "everyone"
