"""Tenant isolation over every URL pattern (walks the URL resolver).

"The other tenant" is another trust, or the other school of the signed-in person's own trust
(where the importers and households once leaked).

* every named pattern has a case in tests/url_cases.py, so a new view without one fails here;
* every non-public URL sends an anonymous visitor to sign in (default deny);
* object URLs answer the other tenant's object exactly as a missing one (404, same body);
* collection pages, with their searches, filters, pages and htmx partials, answer as the policy
  says (200 or 403) and show none of the other tenant's own rows;
* POST actions naming the other tenant's rows neither show nor change them.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import UploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.html import escape

from chaperone.tenancy.roles import Role
from chaperone.tenancy.schools import SESSION_KEY, active_school
from tests.conftest import Tenant
from tests.url_cases import URL_CASES, Case, Seeded, seed_rows

#: who signs in at tenant A, per other tenant (a trust admin may see every school of the trust)
ROLES = {
    "other_trust": [Role.TRUST_ADMIN, Role.HEADTEACHER, Role.DSL, Role.TEACHER],
    "same_trust": [Role.HEADTEACHER, Role.DSL, Role.TEACHER, Role.SCHOOL_ADMIN],
}
PAIRS = [(other, role) for other, roles in ROLES.items() for role in roles]


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
    "name", [n for n in NAMES if URL_CASES.get(n) and URL_CASES[n].kind not in {"public", "token"}]
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


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", [n for n in NAMES if URL_CASES.get(n) and URL_CASES[n].kind == "token"]
)
def test_a_bad_or_revoked_token_is_a_404_like_a_missing_one(
    client, tenant_a, login_as, name: str
) -> None:  # type: ignore[no-untyped-def]
    case = URL_CASES[name]
    assert case.make is not None
    missing = reverse(name, kwargs=case.missing)
    revoked = reverse(name, kwargs=case.make(tenant_a))
    for visitor in (client, login_as(tenant_a.school, Role.DSL)):
        r_missing, r_revoked = visitor.get(missing), visitor.get(revoked)
        assert (r_missing.status_code, r_revoked.status_code) == (404, 404), name
        assert _normalise(r_missing.content) == _normalise(r_revoked.content)


def _normalise(body: bytes) -> str:
    text = body.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    return re.sub(r"\b\d{6,}\b", "N", text)


@pytest.fixture
def other(request, tenant_a, tenant_b) -> Tenant:  # type: ignore[no-untyped-def]
    """The other tenant: tenant B's trust, or the second school of tenant A's own trust."""
    if request.param == "other_trust":
        return tenant_b
    return Tenant(tenant_a.trust, tenant_a.other_school)


def _maker(case: Case, tenant_a: Tenant, other: Tenant):  # type: ignore[no-untyped-def]
    same_trust = other.trust == tenant_a.trust
    return case.make_sibling if same_trust and case.make_sibling else case.make


@pytest.mark.django_db
@pytest.mark.parametrize(("other", "role"), PAIRS, indirect=["other"])
@pytest.mark.parametrize(
    "name",
    [
        n
        for n in NAMES
        if URL_CASES.get(n) and URL_CASES[n].kind in {"object", "action"} and URL_CASES[n].make
    ],
)
def test_other_tenants_object_is_a_404_like_a_missing_one(
    tenant_a, other, login_as, name, role
) -> None:  # type: ignore[no-untyped-def]
    case = URL_CASES[name]
    client = login_as(tenant_a.school, role, trust=tenant_a.trust)
    theirs = reverse(name, kwargs=_maker(case, tenant_a, other)(other))
    missing = reverse(name, kwargs=case.missing)
    call = getattr(client, case.method)
    r_theirs, r_missing = call(theirs, case.data), call(missing, case.data)
    assert r_theirs.status_code == 404, (name, r_theirs.status_code)
    assert r_missing.status_code == 404, (name, r_missing.status_code)
    assert _normalise(r_theirs.content) == _normalise(r_missing.content)


def _their_strings(theirs: Seeded, mine: Seeded) -> set[str]:
    """The other tenant's values and object URLs, less any that tenant A's rows share."""
    urls = {
        reverse("people:pupil_detail", args=[theirs.pupil.pk]),
        reverse("people:household_detail", args=[theirs.household.pk]),
        reverse("people:staff_detail", args=[theirs.staff.pk]),
    }
    return (theirs.strings() - mine.strings()) | {f'href="{u}"' for u in urls}


def _echoes(data: dict[str, Any]) -> set[str]:
    """What the request itself said (a search, a CSV's cells): a page repeating it leaks nothing."""
    found: set[str] = set()
    for value in data.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, UploadedFile):
                item.seek(0)
                found |= set(re.split(r"[,\r\n]+", item.read().decode()))
                item.seek(0)
            else:
                found.add(str(item))
    return {e for e in found if e}


