"""Random input never makes a server error (hypothesis).

Every GET page of the URL walk gets random query strings; every form those pages show (and every
POST-only URL) gets random values in its fields. The visitor is a headteacher who is also the DSL,
with their second factor verified, so that every page and form opens. A view that raises fails
the test (the test client re-raises); so does any 5xx answer.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chaperone.tenancy.roles import Role
from tests.conftest import verified_client
from tests.factories import ContactFactory, PupilFactory, make_staff
from tests.test_url_isolation import NAMES
from tests.url_cases import URL_CASES, _trust_version

SETTINGS = settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: values that broke pages before, mixed with plain random text
NASTY = st.sampled_from(
    [
        "²",
        "٣",
        "-1",
        "0",
        "9" * 30,
        "1e5",
        "9999-12-31",
        "0001-01-01",
        "2025-02-30",
        "\x00",
        "a\r\nb",
        "%",
        "_",
        "../../etc/passwd",
        "<script>",
        "cp",
        "vulnerable",
        "on",
    ]
)
VALUES = st.one_of(NASTY, st.text(max_size=40), st.integers().map(str))
#: names pages read
KNOWN_KEYS = (
    *("q", "year", "flag", "page", "action", "date_from", "date_to"),
    *("template", "for", "next", "school", "version"),
)
KEYS = st.one_of(st.sampled_from(KNOWN_KEYS), st.text(min_size=1, max_size=10))
#: besides the random examples, every field at once holds each of these
EVERYWHERE = ("²", "9999-12-31", "a\r\nb\x00")
QUERIES = st.dictionaries(KEYS, VALUES, max_size=4)

GET_PAGES = sorted(
    n for n in NAMES if URL_CASES[n].kind == "collection" and URL_CASES[n].method == "get"
)
POST_ONLY = sorted(
    n for n in NAMES if URL_CASES[n].kind == "action" and URL_CASES[n].method == "post"
)


@pytest.fixture
def client(tenant_a) -> Client:  # type: ignore[no-untyped-def]
    """A head and DSL of a school with a protocol, a household and a pupil."""
    _trust_version(tenant_a.trust)
    pupil = PupilFactory(school=tenant_a.school)
    ContactFactory(household=pupil.household)
    staff = make_staff(tenant_a.school, Role.HEADTEACHER)
    staff.assignments.create(school=tenant_a.school, role=Role.DSL)
    return verified_client(staff)


def _ok(response: Any, what: object) -> None:
    assert response.status_code < 500, (what, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize("name", GET_PAGES)
def test_random_query_strings_never_give_a_server_error(client, name) -> None:  # type: ignore[no-untyped-def]
    url = reverse(name)

    @SETTINGS
    @given(query=QUERIES, htmx=st.booleans())
    def run(query: dict[str, str], htmx: bool) -> None:
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        _ok(client.get(url, query, **headers), (name, query))

    for value in EVERYWHERE:
        run = example(query=dict.fromkeys(KNOWN_KEYS, value), htmx=False)(run)
    run()


class _Forms(HTMLParser):
    """The POST forms of a page (and htmx posts): their action and field names."""

    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.page_url = page_url
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._current: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self._current = {}
            self.forms.append((a.get("action") or self.page_url, self._current))
        if a.get("hx-post"):
            self.forms.append((a["hx-post"], self._current if self._current is not None else {}))
        if self._current is not None and tag in {"input", "select", "textarea"} and a.get("name"):
            self._current[a["name"]] = a.get("type", tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def _page_forms(client: Client) -> list[tuple[str, dict[str, str]]]:
    forms: dict[str, dict[str, str]] = {}
    for name in GET_PAGES:
        url = reverse(name)
        parser = _Forms(url)
        parser.feed(client.get(url).content.decode())
        for action, fields in parser.forms:
            if action != reverse("logout"):
                forms.setdefault(action, {}).update(fields)
    for name in POST_ONLY:
        forms.setdefault(reverse(name), {}).update(dict.fromkeys(URL_CASES[name].data, "text"))
    return sorted(forms.items())


def _form_data(fields: dict[str, str]) -> st.SearchStrategy[dict[str, Any]]:
    values: dict[str, st.SearchStrategy[Any]] = {}
    for field, kind in fields.items():
        if field == "csrfmiddlewaretoken":
            continue
        if kind == "file":
            values[field] = st.binary(max_size=300).map(
                lambda b: SimpleUploadedFile("random.csv", b)
            )
        else:
            values[field] = VALUES
    extra = st.dictionaries(KEYS, VALUES, max_size=2)
    return st.fixed_dictionaries({}, optional=values).flatmap(
        lambda d: extra.map(lambda e: {**e, **d})
    )


@pytest.mark.django_db
def test_random_form_input_never_gives_a_server_error(client) -> None:  # type: ignore[no-untyped-def]
    forms = _page_forms(client)
    actions = {action for action, _ in forms}
    for name in ("protocols:upload", "protocols:try", "protocols:acknowledge", "school_switch"):
        assert reverse(name) in actions, name  # the walk found the forms it should
    for action, fields in forms:
        _post_randomly(client, action, fields)


def _post_randomly(client: Client, action: str, fields: dict[str, str]) -> None:
    @SETTINGS
    @given(data=_form_data(fields))
    def run(data: dict[str, Any]) -> None:
        _ok(client.post(action, data), (action, data))

    texts = [f for f, kind in fields.items() if kind != "file"] or list(KNOWN_KEYS)
    for value in EVERYWHERE:
        run = example(data=dict.fromkeys(texts, value))(run)
    run()


OBJECT_PAGES = sorted(
    n
    for n in NAMES
    if URL_CASES[n].kind == "object" and URL_CASES[n].method == "get" and URL_CASES[n].make
)


@pytest.mark.django_db
def test_random_input_on_object_pages_never_gives_a_server_error(client, tenant_a) -> None:  # type: ignore[no-untyped-def]
    """Review: the walk above reached only collection pages; a record's own page (a person's
    roles and login, an import preview, a protocol version) and the forms on it get random
    input too, built in the visitor's own school."""
    forms: dict[str, dict[str, str]] = {}
    for name in OBJECT_PAGES:
        make = URL_CASES[name].make
        assert make is not None
        url = reverse(name, kwargs=make(tenant_a))
        page = client.get(url, {"page": "²", "q": "a\r\nb\x00"})
        _ok(page, (name, url))
        if page.status_code != 200 or not page["Content-Type"].startswith("text/html"):
            continue
        parser = _Forms(url)
        parser.feed(page.content.decode())
        for action, fields in parser.forms:
            if action != reverse("logout"):
                forms.setdefault(action, {}).update(fields)
    assert any("/roles/" in action for action in forms), sorted(forms)
    for action, fields in sorted(forms.items()):
        _post_randomly(client, action, fields)


@pytest.mark.django_db
def test_random_input_from_a_trust_admin_never_gives_a_server_error(tenant_a) -> None:  # type: ignore[no-untyped-def]
    """The trust's own forms (the trust protocol upload and editor) open for a trust admin."""
    _trust_version(tenant_a.trust)
    admin = verified_client(make_staff(None, Role.TRUST_ADMIN, trust=tenant_a.trust))
    admin.post(reverse("school_switch"), {"school": tenant_a.school.pk})
    forms: dict[str, dict[str, str]] = {}
    for name in ("protocols:upload", "protocols:editor", "audit:trust_event_list"):
        url = reverse(name)
        parser = _Forms(url)
        page = admin.get(url, {"for": "trust"})
        _ok(page, name)
        parser.feed(page.content.decode())
        for action, fields in parser.forms:
            if action != reverse("logout"):
                forms.setdefault(action, {}).update(fields)
    assert forms
    for action, fields in sorted(forms.items()):
        _post_randomly(admin, action, fields)
