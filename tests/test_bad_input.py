"""Bad input on the web and in the protocol CLI is a message naming the field, never a 500 or a
traceback (the security review's LOW 15, LOW 16, MEDIUM 9 and MEDIUM 10)."""

from __future__ import annotations

import json

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from chaperone.core.params import id_params, int_param, text_param
from chaperone.people.models import Role
from chaperone.protocols.demo import template_source
from chaperone.protocols.effective import protocol_cache
from chaperone.protocols.models import ProtocolVersion
from chaperone.rules.cli import main as rules_cli
from tests.factories import PupilFactory
from tests.protocols.factories import bump, trust_version

DEEP_ARRAYS = "a = " + "[" * 1000 + "]" * 1000 + "\n"
DEEP_TABLES = "a = " + "{b = " * 3000 + "1" + "}" * 3000 + "\n"


@pytest.fixture(autouse=True)
def _fresh_protocol_cache():  # type: ignore[no-untyped-def]
    protocol_cache.clear()
    yield
    protocol_cache.clear()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", 12),
        (" 7 ", 7),
        ("²", None),
        ("٣", None),  # Arabic-Indic three: int() would read it
        ("1e3", None),
        ("", None),
        (None, None),
        ("0", None),  # below the default minimum of 1
        ("9" * 30, None),
        (str(2**63), None),
        ("-3", None),
    ],
)
def test_int_param_reads_bounded_ascii_digits_only(raw, expected) -> None:  # type: ignore[no-untyped-def]
    assert int_param(raw) == expected


def test_int_param_bounds_and_id_lists() -> None:
    assert int_param("-1", minimum=-1, maximum=14) == -1
    assert int_param("15", minimum=-1, maximum=14) is None
    assert id_params(["3", "²", "x", "5"]) == [3, 5]


@pytest.mark.django_db
@pytest.mark.parametrize("year", ["²", "٣", "99", "-", "9" * 40])
def test_pupil_list_ignores_a_year_that_is_not_one(tenant_a, login_as, year) -> None:  # type: ignore[no-untyped-def]
    PupilFactory(school=tenant_a.school, last_name="Yearthree", year_group=3)
    client = login_as(tenant_a.school, Role.TEACHER)
    response = client.get(reverse("people:pupil_list"), {"year": year})
    assert response.status_code == 200
    assert 'data-testid="pupil-count">2 pupils' in response.content.decode()


@pytest.mark.django_db
def test_pupil_list_year_filter_still_works(tenant_a, login_as) -> None:  # type: ignore[no-untyped-def]
    PupilFactory(school=tenant_a.school, last_name="Yearthree", year_group=3)
    client = login_as(tenant_a.school, Role.TEACHER)
    body = client.get(reverse("people:pupil_list"), {"year": "3"}).content.decode()
    assert 'data-testid="pupil-count">1 pupil<' in body
    assert '<option value="3" selected>' in body


@pytest.mark.django_db
@pytest.mark.parametrize("school", ["²", "9" * 40, ""])
def test_switching_to_a_school_that_is_no_number_is_a_message(tenant_a, login_as, school) -> None:  # type: ignore[no-untyped-def]
    client = login_as(None, Role.TRUST_ADMIN, trust=tenant_a.trust)
    response = client.post(reverse("school_switch"), {"school": school})
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Choose one of your schools."]


@pytest.mark.django_db
def test_acknowledging_a_version_that_is_no_number_is_a_message(tenant_a, login_as) -> None:  # type: ignore[no-untyped-def]
    trust_version(tenant_a.trust, "habs-monmouth")
    client = login_as(tenant_a.school, Role.TEACHER)
    response = client.post(reverse("protocols:acknowledge"), {"version": ["²", "9" * 40]})
    assert response.status_code == 302
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert len(messages) == 1 and "Thank you" not in messages[0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_to": "9999-12-31"}, "Enter the &#x27;To&#x27; date between 2000 and 2999."),
        ({"date_from": "0001-01-01"}, "Enter the &#x27;From&#x27; date between 2000 and 2999."),
        ({"date_from": "2025-13-01"}, "Enter the &#x27;From&#x27; date as a real date"),
    ],
)
def test_audit_dates_out_of_range_are_a_field_error(tenant_a, login_as, params, message) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.DSL)
    response = client.get(reverse("audit:event_list"), params)
    assert response.status_code == 200
    assert message in response.content.decode()


