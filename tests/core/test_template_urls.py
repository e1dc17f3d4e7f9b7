"""``{% url %}`` (chaperone/core/template_urls.py) writes what Django's tag writes."""

from __future__ import annotations

import pytest
from django.template import engines
from django.urls import NoReverseMatch, reverse

from chaperone.core import template_urls


def render(text: str, **context: object) -> str:
    return engines["django"].from_string(text).render(context)


def test_the_tag_is_the_kept_one_everywhere() -> None:
    template = engines["django"].from_string("{% url 'dashboard' %}")
    nodes = template.template.nodelist.get_nodes_by_type(template_urls.KeptURLNode)
    assert len(nodes) == 1


def test_addresses_match_reverse_with_and_without_arguments() -> None:
    assert render("{% url 'dashboard' %}") == reverse("dashboard")
    assert render("{% url 'dashboard' %}|{% url 'dashboard' %}") == "|".join(
        [reverse("dashboard")] * 2
    )
    assert render("{% url name %}", name="logout") == reverse("logout")
    assert render("{% url 'protocols:version_detail' 7 %}") == reverse(
        "protocols:version_detail", args=[7]
    )
    assert render("{% url 'protocols:version_detail' pk=8 %}") == reverse(
        "protocols:version_detail", kwargs={"pk": 8}
    )


def test_as_variable_and_unknown_names_behave_as_in_django() -> None:
    assert render("{% url 'dashboard' as home %}[{{ home }}]") == f"[{reverse('dashboard')}]"
    assert render("{% url 'no-such-view' as home %}[{{ home }}]") == "[]"
    with pytest.raises(NoReverseMatch):
        render("{% url 'no-such-view' %}")


def test_a_new_url_configuration_forgets_the_kept_addresses(settings) -> None:
    render("{% url 'dashboard' %}")
    assert template_urls._addresses
    settings.ROOT_URLCONF = "chaperone.config.urls"
    assert template_urls._addresses == {}
