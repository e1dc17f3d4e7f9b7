"""Request types for type checking: what our middleware adds to Django's ``HttpRequest``.

These classes change nothing at run time; they only tell mypy which attributes exist (the
pattern django-htmx and django-stubs document). ``RequestContextMiddleware`` sets ``actor``,
django-htmx's ``HtmxMiddleware`` sets ``htmx``. :func:`resolved` puts an evaluated lazy
attribute of a request (``user``, ``actor``) in the place of its proxy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.http import HttpRequest
from django.utils.functional import LazyObject, empty

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django_htmx.middleware import HtmxDetails

    from chaperone.people.models import User
    from chaperone.tenancy.models import School
    from chaperone.tenancy.policies import Actor


if TYPE_CHECKING:

    class VerifiableUser(User):
        """A signed-in user as ``request.user``: django-otp's ``OTPMiddleware`` adds
        ``is_verified()`` (true once a second factor was given this session). django-otp
        ships no type hints, so we say so here."""

        def is_verified(self) -> bool: ...


class AnyRequest(HttpRequest):
    """Any request once the middleware has run: the visitor may not be signed in yet.

    For middleware, context processors and views marked ``login_not_required``.
    """

    user: VerifiableUser | AnonymousUser
    actor: Actor
    htmx: HtmxDetails
    #: Set on first use by ``chaperone.tenancy.schools.active_school``.
    _active_school: School | None
    #: Set on first use by ``chaperone.tenancy.schools.request_schools``.
    _schools: list[School]


class ChaperoneRequest(AnyRequest):
    """What every other view receives: ``LoginRequiredMiddleware`` lets only signed-in users
    through to a view not marked ``login_not_required``, so ``user`` is a ``User``."""

    user: VerifiableUser


T = TypeVar("T")


def resolved(value: T) -> T:
    """What the lazy proxy ``value`` (a ``SimpleLazyObject``, perhaps of another) stands for,
    evaluated now; anything else as it is. The proxy gives that same object for good once it
    is evaluated, so putting it in the proxy's place changes no answer, only the cost of
    every later attribute read."""
    found: Any = value
    while isinstance(found, LazyObject):
        if found._wrapped is empty:
            found._setup()
        found = found._wrapped
    return cast("T", found)
