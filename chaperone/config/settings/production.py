"""Production: PostgreSQL via DATABASE_URL, HTTPS only, secrets from the environment."""

import os

from chaperone.core.logging import logging_config

from .base import *  # noqa: F403

LOGGING = logging_config(
    fmt=os.environ.get("CHAPERONE_LOG_FORMAT", "json"),
    level=os.environ.get("CHAPERONE_LOG_LEVEL", "INFO"),
)

if "DATABASE_URL" not in os.environ:
    raise RuntimeError("Production needs DATABASE_URL (PostgreSQL).")
DEBUG = False
SECURE_SSL_REDIRECT = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
