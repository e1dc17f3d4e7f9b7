"""Cross-cutting hooks the audit app installs at start-up: sign-in events, SQLite guard."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import connections
from django.db.backends.signals import connection_created

from chaperone.audit.guard import register_sqlite_function

#: Only this key is kept from the credentials of a failed sign-in; never the password.
USERNAME_KEY = "username"


def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from chaperone.audit.log import record
    from chaperone.tenancy.policies import actor_for_user

    record("auth.login", actor=actor_for_user(user))


def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from chaperone.audit.log import record
    from chaperone.tenancy.policies import actor_for_user

    if user is None or not getattr(user, "is_authenticated", False):
        return
    record("auth.logout", actor=actor_for_user(user))


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    from chaperone.audit.log import record
    from chaperone.people.models import StaffMember

    username = credentials.get(USERNAME_KEY)
    username = str(username)[:150] if username is not None else None
    # The staff member's trust, when the name is theirs, so their trust administrators see it.
    trust_id = (
        StaffMember.objects.filter(user__username=username)
        .values_list("trust_id", flat=True)
        .first()
        if username
        else None
    )
    record("auth.login_failed", actor=None, trust_id=trust_id, details={"username": username})


def connect() -> None:
    user_logged_in.connect(on_login, dispatch_uid="chaperone.audit.login")
    user_logged_out.connect(on_logout, dispatch_uid="chaperone.audit.logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="chaperone.audit.login_failed")
    connection_created.connect(register_sqlite_function, dispatch_uid="chaperone.audit.sqlite")
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None:
            register_sqlite_function(connection=conn)