@pytest.mark.django_db
def test_a_version_with_a_line_break_is_refused_naming_the_field(tenant_a, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(None, Role.TRUST_ADMIN, trust=tenant_a.trust)
    text = bump(template_source("habs-monmouth"), "2026.9\\r\\nX-Injected: yes")
    response = client.post(reverse("protocols:upload"), {"source_text": text})
    assert response.status_code == 200
    body = response.content.decode()
    assert "version: one line of text, without line breaks or control characters" in body
    assert not ProtocolVersion.objects.exists()


@pytest.mark.django_db
def test_source_download_name_is_safe_in_a_header(tenant_a, login_as) -> None:  # type: ignore[no-untyped-def]
    from chaperone.protocols.documents import safe_filename

    text = bump(template_source("habs-monmouth"), '2026.9 \\"draft\\" é')
    version = trust_version(tenant_a.trust, "habs-monmouth", text=text)
    client = login_as(tenant_a.school, Role.TEACHER)
    response = client.get(reverse("protocols:version_source", args=[version.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'inline; filename="habs-monmouth-2026.9-draft-.toml"'
    assert safe_filename("x-2026.9\r\nX-Injected: yes.toml") == "x-2026.9-X-Injected-yes.toml"


@pytest.mark.django_db
@pytest.mark.parametrize("text", [DEEP_ARRAYS, DEEP_TABLES], ids=["arrays", "tables"])
def test_deeply_nested_toml_is_a_field_error(tenant_a, login_as, text) -> None:  # type: ignore[no-untyped-def]
    trust_version(tenant_a.trust, "habs-monmouth")
    client = login_as(tenant_a.school, Role.HEADTEACHER)
    response = client.post(reverse("protocols:upload"), {"source_text": text})
    assert response.status_code == 200
    assert "nested too deeply" in response.content.decode()


@pytest.mark.django_db
def test_an_oversized_paste_is_refused_before_it_is_parsed(tenant_a, login_as) -> None:  # type: ignore[no-untyped-def]
    trust_version(tenant_a.trust, "habs-monmouth")
    client = login_as(tenant_a.school, Role.HEADTEACHER)
    text = "a = " + "[" * 150_000 + "]" * 150_000
    response = client.post(reverse("protocols:upload"), {"source_text": text})
    assert response.status_code == 200
    assert "The protocol is longer than 200,000 characters." in response.content.decode()


# --- the engine's command line ------------------------------------------------------------------


def _run(capsys, *args: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    rc = rules_cli(list(args))
    return rc, capsys.readouterr().out


@pytest.mark.parametrize("text", [DEEP_ARRAYS, DEEP_TABLES], ids=["arrays", "tables"])
def test_cli_check_with_a_deep_protocol_is_a_json_error(tmp_path, capsys, text) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "deep.toml"
    path.write_text(text)
    rc, out = _run(capsys, "check", "--protocol", str(path), "-")
    assert rc == 2
    error = json.loads(out)["error"]
    assert error["field"] == "protocol"
    assert "nested too deeply" in error["message"]


def test_cli_validate_with_a_deep_protocol_names_the_problem(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "deep.toml"
    path.write_text(DEEP_TABLES)
    rc, out = _run(capsys, "protocols", "validate", str(path))
    assert rc == 2
    assert "nested too deeply" in out


def test_cli_protocol_that_is_not_utf8_is_a_json_error(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "latin1.toml"
    path.write_bytes('title = "Caf\u00e9"\n'.encode("latin-1"))
    rc, out = _run(capsys, "check", "--protocol", str(path), "-")
    assert rc == 2
    error = json.loads(out)["error"]
    assert error["field"] == "protocol" and "not UTF-8" in error["message"]
    rc, out = _run(capsys, "protocols", "validate", str(path))
    assert rc == 2 and "not UTF-8" in out


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["²", "people:pupil_list", "pupils", "/people/pupils/"])
def test_switching_school_goes_back_only_to_a_path_of_this_site(tenant_a, login_as, target) -> None:  # type: ignore[no-untyped-def]
    """``next`` that is no path went to redirect(), which looks a bare word up as a view name."""
    client = login_as(None, Role.TRUST_ADMIN, trust=tenant_a.trust)
    response = client.post(
        reverse("school_switch"), {"school": str(tenant_a.other_school.pk), "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == (target if target.startswith("/") else "/")


def test_text_param_keeps_a_search_term_printable() -> None:
    assert text_param(" a\x00b\r\nc ") == "a b c"
    assert text_param(None) == ""
    assert text_param("x" * 500) == "x" * 100


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["people:pupil_list", "people:staff_list", "audit:event_list"])
def test_a_nul_in_a_search_or_page_is_no_server_error(tenant_a, login_as, name) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL refuses NUL in a text parameter, and in JSON stored in the audit log."""
    client = login_as(tenant_a.school, Role.DSL)
    response = client.get(reverse(name), {"q": "Ada\x00", "page": "1\x00"})
    assert response.status_code == 200
