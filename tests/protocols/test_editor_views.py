"""The editor's pages: who may use them, the live preview, saving, errors beside their fields and
a template as a starting point."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from chaperone.protocols import editor
from chaperone.protocols.forms_editor import EditorForm
from chaperone.protocols.models import ProtocolVersion
from chaperone.tenancy.roles import Role

pytestmark = pytest.mark.django_db

EDITOR = reverse("protocols:editor")
PREVIEW = reverse("protocols:editor_preview")


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return "" if value is None else value


def posted(school, kind: str = "school", **changes: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """What the editor form posts when nothing is touched, with ``changes``."""
    target = editor.target_for(school, kind)  # type: ignore[arg-type]
    edits = editor.current_edits(target, timezone.localdate())
    data = {k: _plain(v) for k, v in EditorForm.initial_from(target, edits).items()}
    data["for"] = kind
    data.update(changes)
    return data


def test_only_those_who_manage_the_protocol_may_edit(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    assert login_as(tenant_a.school, Role.TEACHER).get(EDITOR).status_code == 403
    assert login_as(tenant_a.school, Role.TEACHER).post(PREVIEW, {}).status_code == 403
    head = login_as(tenant_a.school, Role.HEADTEACHER)
    assert head.get(EDITOR).status_code == 200
    assert head.get(EDITOR + "?for=trust").status_code == 403


def test_the_page_offers_the_library_with_reasons_and_previews(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    response = login_as(tenant_a.school, Role.HEADTEACHER).get(EDITOR)
    body = response.content.decode()
    assert 'value="chaperone-recommended:school-day"' in body
    assert "Why: Contact out of hours" in body
    assert 'id="preview-staff"' in body and 'id="preview-parent"' in body
    assert "extends" not in body  # no TOML to type


def test_the_preview_shows_documents_and_diff_and_saves_nothing(
    tenant_a, overlay, login_as
) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.HEADTEACHER)
    data = posted(tenant_a.school, retention_days="35", add=["chaperone-recommended:school-day"])
    response = client.post(PREVIEW, data, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert "retention_days: 20 → 35" in body and "+ rule school-day" in body
    assert "kept for 35 days" in body
    assert ProtocolVersion.objects.count() == 2


def test_saving_makes_a_new_version(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.HEADTEACHER)
    data = posted(tenant_a.school, retention_days="35", save="1")
    response = client.post(EDITOR, data)
    version = ProtocolVersion.objects.latest()
    assert response.status_code == 302
    assert response["Location"] == reverse("protocols:version_detail", args=[version.pk])
    assert version.version_label == "2026.2" and version.protocol_id == overlay.protocol_id
    assert "retention_days = 35" in version.source_text


def test_a_loosening_edit_is_refused_beside_its_field(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.HEADTEACHER)
    loosened = posted(tenant_a.school, **{"effect__recorded": "info"}, save="1")
    response = client.post(EDITOR, loosened)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["effect__recorded"]
    assert errors["effect__recorded"][0].startswith("Lowering refuse to info loosens")
    assert ProtocolVersion.objects.count() == 2
    response = client.post(PREVIEW, posted(tenant_a.school, retention_days="3"))
    assert "retention_days" in response.context["form"].errors
    assert 'href="#id_retention_days"' in response.content.decode()


def test_bad_input_is_a_field_error_not_a_crash(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.HEADTEACHER)
    data = posted(tenant_a.school, effective="soon", retention_days="many", add=["nope:nope"])
    response = client.post(EDITOR, {**data, "save": "1"})
    assert response.status_code == 200
    assert {"effective", "retention_days", "add"} <= set(response.context["form"].errors)


def test_a_template_becomes_school_additions(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.HEADTEACHER)
    detail = client.get(reverse("protocols:template_detail", args=["chaperone-recommended"]))
    assert f"{EDITOR}?template=chaperone-recommended" in detail.content.decode()
    response = client.get(EDITOR + "?template=chaperone-recommended")
    body = response.content.decode()
    assert 'id="left-out"' in body and "Google Meet" in body
    form = response.context["form"]
    assert "chaperone-recommended:school-day" in form.initial["add"]
    assert "meet" not in form.initial["platforms"]


def test_the_trust_admin_edits_the_trust_protocol(tenant_a, npat, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(None, Role.TRUST_ADMIN, trust=tenant_a.trust)
    client.post(reverse("school_switch"), {"school": tenant_a.school.pk})
    data = posted(tenant_a.school, "trust", retention_days="25", save="1")
    response = client.post(EDITOR + "?for=trust", data)
    assert response.status_code == 302
    version = ProtocolVersion.objects.latest()
    assert version.protocol.owner_trust_id == tenant_a.trust.pk
    assert "retention_days = 25" in version.source_text


def test_without_a_trust_protocol_the_page_points_to_the_templates(tenant_a, login_as) -> None:  # type: ignore[no-untyped-def]
    response = login_as(tenant_a.school, Role.HEADTEACHER).get(EDITOR)
    assert response.status_code == 200
    assert reverse("protocols:template_list") in response.content.decode()
