"""The closed registry of audit action names.

Every installed app may declare the names it records in an optional ``<app>/audit_actions.py``
holding ``ACTIONS = {"concern.raised": "A concern was raised", ...}``. The audit app collects them
once, at start-up (:meth:`AuditConfig.ready`); :func:`chaperone.audit.log.record` refuses any name
that is not here, so the log never fills with free-text actions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured

from chaperone.core.extensions import app_module

ACTION_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
MODULE_NAME = "audit_actions"


class UnknownAuditAction(LookupError):
    """``record()`` was given an action name that no app declared."""

    def __init__(self, action: str) -> None:
        super().__init__(
            f"Unknown audit action {action!r}: "
            "declare it in ACTIONS in your app's audit_actions.py."
        )
        self.action = action


_actions: dict[str, str] = {}
ACTIONS: Mapping[str, str] = MappingProxyType(_actions)


def register(actions: Mapping[str, str], *, source: str) -> None:
    """Add ``actions`` (name -> description); a name declared twice differently is an error."""
    for name, description in actions.items():
        if not isinstance(name, str) or not ACTION_NAME.match(name):
            raise ImproperlyConfigured(
                f"{source}: audit action {name!r} must look like 'thing.done' "
                "(lower-case words joined by dots)."
            )
        if not isinstance(description, str) or not description.strip():
            raise ImproperlyConfigured(f"{source}: audit action {name!r} needs a description.")
        existing = _actions.get(name)
        if existing is not None and existing != description:
            raise ImproperlyConfigured(
                f"{source}: audit action {name!r} is already declared as {existing!r}."
            )
        _actions[name] = description


def collect(app_configs: Iterable[AppConfig]) -> None:
    """Import ``audit_actions`` from every app that has one and register its ``ACTIONS``."""
    for app_config in app_configs:
        module = app_module(app_config, MODULE_NAME)
        if module is None:
            continue
        module_name = module.__name__
        actions = getattr(module, "ACTIONS", None)
        if not isinstance(actions, Mapping):
            raise ImproperlyConfigured(f"{module_name} must define a dict named ACTIONS.")
        register(actions, source=module_name)


def check_action(action: str) -> None:
    if action not in _actions:
        raise UnknownAuditAction(action)


def describe(action: str) -> str:
    """The human description of ``action`` (the name itself if it is no longer declared)."""
    return _actions.get(action, action)
