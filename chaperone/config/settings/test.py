"""Test settings only make tests fast; behaviour stays that of production."""

import os
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
#: a test that runs the deletion job in a child process hands it its directory
CHAPERONE_RECORDINGS_DIR = Path(
    os.environ.get("CHAPERONE_TEST_RECORDINGS_DIR")
    or tempfile.mkdtemp(prefix="chaperone-test-recordings-")
)
CHAPERONE_RECORDINGS_INCOMING_DIR = CHAPERONE_RECORDINGS_DIR / ".incoming"
STORAGES = {
    **STORAGES,  # noqa: F405
    "recordings": recordings_storage_settings({}, CHAPERONE_RECORDINGS_DIR),  # noqa: F405
}
