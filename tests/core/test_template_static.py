"""``{% static %}`` (chaperone/core/template_static.py) writes what Django's tag writes."""

from __future__ import annotations

import re

from django.template import engines
from django.templatetags.static import static
from django.test import override_settings
from django.urls import set_script_prefix

from chaperone.core.template_static import KeptStaticNode


def render(text: str, **context: object) -> str:
    return engines["django"].from_string(text).render(context)


def test_the_tag_is_the_kept_one() -> None:
    template = engines["django"].from_string("{% static 'x.css' %}")
    nodes = template.template.nodelist.get_nodes_by_type(KeptStaticNode)  # type: ignore[attr-defined]
    assert len(nodes) == 1


def test_addresses_match_djangos() -> None:
    for _ in range(2):  # the second time from the store
        assert render("{% static 'chaperone/chaperone.css' %}") == static("chaperone/chaperone.css")
    assert render("{% static name as u %}[{{ u }}]", name="a b.js") == f"[{static('a b.js')}]"
    assert render("{% get_static_prefix %}") == "/static/"


def test_no_template_loads_djangos_own_tag_over_it() -> None:
    from pathlib import Path

    import chaperone

    package = Path(chaperone.__file__).parent
    loading = [
        str(p.relative_to(package))
        for p in package.rglob("*.html")
        if re.search(r"{%\s*load\s[^%]*\bstatic\b", p.read_text())
    ]
    assert loading == []


def test_a_changed_setting_or_script_prefix_gives_the_new_address() -> None:
    assert render("{% static 'a.css' %}") == "/static/a.css"
    with override_settings(STATIC_URL="/assets/"):
        assert render("{% static 'a.css' %}") == "/assets/a.css"
    assert render("{% static 'a.css' %}") == "/static/a.css"
    # a relative STATIC_URL under another script prefix: whatever Django writes there
    with override_settings(STATIC_URL="static/"):
        assert render("{% static 'a.css' %}") == "/static/a.css"
        set_script_prefix("/school/")
        try:
            assert render("{% static 'a.css' %}") == static("a.css"), static("a.css")
        finally:
            set_script_prefix("/")
