from __future__ import annotations

from functools import cache
from typing import Any

from django.urls import get_script_prefix, reverse

from chaperone.core.extensions import NavItem, declared
from chaperone.core.http import AnyRequest, resolved
from chaperone.tenancy.schools import active_school, request_schools


@cache
def _nav(script_prefix: str) -> tuple[tuple[NavItem, str], ...]:
    """Every app's :class:`NavItem` in order, with its address (the same on every request that
    shares the script prefix: worked out once per process, not on every page)."""
    items = sorted(declared("nav", "NAV", NavItem), key=lambda item: item.order)
    return tuple((item, reverse(item.url_name)) for item in items)


def nav_items(request: AnyRequest) -> list[dict[str, Any]]:
    """The main navigation: every app's :class:`NavItem` that the actor may use in the active
    school, in order."""
    actor = request.actor
    school = active_school(request)
    match = request.resolver_match
    view_name = match.view_name if match is not None else ""
    return [
        {"url": url, "label": item.label, "current": item.is_current(view_name)}
        for item, url in _nav(get_script_prefix())
        if item.action is None or (school is not None and actor.can(item.action, school.id))
    ]


@cache
def _header(script_prefix: str) -> tuple[tuple[NavItem, str], ...]:
    items = sorted(declared("header", "ACTIONS", NavItem), key=lambda item: item.order)
    return tuple((item, reverse(item.url_name)) for item in items)


def header_actions(request: AnyRequest) -> list[dict[str, Any]]:
    """The buttons every page shows in its header (e.g. "Raise a concern"), for those who may."""
    actor = request.actor
    school = active_school(request)
    return [
        {"url": url, "label": item.label}
        for item, url in _header(get_script_prefix())
        if item.action is None or (school is not None and actor.can(item.action, school.id))
    ]


def chaperone(request: AnyRequest) -> dict[str, Any]:
    """What every page's header and navigation need. The header asks "is the second sign-in
    step done, or not needed?" and "whose account is this?" several times; each such question in
    the template goes through the lazy ``request.user`` and ``request.actor`` (and a failed
    subscript first), about a twentieth of the dashboard's rendering, so they are answered here
    once. Nothing for a visitor who is not signed in: every name below is then missing, which
    the template reads as false, as it read ``user.is_authenticated``."""
    user = request.user
    if not user.is_authenticated:
        return {}
    # Evaluated here in any case: the page reads the actor itself, not through its lazy proxy.
    actor = request.actor = resolved(request.actor)
    account_open = user.is_verified() or not actor.requires_two_factor
    return {
        "signed_in": True,
        #: the second factor is given, or this person needs none: the whole header and the nav
        "account_open": account_open,
        "account_label": actor.label or user.get_full_name() or user.username,
        "show_nav": account_open and bool(actor.user_id),
        "actor": actor,
        "active_school": active_school(request),
        "visible_schools": request_schools(request),
        "nav_items": nav_items(request),
        "header_actions": header_actions(request),
    }
