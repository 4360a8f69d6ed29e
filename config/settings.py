"""Rücklauf settings. Everything comes from environment variables with safe defaults.

Without DATABASE_URL the app talks to the embedded development PostgreSQL and Redis that
`make run` starts (devstack/, data in var/): one SQL dialect everywhere, and the production
checks refuse that setup with DEBUG=0.
"""

import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import dj_database_url
from django.utils.translation import gettext_lazy as _

from devstack.paths import layout

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    return os.getenv(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: str) -> int:
    return int(os.getenv(name, default))


def envfloat(name: str, default: str) -> float:
    return float(os.getenv(name, default))


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", "0")
TESTING = envbool("RUECKLAUF_TESTING", "0") or "pytest" in sys.modules
SECRET_KEY = os.getenv("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and not TESTING:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "SECRET_KEY is not set: with DEBUG=0 set it to a long random value "
            '(python3 -c "import secrets; print(secrets.token_urlsafe(50))").'
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost")
# Without DATABASE_URL a command typed beside `make run` builds links to the port that run serves.
SITE_URL = (os.getenv("SITE_URL") or (not os.getenv("DATABASE_URL") and layout("run").served_url())
            or "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", SITE_URL)
# A friendly German page instead of Django's technical 403 when the CSRF cookie is missing.
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "config.apps.RuecklaufConfig",  # registers the production checks (config/checks.py)
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Single sign-on over OpenID Connect (OIDC_* below); allauth's social accounts need the sites table.
    "django.contrib.sites",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    # not "rest_framework": the API needs none of its templates or models, and its German catalog
    # would override Django's own for shared messages ("Die übertragene Datei ist leer." on uploads)
    "drf_spectacular",
    "accounts",
    "surveys",
    "invitations",
    "responses",
    "exports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.PrivatePagesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "config.middleware.HostileInputMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Staff sessions end after STAFF_SESSION_HOURS / STAFF_SESSION_IDLE_MINUTES; with
    # STAFF_REQUIRE_2FA an account without a second factor reaches only its enrolment.
    "accounts.signin.middleware.StaffSessionMiddleware",
    "accounts.signin.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "accounts.context_processors.capabilities",
            ],
        },
    },
]

# Set by devstack for the processes it starts; without DATABASE_URL a command typed by hand (e.g.
# `manage.py shell` beside `make run`) reaches the same embedded servers.
_EMBEDDED = None if os.getenv("DATABASE_URL") else layout("run")
# "development: embedded PostgreSQL in …" (shown by /health/, refused in production), or "".
EMBEDDED_STACK = os.getenv("RUECKLAUF_EMBEDDED", "") or (_EMBEDDED.describe() if _EMBEDDED else "")
DATABASES = {
    "default": dj_database_url.parse(
        os.getenv("DATABASE_URL") or layout("run").database_url(),
        conn_max_age=envint("DB_CONN_MAX_AGE", "60"),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"



def _redis_database(url: str, offset: int) -> str:
    """The URL with its Redis database number raised by `offset` (redis://…/N, unix://…?db=N,
    redis+socket://…?virtual_host=N)."""
    parts = urlsplit(url)
    if parts.scheme in ("redis", "rediss"):
        number = int(parts.path.strip("/") or 0) + offset
        return urlunsplit(parts._replace(path=f"/{number}"))
    key = "virtual_host" if parts.scheme == "redis+socket" else "db"
    query = dict(parse_qsl(parts.query))
    query[key] = str(int(query.get(key, 0)) + offset)
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query)}"  # urlunsplit drops an empty //


# pytest-xdist: each test worker has its own PostgreSQL database (pytest-django names it) and its own
# Redis database (tests flush theirs); the servers and Celery workers a test starts inherit the moved
# URLs and, not being pytest, do not move them again.
_XDIST_WORKER = os.getenv("PYTEST_XDIST_WORKER", "") if "pytest" in sys.modules else ""
if _XDIST_WORKER:
    for _name in ("REDIS_URL", "CELERY_BROKER_URL", "CACHE_URL"):
        if os.getenv(_name):
            os.environ[_name] = _redis_database(os.environ[_name], int(_XDIST_WORKER.removeprefix("gw")) + 1)

