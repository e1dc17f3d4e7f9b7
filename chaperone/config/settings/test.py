"""Test settings only make tests fast; behaviour stays that of production."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import CHAPERONE_AUDIT_KEY, SECRET_KEY

SECRET_KEY = SECRET_KEY or "tests-only-and-not-secret"
CHAPERONE_AUDIT_KEY = CHAPERONE_AUDIT_KEY or "tests-only-audit-key"

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
WHITENOISE_AUTOREFRESH = True
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="chaperone-test-media-"))
CHAPERONE_AUDIT_ANCHOR_DIR = Path(tempfile.mkdtemp(prefix="chaperone-test-anchors-"))