def _leaks(body: str, strings: set[str], echoes: set[str]) -> list[str]:
    """The other tenant's strings in ``body``, once what the request said is taken out."""
    for echo in sorted(echoes, key=len, reverse=True):
        body = body.replace(echo, "").replace(escape(echo), "")
    return sorted(s for s in strings if s in body or escape(s) in body)


@pytest.mark.django_db
@pytest.mark.parametrize(("other", "role"), PAIRS, indirect=["other"])
@pytest.mark.parametrize(
    "name", [n for n in NAMES if URL_CASES.get(n) and URL_CASES[n].kind == "collection"]
)
def test_collections_show_nothing_of_another_tenant(tenant_a, other, login_as, name, role) -> None:  # type: ignore[no-untyped-def]
    case = URL_CASES[name]
    theirs, mine = seed_rows(other.school), seed_rows(tenant_a.school)
    strings = _their_strings(theirs, mine)
    client = login_as(tenant_a.school, role, trust=tenant_a.trust)
    url = reverse(name)
    first = client.get(url)
    school = active_school(first.wsgi_request)
    assert school is not None and school.trust_id == tenant_a.trust.pk
    allowed = case.allowed is None or case.allowed(first.wsgi_request.actor, school)
    expected = 200 if allowed else 403
    queries = [{}, *(case.queries(theirs) if case.queries else [])]
    for params in queries:
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = client.get(url, params, **headers)
            assert response.status_code == expected, (name, params, headers, response.status_code)
            leaks = _leaks(response.content.decode(), strings, _echoes(params))
            assert leaks == [], (name, params, headers, leaks)


def _action_params():  # type: ignore[no-untyped-def]
    for name in NAMES:
        if URL_CASES.get(name) and URL_CASES[name].post_data:
            for other, role in PAIRS:
                yield pytest.param(name, other, role, id=f"{name}-{other}-{role}")


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "other", "role"), list(_action_params()), indirect=["other"])
def test_actions_naming_another_tenants_rows_neither_show_nor_change_them(
    tenant_a, other, login_as, name, role
) -> None:  # type: ignore[no-untyped-def]
    case = URL_CASES[name]
    assert case.post_data is not None
    theirs, mine = seed_rows(other.school), seed_rows(tenant_a.school)
    data = case.post_data(theirs)
    strings = _their_strings(theirs, mine)
    before = theirs.snapshot()
    client = login_as(tenant_a.school, role, trust=tenant_a.trust)
    response = client.post(reverse(name), data, follow=True)
    assert response.status_code in {200, 403}, (name, response.status_code)
    echoes = _echoes(data)
    assert _leaks(response.content.decode(), strings, echoes) == [], name
    if response.redirect_chain and "/import/" in response.redirect_chain[-1][0]:
        # an import preview: confirming it must not write to the other tenant's rows either
        confirm = response.redirect_chain[-1][0].rstrip("/") + "/confirm/"
        # (refused, 400, when the file names another school's records)
        assert client.post(confirm, follow=True).status_code in {200, 400}
    assert client.session.get(SESSION_KEY) in {None, tenant_a.school.pk}
    for page in ("dashboard", "people:pupil_list"):
        assert _leaks(client.get(reverse(page)).content.decode(), strings, set()) == [], page
    assert theirs.snapshot() == before, name


@pytest.mark.django_db
def test_switching_to_another_tenants_school_is_refused(tenant_a, tenant_b, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(None, Role.TRUST_ADMIN, trust=tenant_a.trust)
    client.post(reverse("school_switch"), {"school": tenant_b.school.pk})
    body = client.get(reverse("people:pupil_list")).content.decode()
    assert "Betaone" not in body
    assert "Alphaone" in body or "Alphatwo" in body
