"""The policy header: our middleware keeps the text of a plain response's policy, and gives
every response exactly the headers django-csp's own middleware gives it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.decorators import csp_exempt, csp_update
from csp.middleware import CSPMiddleware
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory, override_settings

from chaperone.site.middleware import ContentSecurityPolicyMiddleware

POLICY = {"DIRECTIVES": {"default-src": ["'self'"], "img-src": ["'self'", "data:"]}}


def _plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse("page")


@csp_update({"img-src": "https://maps.example"})
def _updated(request: HttpRequest) -> HttpResponse:
    return HttpResponse("map")


@csp_exempt()
def _exempt(request: HttpRequest) -> HttpResponse:
    return HttpResponse("exempt")


def _with_nonce(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")  # type: ignore[attr-defined]


def _missing(request: HttpRequest) -> HttpResponse:
    return HttpResponse("gone", status=404)


def _headers(middleware: type[CSPMiddleware], view: Callable[..., HttpResponse], path: str):
    request = RequestFactory().get(path)
    response = middleware(view)(request)
    assert isinstance(response, HttpResponse)
    return {h: response.get(h) for h in (HEADER, HEADER_REPORT_ONLY)}, request


VIEWS = [_plain, _updated, _exempt, _with_nonce, _missing]


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.__name__)
@pytest.mark.parametrize(
    "policies",
    [
        {"CONTENT_SECURITY_POLICY": POLICY},
        {"CONTENT_SECURITY_POLICY": {**POLICY, "EXCLUDE_URL_PREFIXES": ["/outside"]}},
        {"CONTENT_SECURITY_POLICY": POLICY, "CONTENT_SECURITY_POLICY_REPORT_ONLY": POLICY},
        {"CONTENT_SECURITY_POLICY": POLICY, "DEBUG": True},
    ],
    ids=["enforced", "excluded-prefix", "report-only-too", "debug"],
)
@pytest.mark.parametrize("path", ["/inside/", "/outside/"])
def test_every_response_gets_the_headers_django_csp_gives_it(view, policies, path) -> None:
    with override_settings(**policies):
        for _ in range(2):  # the second time from the kept text
            ours, _request = _headers(ContentSecurityPolicyMiddleware, view, path)
            theirs, _ = _headers(CSPMiddleware, view, path)
            assert ours == theirs
    if view is _plain and "DEBUG" not in policies and path == "/inside/":
        # django-csp's directive order depends on the process's hash seed, so compare the set
        assert set(ours[HEADER].split("; ")) == {"default-src 'self'", "img-src 'self' data:"}


def test_a_changed_policy_setting_is_not_served_from_the_kept_text() -> None:
    with override_settings(CONTENT_SECURITY_POLICY=POLICY):
        first, _ = _headers(ContentSecurityPolicyMiddleware, _plain, "/")
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": ["'none'"]}}):
        second, _ = _headers(ContentSecurityPolicyMiddleware, _plain, "/")
    assert first[HEADER] != second[HEADER] == "default-src 'none'"


def test_a_nonce_asked_for_after_the_header_is_written_is_an_error() -> None:
    from csp.exceptions import CSPNonceError

    _, request = _headers(ContentSecurityPolicyMiddleware, _plain, "/")
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)


@pytest.mark.django_db
def test_the_site_sends_its_policy() -> None:
    response = Client().get("/accounts/login/")
    assert "default-src 'self'" in response[HEADER]
    assert "frame-ancestors 'none'" in response[HEADER]
