"""What the log says about requests: refusals in one line, faults with their traceback."""

from __future__ import annotations

import logging
import sys

import pytest
from django.urls import reverse

from chaperone.core.logging import ClientErrorsWithoutTraceback
from chaperone.tenancy.roles import Role

pytestmark = pytest.mark.django_db


def test_a_refused_page_is_logged_without_a_traceback(tenant_a, login_as, caplog) -> None:
    client = login_as(tenant_a.school, Role.TEACHER)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(reverse("audit:event_list")).status_code == 403
    refused = [r for r in caplog.records if r.name == "django.request"]
    assert [r.status_code for r in refused] == [403]  # type: ignore[attr-defined]
    assert refused[0].exc_info is None
    assert "Forbidden" in refused[0].getMessage()


def test_a_server_error_keeps_its_traceback() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.LogRecord("django.request", logging.ERROR, "", 0, "x", (), sys.exc_info())
    record.status_code = 500
    assert ClientErrorsWithoutTraceback().filter(record)
    assert record.exc_info is not None