REDIS_URL = os.getenv("REDIS_URL", "")
CELERY_BROKER_URL = os.getenv("CELERY_BROKER_URL", REDIS_URL)
if _EMBEDDED and not CELERY_BROKER_URL:
    REDIS_URL, CELERY_BROKER_URL = _EMBEDDED.redis_url(), _EMBEDDED.broker_url()
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# Production expects Celery workers: without a broker the start is refused (config/checks.py)
# unless EXPECT_WORKERS=0 says that tasks may run inside the web process.
EXPECT_WORKERS = envbool("EXPECT_WORKERS", "1")
# Django's way to accept a check's finding knowingly, e.g. "ruecklauf.E004" for a benchmark that
# wants mail in the log with DEBUG=0. Comma-separated check ids.
SILENCED_SYSTEM_CHECKS = envlist("SILENCED_SYSTEM_CHECKS", "")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# Redis redelivers unacknowledged tasks after this many seconds (worker killed mid-task).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", "600")}
# Redis broker: kombu's transport with one fix, so a broker outage while a task runs does not
# leave the worker hung after "Unrecoverable error: AttributeError ... 'hostname'" (config/celery.py).
CELERY_BROKER_TRANSPORT = "config.celery:RedisTransport" if CELERY_BROKER_URL.startswith("redis") else None
BOUNCE_CHECK_SECONDS = envint("BOUNCE_CHECK_SECONDS", "300")
CELERY_BEAT_SCHEDULE = {
    "sweep-outbox": {"task": "invitations.tasks.sweep_outbox", "schedule": 60.0},
    "sweep-exports": {"task": "exports.tasks.sweep_exports", "schedule": 300.0},
    # Queues each planned reminder round once, on its day (staff: Postausgang → Erinnerungsplan).
    "run-reminder-plan": {"task": "invitations.tasks.run_reminder_plan",
                          "schedule": float(envint("REMINDER_PLAN_SECONDS", "900"))},
    # Does nothing while BOUNCE_IMAP_HOST is empty.
    "process-bounces": {"task": "invitations.tasks.process_bounces",
                        "schedule": float(BOUNCE_CHECK_SECONDS)},
    # Keeps the audit trail to AUDIT_RETENTION_DAYS.
    "purge-audit": {"task": "accounts.tasks.purge_audit", "schedule": 86_400.0},
}

_REDIS_FOR_CACHE = REDIS_URL or (CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else "")
CACHE_URL = os.getenv("CACHE_URL", _REDIS_FOR_CACHE)
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Tests create and log in hundreds of users: Django's 1M PBKDF2 iterations would cost minutes there.
# PBKDF2 stays available by name for the users of tests that log in to a production-like server.
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher",
                        "django.contrib.auth.hashers.PBKDF2PasswordHasher"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:home"
LOGOUT_REDIRECT_URL = "staff:login"

# Staff sign-in through django-allauth (accounts/signin/): user names and passwords, no
# self-registration, throttled failures, a second factor (TOTP and recovery codes).
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend",
                           "allauth.account.auth_backends.AuthenticationBackend"]
