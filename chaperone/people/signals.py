"""Sign-in, failed sign-in and sign-out go to the audit log (the people app knows who a user is;
the audit app below it does not). Each signed-in session is also remembered by user (Django's
sessions cannot be queried by user), so people can see and end theirs and a deactivated login is
signed out everywhere. Each event is filed under the person's school (:func:`home_school_id`) so
that school's DSL and head see it."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from chaperone.audit.log import record
from chaperone.core.context import current_context
from chaperone.people.actors import actor_for_user, home_school_id
from chaperone.people.logins import login_session_forget, login_session_record
from chaperone.people.models import User

#: Only this key is kept from the credentials of a failed sign-in; never the password.
USERNAME_KEY = "username"


def record_own(action: str, user: Any) -> None:
    """Record something a signed-in person did about their own account, under their school."""
    actor = actor_for_user(user)
    record(action, actor=actor, school_id=home_school_id(actor))


def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record_own("auth.login", user)
    session = getattr(request, "session", None)
    if session is None:
        return
    if session.session_key is None:
        session.save()
    login_session_record(
        user=user,
        session_key=session.session_key,
        ip_address=_ip(current_context().ip_address),
        user_agent=request.headers.get("User-Agent", ""),
    )


def _ip(value: str | None) -> str | None:
    """The client address as the request context has it (set by the site middleware)."""
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        login_session_forget(session_key=session.session_key)
    if user is None or not getattr(user, "is_authenticated", False):
        return
    record_own("auth.logout", user)


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    username = credentials.get(USERNAME_KEY)
    username = str(username)[:150] if username is not None else None
    # Filed under the school (else the trust) of the person whose name was tried, so the people
    # who look after them see it; a name nobody has is the service's.
    school_id = trust_id = None
    user = User.objects.filter(username=username).first() if username else None
    if user is not None:
        actor = actor_for_user(user)
        school_id, trust_id = home_school_id(actor), actor.trust_id
    record(
        "auth.login_failed",
        actor=None,
        school_id=school_id,
        trust_id=trust_id,
        details={"username": username},
    )


def connect() -> None:
    user_logged_in.connect(on_login, dispatch_uid="chaperone.people.login")
    user_logged_out.connect(on_logout, dispatch_uid="chaperone.people.logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="chaperone.people.login_failed")
