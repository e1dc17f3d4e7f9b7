"""Fixtures for protocol tests: stored protocols for tenant A and a real local SMTP server."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from chaperone.protocols.effective import protocol_cache
from chaperone.protocols.models import ProtocolVersion
from tests.protocols.factories import school_overlay_version, trust_version


@pytest.fixture(autouse=True)
def _fresh_protocol_cache() -> Iterator[None]:
    protocol_cache.clear()
    yield
    protocol_cache.clear()


@pytest.fixture
def npat(tenant_a) -> ProtocolVersion:  # type: ignore[no-untyped-def]
    """Tenant A's trust follows the NPAT one-to-one template."""
    return trust_version(tenant_a.trust, "npat-one-to-one")


@pytest.fixture
def overlay(tenant_a, npat) -> ProtocolVersion:  # type: ignore[no-untyped-def]
    """Tenant A's primary school adds its tighter rules."""
    return school_overlay_version(tenant_a.school)


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        content = envelope.content.decode("utf-8", errors="replace")
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_inbox(settings) -> Iterator[Inbox]:  # type: ignore[no-untyped-def]
    """A real SMTP server on 127.0.0.1; Django sends to it over SMTP."""
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield inbox
    finally:
        controller.stop()