ACCOUNT_ADAPTER = "accounts.signin.adapter.StaffAccountAdapter"
ACCOUNT_FORMS = {"login": "accounts.signin.forms.StaffLoginForm"}
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
# A signed-in account without the right for a page is sent to the login, which must then show the
# form (and say so) instead of sending it back to that page.
ACCOUNT_AUTHENTICATED_LOGIN_REDIRECTS = False
# The browser session ends with the browser; STAFF_SESSION_* below bound it on the server.
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
# Failed logins (wrong password or wrong second-factor code) per address and per typed user name
# (counted alike whether the account exists or not), sliding windows; more are refused with 429.
LOGIN_FAILURES_PER_ADDRESS = os.getenv("LOGIN_FAILURES_PER_ADDRESS", "20/15m")
LOGIN_FAILURES_PER_ACCOUNT = os.getenv("LOGIN_FAILURES_PER_ACCOUNT", "5/15m")
ACCOUNT_RATE_LIMITS = {
    "login_failed": f"{LOGIN_FAILURES_PER_ADDRESS}/ip,{LOGIN_FAILURES_PER_ACCOUNT}/key",
    # Every login form sent, right or wrong, per address.
    "login": os.getenv("LOGIN_POSTS_PER_ADDRESS", "60/m") + "/ip",
}
MFA_ADAPTER = "accounts.signin.adapter.StaffMFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = os.getenv("MFA_TOTP_ISSUER", "Rücklauf")
# A second factor for every staff account: enrolment on first login, nothing else until then.
STAFF_REQUIRE_2FA = envbool("STAFF_REQUIRE_2FA", "0" if DEBUG or TESTING else "1")
# A staff session ends this long after the login, and after this long without a request.
STAFF_SESSION_HOURS = envfloat("STAFF_SESSION_HOURS", "8")
STAFF_SESSION_IDLE_MINUTES = envfloat("STAFF_SESSION_IDLE_MINUTES", "60")
# Single sign-on over OpenID Connect (accounts/signin/sso.py): on when OIDC_ISSUER is set. The
# identity provider's groups (claim OIDC_GROUPS_CLAIM) map to roles by SSO_ROLE_MAP
# ("idp-group=role,…"); LOCAL_LOGIN_ENABLED=0 leaves single sign-on as the only way in.
OIDC_ISSUER = os.getenv("OIDC_ISSUER", "").rstrip("/")
OIDC_CLIENT_ID = os.getenv("OIDC_CLIENT_ID", "")
OIDC_CLIENT_SECRET = os.getenv("OIDC_CLIENT_SECRET", "")
OIDC_GROUPS_CLAIM = os.getenv("OIDC_GROUPS_CLAIM", "groups")
OIDC_NAME = os.getenv("OIDC_NAME", "Single Sign-on")
SSO_ROLE_MAP = os.getenv("SSO_ROLE_MAP", "")
LOCAL_LOGIN_ENABLED = envbool("LOCAL_LOGIN_ENABLED", "1")
SITE_ID = 1
SOCIALACCOUNT_ADAPTER = "accounts.signin.sso.SingleSignOnAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_STORE_TOKENS = False
# The redirect URI to register at the identity provider: SITE_URL + /staff/sso/oidc/login/callback/
SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": [{
    "provider_id": "oidc", "name": OIDC_NAME, "client_id": OIDC_CLIENT_ID, "secret": OIDC_CLIENT_SECRET,
    "settings": {"server_url": OIDC_ISSUER, "oauth_pkce_enabled": True},
}] if OIDC_ISSUER else []}}
# Single sign-on over SAML 2.0 (accounts/signin/sso.py): on when SAML_IDP_METADATA_URL or
# SAML_IDP_ENTITY_ID is set. The identity provider comes from its metadata (SAML_IDP_METADATA_URL with
# SAML_IDP_ENTITY_ID) or from SAML_IDP_ENTITY_ID + SAML_IDP_SSO_URL + SAML_IDP_X509CERT; its groups
# come in the attribute SAML_GROUPS_ATTRIBUTE and map to roles by the same SSO_ROLE_MAP. The SP's
# metadata, ACS and entity id (default: the metadata URL) are under SITE_URL + /staff/sso/saml/idp/.
SAML_IDP_METADATA_URL = os.getenv("SAML_IDP_METADATA_URL", "")
SAML_IDP_ENTITY_ID = os.getenv("SAML_IDP_ENTITY_ID", "")
SAML_IDP_SSO_URL = os.getenv("SAML_IDP_SSO_URL", "")
SAML_IDP_X509CERT = os.getenv("SAML_IDP_X509CERT", "")
SAML_SP_ENTITY_ID = os.getenv("SAML_SP_ENTITY_ID") or (f"{SITE_URL}/staff/sso/saml/idp/metadata/" if SITE_URL else "")
SAML_GROUPS_ATTRIBUTE = os.getenv("SAML_GROUPS_ATTRIBUTE", "groups")
SAML_NAME = os.getenv("SAML_NAME", "SAML")
SAML_ENABLED = bool(SAML_IDP_METADATA_URL or SAML_IDP_ENTITY_ID)


