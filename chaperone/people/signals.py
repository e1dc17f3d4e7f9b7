"""Sign-in, failed sign-in and sign-out go to the audit log (the people app knows who a user is;
the audit app below it does not)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from chaperone.audit.log import record
from chaperone.people.actors import actor_for_user
from chaperone.people.models import StaffMember

#: Only this key is kept from the credentials of a failed sign-in; never the password.
USERNAME_KEY = "username"


def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record("auth.login", actor=actor_for_user(user))


def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        return
    record("auth.logout", actor=actor_for_user(user))


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
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
    user_logged_in.connect(on_login, dispatch_uid="chaperone.people.login")
    user_logged_out.connect(on_logout, dispatch_uid="chaperone.people.logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="chaperone.people.login_failed")
