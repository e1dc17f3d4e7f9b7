"""Request-wide middleware: the acting person, the request context for audit, the 2FA gate."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

import structlog
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from chaperone.core.context import RequestContext, use_context
from chaperone.core.http import AnyRequest, resolved
from chaperone.core.proxies import client_ip
from chaperone.people.actors import actor_for_user

if TYPE_CHECKING:
    from chaperone.tenancy.policies import Actor


#: A request id a client (or its proxy) sent, kept for the log lines only if it looks like one.
_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


class RequestContextMiddleware:
    """Attach ``request.actor`` and make who/where available to audit and logging."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: AnyRequest) -> HttpResponse:
        # The user is needed below anyway: from here on ``request.user`` is the user itself, not
        # the two lazy proxies of Django's and django-otp's middleware, each of whose attribute
        # reads ran Python code and failed once before finding the attribute (about 300 reads
        # a dashboard: some 8 % of its CPU).
        request.user = resolved(request.user)
        # A lazy proxy: the query runs only if something asks who is acting.
        request.actor = cast("Actor", SimpleLazyObject(lambda: actor_for_user(request.user)))
        # Our own id for audit rows and logs: anyone can send an X-Request-ID header, so a
        # client's id is at most logged beside ours, never stored as the request's.
        request_id = uuid.uuid4().hex
        log_context = {"request_id": request_id}
        sent = request.headers.get("X-Request-ID", "")
        if _CLIENT_REQUEST_ID.fullmatch(sent):
            log_context["client_request_id"] = sent
        ctx = RequestContext(
            request_id=request_id,
            ip_address=client_ip(request),
            user_agent=request.headers.get("User-Agent", "")[:300],
            user_id=request.user.pk if request.user.is_authenticated else None,
            via="web",
        )
        structlog.contextvars.bind_contextvars(**log_context)
        try:
            with use_context(ctx):
                response = self.get_response(request)
        finally:
            structlog.contextvars.unbind_contextvars(*log_context)
        response["X-Request-ID"] = request_id
        return response


#: URL names a signed-in user who still owes a second factor may reach.
TWO_FACTOR_EXEMPT = frozenset({"two_factor_setup", "two_factor_verify", "logout", "healthz"})


class TwoFactorRequiredMiddleware:
    """Staff with safeguarding or leadership roles must complete TOTP before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: AnyRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        if match is not None and match.url_name in TWO_FACTOR_EXEMPT:
            return None
        if getattr(view_func, "login_required", True) is False:
            return None
        if not request.actor.requires_two_factor:
            return None
        from django_otp import devices_for_user

        has_device = any(True for _ in devices_for_user(user, confirmed=True))
        target = "two_factor_verify" if has_device else "two_factor_setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")


#: The policy header of a response without a policy of its own, enforced (False) and report
#: only (True), built once per process from settings (forgotten when a test changes them).
_PLAIN_POLICIES: dict[bool, str] = {}


def _forget_policies(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _PLAIN_POLICIES.clear()


setting_changed.connect(_forget_policies)

#: What django-csp's view decorators leave on a response: with any of them, the response has a
#: policy of its own and django-csp builds it.
_OWN_POLICY = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)


def _plain_policy(report_only: bool) -> str:
    text = _PLAIN_POLICIES.get(report_only)
    if text is None:
        text = _PLAIN_POLICIES[report_only] = build_policy(report_only=report_only)
    return text


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the header of a response that has no policy of its own
    built once per process instead of on every response.

    django-csp builds the policy text from settings twice a response (enforced and report
    only): about 70 microseconds, a fiftieth of the dashboard's CPU and a twentieth of the
    health check's. Unless a view decorator gave the response a policy of its own or the page
    used a nonce, that text depends on settings alone. Those responses go to django-csp
    unchanged; the others get the same headers, under the same conditions (``_csp_exempt``,
    ``EXCLUDE_URL_PREFIXES``, a header already set, django-csp's debug-page exemption), and the
    nonce guard after the response (``tests/site/test_csp.py`` compares both paths).
    """

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in _OWN_POLICY
        ):
            return super().process_response(request, response)
        if settings.DEBUG and response.status_code in (500, 404):
            return response
        for header, report_only, exempt, setting in (
            (HEADER, False, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (HEADER_REPORT_ONLY, True, "_csp_exempt_ro", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ):
            text = _plain_policy(report_only)
            if not text or header in response or getattr(response, exempt, False) is not False:
                continue
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[header] = text
        # As django-csp: asking for a nonce once the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
