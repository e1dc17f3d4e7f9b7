"""Settings shared by every environment.

The environment is read in ``chaperone/config/settings/`` and nowhere else (docs/operations.md
lists every variable). Importing these settings writes nothing: only ``local`` creates ``var/``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dj_database_url

from chaperone.core.logging import logging_config
from chaperone.core.proxies import TrustedProxies

BASE_DIR = Path(__file__).resolve().parents[3]
PACKAGE_DIR = BASE_DIR / "chaperone"
VAR_DIR = Path(os.environ.get("CHAPERONE_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


#: Empty here: production refuses to start without CHAPERONE_SECRET_KEY, local keeps one in var/.
SECRET_KEY = os.environ.get("CHAPERONE_SECRET_KEY", "")
DEBUG = env_bool("CHAPERONE_DEBUG")
ALLOWED_HOSTS = os.environ.get("CHAPERONE_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("CHAPERONE_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'chaperone.sqlite3'}"),
        conn_max_age=int(os.environ.get("CHAPERONE_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "chaperone.core",
    "chaperone.tenancy",
    "chaperone.people",
    "chaperone.audit",
    "chaperone.protocols",
    "chaperone.concerns",
    "chaperone.scheduling",
    "chaperone.welfare",
    "chaperone.records",
    "chaperone.site",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "chaperone.site.middleware.RequestContextMiddleware",
    "chaperone.site.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "chaperone.site.middleware.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "chaperone.config.urls"
WSGI_APPLICATION = "chaperone.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "chaperone.site.context_processors.chaperone",
            ],
            # Django's {% url %}, keeping the addresses of argument-free views, and its
            # {% static %}, keeping each file's address (no {% load static %} needed: that
            # would bring back Django's own tag).
            "builtins": ["chaperone.core.template_urls", "chaperone.core.template_static"],
        },
    }
]

AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the signed-in user with a prepared query.
    "chaperone.people.backends.PasswordBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    # Django's similarity check, also against the names and email of the staff record.
    {"NAME": "chaperone.people.passwords.StaffSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    # Four million passwords from published breaches, checked offline.
    {"NAME": "chaperone.people.passwords.BreachedPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
# How long an invitation link (to set the first password) stays valid: three days.
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3

# Brute-force protection: five failures for a username from one address locks it for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

#: Whose address a request has (audit rows, lockouts): the TCP peer, unless that peer is a
#: trusted proxy, whose header then names the client (chaperone/core/proxies.py).
CHAPERONE_PROXIES = TrustedProxies.parse(
    header=os.environ.get("CHAPERONE_CLIENT_IP_HEADER", ""),
    proxies=os.environ.get("CHAPERONE_TRUSTED_PROXIES", ""),
)
AXES_CLIENT_IP_CALLABLE = "chaperone.core.proxies.client_ip"

# Two-factor authentication (TOTP) is required for these roles (see chaperone/tenancy/policies.py).
OTP_TOTP_ISSUER = "Chaperone"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 10
# Database sessions: "Your account" lists and ends a person's sessions by key. Django's db engine,
# with the read every request makes prepared (chaperone/core/sessions.py).
SESSION_ENGINE = "chaperone.core.sessions"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
    }
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

EMAIL_BACKEND = os.environ.get(
    "CHAPERONE_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("CHAPERONE_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("CHAPERONE_EMAIL_PORT", "1025"))
EMAIL_HOST_USER = os.environ.get("CHAPERONE_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("CHAPERONE_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("CHAPERONE_EMAIL_TLS")
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get(
    "CHAPERONE_FROM_EMAIL", "Chaperone <no-reply@chaperone.invalid>"
)
#: The site as people reach it, for links in emails and calendar invitations (and the host part
#: of calendar UIDs).
CHAPERONE_BASE_URL = os.environ.get("CHAPERONE_BASE_URL", "http://localhost:8000")

# The audit chains (docs/subsystems/audit.md): the MAC key lives outside the database, anchors of
# every chain's head are written outside it daily, old monthly partitions may go after retention.
#: The key that seals audit rows; kept apart from the database. Empty here: production refuses to
#: start without it, local keeps one in var/, tests use a fixed one.
CHAPERONE_AUDIT_KEY = os.environ.get("CHAPERONE_AUDIT_KEY", "")
CHAPERONE_AUDIT_ANCHOR_DIR = Path(
    os.environ.get("CHAPERONE_AUDIT_ANCHOR_DIR", VAR_DIR / "audit-anchors")
)
CHAPERONE_AUDIT_ANCHOR_EMAILS = [
    e for e in os.environ.get("CHAPERONE_AUDIT_ANCHOR_EMAILS", "").split(",") if e.strip()
]
CHAPERONE_AUDIT_RETENTION_MONTHS = int(os.environ.get("CHAPERONE_AUDIT_RETENTION_MONTHS", "84"))

# Meeting platforms (sessions, issue #9; docs/operations.md): a platform's meetings are created
# through its API only when all its credentials are set; otherwise hosts paste their own link.
_PLATFORM_ENV = {
    "teams": ("tenant_id", "client_id", "client_secret", "api_url", "login_url"),
    "zoom": (
        "account_id",
        "client_id",
        "client_secret",
        "authentication_option",
        "api_url",
        "oauth_url",
    ),
    "meet": ("client_id", "client_secret", "refresh_token", "api_url", "token_url"),
}
CHAPERONE_PLATFORMS = {
    platform: {
        name: os.environ.get(f"CHAPERONE_{platform.upper()}_{name.upper()}", "") for name in names
    }
    for platform, names in _PLATFORM_ENV.items()
}

# Records (issue #12; docs/operations.md): recordings live in their own storage, never in the
# static or media files. A private directory by default (files 0600, directories 0700); an
# S3-compatible bucket through django-storages when CHAPERONE_RECORDINGS_S3_BUCKET is set.
CHAPERONE_RECORDINGS_DIR = Path(os.environ.get("CHAPERONE_RECORDINGS_DIR", VAR_DIR / "recordings"))
#: where an upload is written while it arrives (on the same disk as the recordings, so the
#: finished file is renamed into place rather than copied)
CHAPERONE_RECORDINGS_INCOMING_DIR = Path(
    os.environ.get("CHAPERONE_RECORDINGS_INCOMING_DIR", VAR_DIR / "recordings-incoming")
)


def recordings_storage_settings(environ: Mapping[str, str], directory: Path) -> dict[str, Any]:
    """The ``recordings`` entry of STORAGES from the environment."""
    bucket = environ.get("CHAPERONE_RECORDINGS_S3_BUCKET", "")
    if not bucket:
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {
                "location": str(directory),
                "base_url": None,
                "file_permissions_mode": 0o600,
                "directory_permissions_mode": 0o700,
            },
        }
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "location": environ.get("CHAPERONE_RECORDINGS_S3_PREFIX", "recordings"),
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": 300,
        "file_overwrite": False,
        "object_parameters": {"ServerSideEncryption": "AES256"}
        if env_bool("CHAPERONE_RECORDINGS_S3_ENCRYPT")
        else {},
    }
    for option, name in (
        ("endpoint_url", "CHAPERONE_RECORDINGS_S3_ENDPOINT_URL"),
        ("region_name", "CHAPERONE_RECORDINGS_S3_REGION"),
        ("access_key", "CHAPERONE_RECORDINGS_S3_ACCESS_KEY_ID"),
        ("secret_key", "CHAPERONE_RECORDINGS_S3_SECRET_ACCESS_KEY"),
    ):
        if environ.get(name):
            options[option] = environ[name]
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STORAGES["recordings"] = recordings_storage_settings(os.environ, CHAPERONE_RECORDINGS_DIR)

LOGGING = logging_config(
    fmt=os.environ.get("CHAPERONE_LOG_FORMAT", "console"),
    level=os.environ.get("CHAPERONE_LOG_LEVEL", "INFO"),
)
