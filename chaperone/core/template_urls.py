"""``{% url %}`` for every template (a template builtin, see settings ``TEMPLATES``): Django's tag,
with the address of a view that takes no arguments worked out once per process.

A page names the same few views on every request (the dashboard, sign out, your account, the
cards' links); ``reverse()`` walks the URL patterns each time, about a tenth of a page's
rendering. The address of an argument-free view depends only on the view name, the app namespace
in use, the script prefix and the URL configuration, so those are the key. Anything with
arguments, and any name that does not reverse, goes to Django's tag unchanged.
"""

from __future__ import annotations

from typing import Any

from django.core.signals import setting_changed
from django.template import Context, Library
from django.template.base import Parser, Token
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = Library()

_addresses: dict[tuple[Any, ...], str] = {}


def _forget(*, setting: str, **kwargs: Any) -> None:
    if setting in {"ROOT_URLCONF", "FORCE_SCRIPT_NAME"}:
        _addresses.clear()


setting_changed.connect(_forget)


class KeptURLNode(URLNode):
    def render(self, context: Context) -> str:
        if self.args or self.kwargs:
            return str(super().render(context))
        view_name = self.view_name.resolve(context)
        request = getattr(context, "request", None)
        current_app = getattr(request, "current_app", None)
        if current_app is None:
            current_app = getattr(getattr(request, "resolver_match", None), "namespace", None)
        key = (view_name, current_app, get_script_prefix(), get_urlconf())
        address = _addresses.get(key)
        if address is None:
            try:
                address = reverse(view_name, current_app=current_app)
            except NoReverseMatch:
                return str(super().render(context))
            _addresses[key] = address
        if self.asvar:
            context[self.asvar] = address
            return ""
        return str(conditional_escape(address)) if context.autoescape else address


@register.tag
def url(parser: Parser, token: Token) -> KeptURLNode:
    node = django_url(parser, token)
    return KeptURLNode(node.view_name, node.args, node.kwargs, node.asvar)
