"""The session engine: Django's database sessions, read with a prepared query.

Sessions stay rows in ``django_session`` (``SESSION_ENGINE`` in the settings names this module):
"Your account" lists a person's sessions and ends them by deleting rows, which takes effect on
that session's very next request on every server. Only the read that every signed-in request
makes is prepared (chaperone/core/prepared.py); saving, creating and deleting are Django's.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.core.exceptions import SuspiciousOperation
from django.db.models import QuerySet
from django.utils import timezone

from chaperone.core.prepared import prepared


@prepared
def _live_session(session_key: str, now: Any) -> QuerySet[Session]:
    return Session.objects.filter(session_key=session_key, expire_date__gt=now)


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self) -> Session | None:
        key = self.session_key
        try:
            found = _live_session(session_key=key, now=timezone.now()) if key else []
        except SuspiciousOperation as exc:
            logging.getLogger(f"django.security.{exc.__class__.__name__}").warning(str(exc))
            found = []
        if not found:
            self._session_key = None
            return None
        return found[0]
