"""Production: PostgreSQL via DATABASE_URL, HTTPS only, secrets from the environment."""

import os

from django.core.exceptions import ImproperlyConfigured

from chaperone.core.logging import logging_config

from .base import *  # noqa: F403
from .base import env_bool

LOGGING = logging_config(
    fmt=os.environ.get("CHAPERONE_LOG_FORMAT", "json"),
    level=os.environ.get("CHAPERONE_LOG_LEVEL", "INFO"),
)

if "DATABASE_URL" not in os.environ:
    raise ImproperlyConfigured("Production needs DATABASE_URL (PostgreSQL).")
if not os.environ.get("CHAPERONE_SECRET_KEY"):
    raise ImproperlyConfigured(
        "Production needs CHAPERONE_SECRET_KEY: a long random value kept outside the code, the "
        "same on every web host (make one with: python3 -c 'import secrets; "
        "print(secrets.token_urlsafe(50))')."
    )
if not os.environ.get("CHAPERONE_AUDIT_KEY"):
    raise ImproperlyConfigured(
        "Production needs CHAPERONE_AUDIT_KEY: the key that seals audit rows, kept apart from the "
        "database and backed up apart from it (make one the same way as CHAPERONE_SECRET_KEY)."
    )
DEBUG = False
SECURE_SSL_REDIRECT = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
#: Joining browsers' HSTS preload lists binds the whole domain for years: the domain owner's call.
SECURE_HSTS_PRELOAD = env_bool("CHAPERONE_HSTS_PRELOAD")
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
