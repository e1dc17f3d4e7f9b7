"""Tenant isolation over every URL pattern (walks the URL resolver).

* every named pattern has a case in tests/url_cases.py, so a new view without one fails here;
* every non-public URL sends an anonymous visitor to sign in (default deny);
* object URLs answer another tenant's object exactly as a missing one (404, same body);
* collection pages show nothing of the other tenant, even to the most privileged user.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from chaperone.tenancy.roles import Role
from tests.url_cases import URL_CASES

B_MARKERS = ("Betaone", "Beta Independent", "222221")


def _walk(patterns, namespace: str | None = None):  # type: ignore[no-untyped-def]
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace
            full = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _walk(p.url_patterns, full)
        elif isinstance(p, URLPattern):
            name = p.name
            yield (f"{namespace}:{name}" if namespace and name else name), p


ALL = list(_walk(get_resolver().url_patterns))
NAMES = sorted(n for n, _ in ALL if n)


def test_every_pattern_is_named() -> None:
    unnamed = [str(p.pattern) for n, p in ALL if not n]
    assert unnamed == [], f"URL patterns without a name: {unnamed}"


def test_every_url_pattern_has_an_isolation_case() -> None:
    missing = sorted(set(NAMES) - set(URL_CASES))
    assert missing == [], f"add a cross-tenant case to tests/url_cases.py for: {missing}"
    stale = sorted(set(URL_CASES) - set(NAMES))
    assert stale == [], f"cases for URL names that no longer exist: {stale}"


def _kwargs_for(name: str, case) -> dict:  # type: ignore[no-untyped-def]
    return dict(case.missing) if case.kind in {"object", "action"} and case.missing else {}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", [n for n in NAMES if URL_CASES.get(n) and URL_CASES[n].kind != "public"]
)
def test_anonymous_is_sent_to_sign_in(client, name: str) -> None:
    case = URL_CASES[name]
    url = reverse(name, kwargs=_kwargs_for(name, case))
    response = getattr(client, case.method)(url, case.data)
    assert response.status_code == 302, (name, response.status_code)
    assert response["Location"].startswith(reverse("login")), (name, response["Location"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", [n for n in NAMES if URL_CASES.get(n) and URL_CASES[n].kind == "public"]
)
def test_public_pages_answer(client, name: str) -> None:
    assert client.get(reverse(name, kwargs=URL_CASES[name].missing)).status_code == 200


def _normalise(body: bytes) -> str:
    text = body.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    return re.sub(r"\b\d{6,}\b", "N", text)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.TRUST_ADMIN, Role.HEADTEACHER, Role.DSL, Role.TEACHER])
@pytest.mark.parametrize(
    "name",
    [
        n
        for n in NAMES
        if URL_CASES.get(n) and URL_CASES[n].kind in {"object", "action"} and URL_CASES[n].make
    ],
)
def test_other_tenants_object_is_a_404_like_a_missing_one(
    tenant_a, tenant_b, login_as, name, role
) -> None:  # type: ignore[no-untyped-def]
    case = URL_CASES[name]
    client = login_as(tenant_a.school, role, trust=tenant_a.trust)
    theirs = reverse(name, kwargs=case.make(tenant_b))
    missing = reverse(name, kwargs=case.missing)
    call = getattr(client, case.method)
    r_theirs, r_missing = call(theirs, case.data), call(missing, case.data)
    assert r_theirs.status_code == 404, (name, r_theirs.status_code)
    assert r_missing.status_code == 404, (name, r_missing.status_code)
    assert _normalise(r_theirs.content) == _normalise(r_missing.content)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.TRUST_ADMIN, Role.HEADTEACHER, Role.DSL])
@pytest.mark.parametrize(
    "name", [n for n in NAMES if URL_CASES.get(n) and URL_CASES[n].kind == "collection"]
)
def test_collections_show_nothing_of_another_tenant(
    tenant_a, tenant_b, login_as, name, role
) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, role, trust=tenant_a.trust)
    response = client.get(reverse(name))
    assert response.status_code in {200, 403}, (name, response.status_code)
    body = response.content.decode()
    for marker in B_MARKERS:
        assert marker not in body, (name, marker)


@pytest.mark.django_db
def test_switching_to_another_tenants_school_is_refused(tenant_a, tenant_b, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(None, Role.TRUST_ADMIN, trust=tenant_a.trust)
    client.post(reverse("school_switch"), {"school": tenant_b.school.pk})
    body = client.get(reverse("people:pupil_list")).content.decode()
    assert "Betaone" not in body
    assert "Alphaone" in body or "Alphatwo" in body
