"""Local and demo use: SQLite under var/; e-mail goes to the console unless SMTP is set."""

import os

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("CHAPERONE_DEBUG", False)
if "CHAPERONE_EMAIL_BACKEND" not in os.environ and "CHAPERONE_EMAIL_HOST" not in os.environ:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
