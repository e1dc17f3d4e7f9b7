"""Local and demo use: SQLite under var/; e-mail goes to the demo's outbox unless SMTP is set.

The one settings module that writes to disk, so that ``make demo`` needs no set-up: it creates
``var/`` and, unless CHAPERONE_SECRET_KEY is set, keeps a key generated once in
``var/secret_key`` (mode 600, never committed) so sessions outlive a restart, and likewise the
audit sealing key in ``var/audit_key`` unless CHAPERONE_AUDIT_KEY is set.
"""

import os
import secrets

from .base import *  # noqa: F403
from .base import CHAPERONE_AUDIT_KEY, SECRET_KEY, STATIC_ROOT, VAR_DIR, env_bool


def _generated_key(filename: str) -> str:
    path = VAR_DIR / filename
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


STATIC_ROOT.mkdir(parents=True, exist_ok=True)
SECRET_KEY = SECRET_KEY or _generated_key("secret_key")
CHAPERONE_AUDIT_KEY = CHAPERONE_AUDIT_KEY or _generated_key("audit_key")
DEBUG = env_bool("CHAPERONE_DEBUG", False)
if "CHAPERONE_EMAIL_BACKEND" not in os.environ and "CHAPERONE_EMAIL_HOST" not in os.environ:
    # the demo's outbox: mail is kept in a table and shown at /demo/outbox/
    EMAIL_BACKEND = "chaperone.site.outbox.OutboxBackend"
