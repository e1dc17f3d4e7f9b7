"""The header and navigation of every page: what a visitor, a person who still owes their second
factor, and a fully signed-in person each see (chaperone/site/context_processors.py answers
the header's questions once per page)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from chaperone.tenancy.roles import Role

pytestmark = pytest.mark.django_db


def _header(body: bytes) -> str:
    return body.decode().split("<header", 1)[1].split("</header>", 1)[0]


def test_a_visitor_sees_neither_account_nor_navigation() -> None:
    header = _header(Client().get(reverse("login")).content)
    assert "Sign out" not in header
    assert 'class="app-nav"' not in header


def test_who_owes_the_second_factor_sees_only_their_name_and_the_way_out(
    tenant_a, login_as
) -> None:
    client = login_as(tenant_a.school, Role.DSL, verified=False)
    page = client.get(reverse("two_factor_setup"))
    assert page.status_code == 200
    header = _header(page.content)
    staff = page.wsgi_request.actor.label
    assert f'<span class="app-header__user">{staff}</span>' in header
    assert "Sign out" in header
    assert f'href="{reverse("account")}"' not in header
    assert "app-quick-add" not in header
    assert 'class="app-nav"' not in header


def test_a_signed_in_person_sees_their_account_actions_and_navigation(tenant_a, login_as) -> None:
    client = login_as(tenant_a.school, Role.DSL)
    page = client.get(reverse("dashboard"))
    header = _header(page.content)
    staff = page.wsgi_request.actor.label
    assert f'class="app-header__user">{staff}<span' in header
    assert f'href="{reverse("account")}"' in header
    assert "app-quick-add" in header
    assert 'class="app-nav"' in header
    assert "Sign out" in header


def test_a_teacher_needs_no_second_factor_for_the_whole_header(tenant_a, login_as) -> None:
    header = _header(login_as(tenant_a.school, Role.TEACHER).get(reverse("dashboard")).content)
    assert f'href="{reverse("account")}"' in header
    assert 'class="app-nav"' in header


def test_a_page_reads_the_user_and_the_actor_themselves_not_their_lazy_proxies(
    tenant_a, login_as
) -> None:
    """The site middleware puts the signed-in user in the place of the two lazy proxies that
    Django's and django-otp's middleware leave, and the header's context processor does the
    same for the actor it evaluates: the same objects, without a proxy's cost on each read."""
    from django.utils.functional import LazyObject

    from chaperone.people.models import User
    from chaperone.tenancy.policies import Actor

    client = login_as(tenant_a.school, Role.DSL)
    page = client.get(reverse("dashboard"))
    request = page.wsgi_request
    assert type(request.user) is User and request.user.is_verified()
    assert type(request.actor) is Actor and request.actor.user_id == request.user.pk
    assert not isinstance(page.context["actor"], LazyObject)
    assert not isinstance(page.context["user"], LazyObject)


def test_resolved_evaluates_nested_proxies_once_and_leaves_other_values_alone() -> None:
    from django.utils.functional import SimpleLazyObject

    from chaperone.core.http import resolved

    calls = []
    inner = SimpleLazyObject(lambda: calls.append(1) or {"name": "value"})
    outer = SimpleLazyObject(lambda: inner)
    found = resolved(outer)
    assert found == {"name": "value"} and type(found) is dict
    assert resolved(outer) is found and resolved(inner) is found
    assert calls == [1]
    plain = object()
    assert resolved(plain) is plain
