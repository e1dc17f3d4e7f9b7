"""``{% static %}`` for every template (a template builtin, see settings ``TEMPLATES``): Django's
tag, with each file's address worked out once per process. Templates use it without
``{% load static %}``, which would put Django's own tag back.

Django's ``{% static %}`` asks the static files storage for the address on every render
(about 27 microseconds each, twice on every page's head). For a given file that address
depends only on the storage and its settings and on the script prefix the site is served
under, so those are the key; a test that changes the settings empties the store.
"""

from __future__ import annotations

from django.core.signals import setting_changed
from django.template import Library
from django.template.base import Parser, Token
from django.templatetags.static import StaticNode, get_media_prefix, get_static_prefix
from django.urls import get_script_prefix

register = Library()
register.tag("get_static_prefix", get_static_prefix)
register.tag("get_media_prefix", get_media_prefix)

_addresses: dict[tuple[str, str], str] = {}

_SETTINGS = frozenset({"STATIC_URL", "STORAGES", "FORCE_SCRIPT_NAME", "DEBUG", "INSTALLED_APPS"})


def _forget(*, setting: str, **kwargs: object) -> None:
    if setting in _SETTINGS:
        _addresses.clear()


setting_changed.connect(_forget)


class KeptStaticNode(StaticNode):
    @classmethod
    def handle_simple(cls, path: str) -> str:
        key = (path, get_script_prefix())
        address = _addresses.get(key)
        if address is None:
            address = _addresses[key] = str(super().handle_simple(path))
        return address


@register.tag
def static(parser: Parser, token: Token) -> StaticNode:
    """``{% static "path" %}`` and ``{% static "path" as name %}``, as Django's."""
    return KeptStaticNode.handle_token(parser, token)
