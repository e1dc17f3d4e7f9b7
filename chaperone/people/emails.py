"""Emails about staff accounts and roles. Sent after the change has been committed: a mail server
that is down never undoes a role change or an invitation, and the caller is told it failed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import structlog

from chaperone.core.mail import send_email_quietly

log = structlog.get_logger(__name__)


def send_people_email(template: str, to: Iterable[str], context: dict[str, Any]) -> bool:
    """Send ``people/email/<template>`` to each address separately, so no recipient sees the
    others. True when every message was sent (a failure is logged)."""
    return send_email_quietly(f"people/email/{template}", context, to, separately=True)