def saml_app(idp: dict[str, str], sp_entity_id: str = "", name: str = SAML_NAME) -> dict[str, Any]:
    """allauth's SAML app (client_id "idp" is the slug in its URLs): signed assertions only, no
    sign-on started by the identity provider (no request of ours to answer)."""
    return {"client_id": "idp", "name": name, "settings": {
        "idp": idp, **({"sp": {"entity_id": sp_entity_id}} if sp_entity_id else {}),
        "attribute_mapping": {
            "uid": ["urn:oasis:names:tc:SAML:attribute:subject-id", "uid", "urn:oid:0.9.2342.19200300.100.1.1"],
            "username": ["uid", "urn:oid:0.9.2342.19200300.100.1.1", "username",
                         "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"],
            "email": ["email", "mail", "urn:oid:0.9.2342.19200300.100.1.3",
                      "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"],
            "first_name": ["givenName", "urn:oid:2.5.4.42",
                           "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"],
            "last_name": ["sn", "urn:oid:2.5.4.4", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"],
        },
        "advanced": {"want_assertion_signed": True, "reject_idp_initiated_sso": True, "strict": True},
    }}


SOCIALACCOUNT_PROVIDERS["saml"] = {"APPS": [saml_app(
    {"metadata_url": SAML_IDP_METADATA_URL, "entity_id": SAML_IDP_ENTITY_ID} if SAML_IDP_METADATA_URL else
    {"entity_id": SAML_IDP_ENTITY_ID, "sso_url": SAML_IDP_SSO_URL, "x509cert": SAML_IDP_X509CERT},
    SAML_SP_ENTITY_ID)] if SAML_ENABLED else []}
# The Django admin (/admin/), behind the staff login and its second factor; 0 removes it.
ADMIN_ENABLED = envbool("ADMIN_ENABLED", "1")

LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("Deutsch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.getenv("TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.getenv("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.getenv("MEDIA_ROOT", BASE_DIR / "media"))
# Files kept in media (logos, exports) are for the service account only; they are served through views.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
MEDIA_URL = "/media-not-served/"  # files are only handed out through permission-checked views
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and not TESTING
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# Mail: SMTP when EMAIL_HOST is set, otherwise kept in the local mailbox in the database, which the
# staff area shows (development, `make run`).
EMAIL_HOST = os.getenv("EMAIL_HOST", "")
EMAIL_PORT = envint("EMAIL_PORT", "25")
EMAIL_HOST_USER = os.getenv("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.getenv("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "0")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", "30")
EMAIL_BACKEND = os.getenv("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "invitations.outbox.mailbox.DatabaseBackend"
)
DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL", "Rücklauf <befragung@example.org>")
SURVEY_CONTACT = os.getenv("SURVEY_CONTACT", "befragung@example.org")
# Messages per second overall and per receiving domain (0 = no throttle).
MAIL_RATE = envfloat("MAIL_RATE", "10")
MAIL_RATE_PER_DOMAIN = envfloat("MAIL_RATE_PER_DOMAIN", "5")
# Temporary SMTP errors: retry after base × 2^(attempt-1) seconds, at most MAIL_MAX_ATTEMPTS attempts.
MAIL_RETRY_BASE_SECONDS = envfloat("MAIL_RETRY_BASE_SECONDS", "30")
MAIL_MAX_ATTEMPTS = envint("MAIL_MAX_ATTEMPTS", "8")
# The outbox sweep re-queues messages whose task has not run for this long (lost broker message).
OUTBOX_STALE_SECONDS = envint("OUTBOX_STALE_SECONDS", "300")

# Bounces (docs/operations.md, "Bounces"). With BOUNCE_DOMAIN set, every message gets its own
# return path bounce+<outbox id>.<hmac>@BOUNCE_DOMAIN (VERP) and a mailto List-Unsubscribe to the
# same mailbox; the HMAC key is VERP_SECRET (default: derived from SECRET_KEY).
BOUNCE_DOMAIN = os.getenv("BOUNCE_DOMAIN", "")
BOUNCE_LOCAL_PART = os.getenv("BOUNCE_LOCAL_PART", "bounce")
VERP_SECRET = os.getenv("VERP_SECRET", "")
# The mailbox that receives those bounces, read by the beat task invitations.tasks.process_bounces.
BOUNCE_IMAP_HOST = os.getenv("BOUNCE_IMAP_HOST", "")
# "implicit" (IMAPS), "starttls" or "off"; anything else is refused (config/checks.py), never plain text.
BOUNCE_IMAP_TLS = os.getenv("BOUNCE_IMAP_TLS", "implicit").strip().lower()
BOUNCE_IMAP_PORT = envint("BOUNCE_IMAP_PORT", "993" if BOUNCE_IMAP_TLS == "implicit" else "143")
# PEM file of the CA certificate(s) to trust for the IMAP server instead of the system store (a
# private CA); empty = the system store.
BOUNCE_IMAP_CA_FILE = os.getenv("BOUNCE_IMAP_CA_FILE", "")
BOUNCE_IMAP_USER = os.getenv("BOUNCE_IMAP_USER", "")
BOUNCE_IMAP_PASSWORD = os.getenv("BOUNCE_IMAP_PASSWORD", "")
BOUNCE_IMAP_FOLDER = os.getenv("BOUNCE_IMAP_FOLDER", "INBOX")
# Read mails are moved, never deleted: recognised ones here, the rest (for a person to look at) there.
BOUNCE_IMAP_PROCESSED_FOLDER = os.getenv("BOUNCE_IMAP_PROCESSED_FOLDER", "Processed")
BOUNCE_IMAP_UNMATCHED_FOLDER = os.getenv("BOUNCE_IMAP_UNMATCHED_FOLDER", "Unmatched")
BOUNCE_IMAP_TIMEOUT = envint("BOUNCE_IMAP_TIMEOUT", "60")
# A soft bounce (mailbox full, greylisting given up) sends the message again after this many
# hours, at most BOUNCE_SOFT_MAX times; then the message counts as bounced (the address is kept).
BOUNCE_SOFT_RETRY_HOURS = envfloat("BOUNCE_SOFT_RETRY_HOURS", "6")
BOUNCE_SOFT_MAX = envint("BOUNCE_SOFT_MAX", "3")
# DKIM signing of every outgoing message when a private key (PEM) is configured.
DKIM_PRIVATE_KEY_PATH = os.getenv("DKIM_PRIVATE_KEY_PATH", "")
DKIM_SELECTOR = os.getenv("DKIM_SELECTOR", "")
DKIM_DOMAIN = os.getenv("DKIM_DOMAIN", "")

# Rate limit for wrong tokens / access codes: attempts per client and window.
TOKEN_RATELIMIT = os.getenv("TOKEN_RATELIMIT", "20/10m")
# Counted with django-ratelimit (invitations/ratelimit.py); a cache error lets the request through.
RATELIMIT_FAIL_OPEN = True
# Key of the personal links and access codes at rest (invitations/credentials.py): the database holds
# only keyed hashes and ciphertexts. Defaults to SECRET_KEY; a separate secret lets SECRET_KEY change
# (which logs everybody out) without touching the links. Old secrets stay accepted while listed in
# TOKEN_SECRET_FALLBACKS (comma-separated) until `manage.py rotate_token_secret` has re-keyed every row.
TOKEN_SECRET = os.getenv("TOKEN_SECRET", "") or SECRET_KEY
TOKEN_SECRET_FALLBACKS = envlist("TOKEN_SECRET_FALLBACKS", "")

EXPORT_EXPIRY_HOURS = envint("EXPORT_EXPIRY_HOURS", "72")
# Days after a survey was closed before `purge_personal_data` may delete its personal data.
RETENTION_DAYS = envint("RETENTION_DAYS", "365")
# How long the audit trail keeps an entry (accounts/audit.py); 400 days cover a yearly survey and its audit.
AUDIT_RETENTION_DAYS = envint("AUDIT_RETENTION_DAYS", "400")
EXPORT_STUCK_MINUTES = envint("EXPORT_STUCK_MINUTES", "30")
# Result tables are recomputed by a worker at most once per this many seconds per survey after answers
# change (exports/jobs/refresh.py); 0 turns the automatic recomputation off (the button stays).
RESULTS_REFRESH_SECONDS = envint("RESULTS_REFRESH_SECONDS", "60")
REGISTER_UPLOAD_MAX_BYTES = envint("REGISTER_UPLOAD_MAX_BYTES", str(5 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = REGISTER_UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = REGISTER_UPLOAD_MAX_BYTES

# The REST API (/api/v1/, exports/api/) and the OData feed (/odata/, exports/odata/): personal API keys
# only (no session, so no CSRF question), errors as RFC 9457 problem details, throttled per key.
API_KEY_MAX_DAYS = envint("API_KEY_MAX_DAYS", "365")
API_KEY_DEFAULT_DAYS = envint("API_KEY_DEFAULT_DAYS", "90")
API_PAGE_SIZE = envint("API_PAGE_SIZE", "500")
ODATA_PAGE_SIZE = envint("ODATA_PAGE_SIZE", "500")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["exports.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser", "rest_framework.parsers.FormParser"],
    "DEFAULT_THROTTLE_CLASSES": ["exports.api.authentication.KeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": os.getenv("API_THROTTLE_RATE", "600/min")},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "exports.api.problems.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Rücklauf API",
    "DESCRIPTION": "Read-only access to surveys, members, responses, result tables and export files. "
                   "Authenticate with a personal API key (staff area → API-Schlüssel) as "
                   "`Authorization: Bearer KEY` or as the password of HTTP Basic (any user name).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Security by default; development (DEBUG) relaxes only what plain http needs.
SECURE_HTTPS = envbool("SECURE_HTTPS", "0" if DEBUG else "1")
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "31536000") if SECURE_HTTPS else 0
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "0")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if envbool("BEHIND_PROXY", "0") else None
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SSO_ORIGINS = sorted({f"{part.scheme}://{part.netloc}" for part in map(urlsplit, (
    OIDC_ISSUER, SAML_IDP_SSO_URL, SAML_IDP_METADATA_URL)) if part.scheme in ("http", "https") and part.netloc})
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        # The single sign-on buttons' forms are answered with a redirect to the identity provider,
        # which browsers check against form-action too.
        "form-action": ["'self'", *SSO_ORIGINS],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_tokens": {"()": "config.logging.RedactTokens"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_tokens"]}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"handlers": ["console"], "filters": ["redact_tokens"], "propagate": False},
        # gunicorn's access log (only written when an access log is switched on) goes through the filter too
        "gunicorn.access": {"handlers": ["console"], "filters": ["redact_tokens"], "propagate": False},
    },
}
