"""Uploading versions: who may, what the engine refuses, and that nothing typed is lost."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from chaperone.protocols.demo import primary_overlay_source, template_source
from chaperone.protocols.models import ProtocolVersion
from chaperone.protocols.uploads import ProtocolUploadError
from chaperone.tenancy.roles import Role
from tests.protocols.factories import bump, school_overlay_version

pytestmark = pytest.mark.django_db

UPLOAD = reverse("protocols:upload")


def loosening_overlay(school) -> str:  # type: ignore[no-untyped-def]
    """The demo overlay, but removing the trust's recording rule and lowering its DSL invitation."""
    text = primary_overlay_source(school)
    text = text.replace(
        'deny_platforms = ["meet"]', 'deny_platforms = ["meet"]\nremove_rules = ["recorded"]'
    )
    return text.replace("[raise_effect]\n", '[raise_effect]\ndsl-invited = "info"\n', 1)


def check_and_store(client, text: str):  # type: ignore[no-untyped-def]
    """Post ``text`` to be checked (nothing is stored yet), then confirm the preview."""
    preview = client.post(UPLOAD, {"source_text": text})
    assert preview.status_code == 200, preview.content.decode()[:2000]
    check = preview.context["check"]
    before = ProtocolVersion.objects.count()
    assert ProtocolVersion.objects.count() == before
    return client.post(UPLOAD, {"source_text": text, "sha256": check.sha256, "confirm": "1"})


def test_overlay_that_loosens_is_refused_naming_the_rules(tenant_a, npat) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ProtocolUploadError) as exc:
        school_overlay_version(tenant_a.school, text=loosening_overlay(tenant_a.school))
    problems = exc.value.problems
    assert any(p.startswith("rule 'recorded'") and "loosens" in p for p in problems), problems
    assert any(p.startswith("rule 'dsl-invited': effect") for p in problems), problems
    assert not ProtocolVersion.objects.filter(protocol__owner_school=tenant_a.school).exists()


def test_overlay_is_checked_against_the_trusts_current_version(tenant_a, overlay) -> None:  # type: ignore[no-untyped-def]
    assert overlay.base_version_id is not None
    assert overlay.base_version.protocol.owner_trust_id == tenant_a.trust.pk


def test_overlay_without_a_trust_protocol_is_refused(tenant_a) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ProtocolUploadError) as exc:
        school_overlay_version(tenant_a.school)
    assert exc.value.problems == [
        "extends: your trust has no protocol yet, so there is nothing to add to"
    ]


def test_page_shows_each_problem_and_keeps_the_text(tenant_a, npat, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.HEADTEACHER)
    text = loosening_overlay(tenant_a.school)
    response = client.post(UPLOAD, {"source_text": text})
    assert response.status_code == 200
    body = response.content.decode()
    assert "govuk-error-summary" in body
    numbered = dict(enumerate(text.splitlines(), 1))
    removed = next(n for n, line in numbered.items() if line.startswith("remove_rules"))
    lowered = next(n for n, line in numbered.items() if line.startswith("dsl-invited"))
    assert (
        f"line {removed}: rule &#x27;recorded&#x27;: removing a base rule loosens the protocol"
        in body
    )
    assert (
        f"line {lowered}: rule &#x27;dsl-invited&#x27;: effect: lowering pending to info "
        "loosens the protocol" in body
    )
    assert response.context["form"]["source_text"].value() == text
    assert not ProtocolVersion.objects.filter(protocol__owner_school=tenant_a.school).exists()


def test_file_upload_errors_keep_the_files_text_in_the_box(tenant_a, npat, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.DSL)
    text = loosening_overlay(tenant_a.school)
    upload = SimpleUploadedFile("ours.toml", text.encode(), content_type="application/toml")
    response = client.post(UPLOAD, {"source_text": "", "source_file": upload})
    assert response.status_code == 200
    assert response.context["form"]["source_text"].value() == text
    assert "removing a base rule loosens" in response.content.decode()


def test_not_toml_is_a_readable_error(tenant_a, npat, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.HEADTEACHER)
    response = client.post(UPLOAD, {"source_text": "extends = \nthis is not toml"})
    assert response.status_code == 200
    assert "not valid TOML" in response.content.decode()


def test_good_overlay_redirects_to_the_new_version(tenant_a, npat, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.HEADTEACHER)
    response = check_and_store(client, primary_overlay_source(tenant_a.school))
    version = ProtocolVersion.objects.get(protocol__owner_school=tenant_a.school)
    assert response.status_code == 302
    assert response["Location"] == reverse("protocols:version_detail", args=[version.pk])
    assert version.uploaded_by_name.startswith("Staff")
    assert version.base_version_id == npat.pk
    page = client.get(response["Location"]).content.decode()
    assert "version 2026.1" in page and version.sha256 in page


def test_teachers_cannot_upload(tenant_a, npat, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.TEACHER)
    assert client.get(UPLOAD).status_code == 403
    assert (
        client.post(UPLOAD, {"source_text": primary_overlay_source(tenant_a.school)}).status_code
        == 403
    )
    assert ProtocolVersion.objects.count() == 1


def test_a_school_in_a_trust_cannot_replace_the_trust_protocol(tenant_a, npat, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.HEADTEACHER)
    text = bump(template_source("npat-one-to-one"), "2026.2")
    response = client.post(UPLOAD, {"source_text": text})
    assert (
        "only the trust&#x27;s administrators can replace the trust protocol"
        in response.content.decode()
    )
    assert ProtocolVersion.objects.count() == 1


def test_trust_admin_uploads_the_trust_protocol(tenant_a, npat, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(None, Role.TRUST_ADMIN, trust=tenant_a.trust)
    text = bump(template_source("npat-one-to-one"), "2026.2")
    response = check_and_store(client, text)
    assert response.status_code == 302
    assert npat.protocol.versions.count() == 2


def test_standalone_school_head_uploads_its_own_protocol(tenant_b, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_b.school, Role.HEADTEACHER)
    response = check_and_store(client, template_source("habs-monmouth"))
    assert response.status_code == 302
    version = ProtocolVersion.objects.get()
    assert version.protocol.owner_trust_id == tenant_b.trust.pk


def test_template_prefills_the_upload_form(tenant_b, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_b.school, Role.HEADTEACHER)
    response = client.get(UPLOAD, {"template": "habs-monmouth"})
    assert response.context["form"]["source_text"].value() == template_source("habs-monmouth")


def test_checking_stores_nothing_and_a_changed_text_is_not_stored(tenant_a, npat, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.HEADTEACHER)
    text = primary_overlay_source(tenant_a.school)
    preview = client.post(UPLOAD, {"source_text": text})
    assert "Check before storing: version 2026.1" in preview.content.decode()
    assert not ProtocolVersion.objects.filter(protocol__owner_school=tenant_a.school).exists()
    changed = text.replace("Group calls are not recorded.", "Group calls are never recorded.")
    response = client.post(
        UPLOAD, {"source_text": changed, "sha256": preview.context["check"].sha256, "confirm": "1"}
    )
    assert "the text changed after it was checked" in response.content.decode()
    assert not ProtocolVersion.objects.filter(protocol__owner_school=tenant_a.school).exists()


def test_text_with_windows_line_breaks_stores_with_the_checked_hash(
    tenant_a, npat, login_as
) -> None:  # type: ignore[no-untyped-def]
    """Browsers send CRLF; the preview's hidden copy comes back the same way."""
    client = login_as(tenant_a.school, Role.HEADTEACHER)
    text = primary_overlay_source(tenant_a.school).replace("\n", "\r\n")
    assert check_and_store(client, text).status_code == 302
    stored = ProtocolVersion.objects.get(protocol__owner_school=tenant_a.school)
    assert "\r" not in stored.source_text


def test_a_future_version_is_announced_as_scheduled(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    """Newcomer defect 12: a version in force from a later date said "now in force"."""
    client = login_as(tenant_a.school, Role.HEADTEACHER)
    text = (
        bump(primary_overlay_source(tenant_a.school), "2027.1")
        .replace("effective = 2026-09-01", "effective = 2099-01-04", 1)
        .replace("review = 2027-09-01", "review = 2100-01-04", 1)
    )
    preview = client.post(UPLOAD, {"source_text": text}).content.decode()
    assert "Scheduled from 4 January 2099" in preview
    response = check_and_store(client, text)
    page = client.get(response["Location"], follow=True).content.decode()
    assert "scheduled from 4 January 2099" in page and "now in force" not in page
    assert "Scheduled from</dt>" in page
    history = client.get(reverse("protocols:history")).content.decode()
    assert "Scheduled from 4 January 2099" in history
    current = client.get(reverse("protocols:current"))
    assert current.context["effective"].school_version.pk == overlay.pk  # not followed yet
    assert "is scheduled from 4 January 2099" in current.content.decode()


def test_errors_in_a_rule_name_its_line(tenant_a, npat, login_as) -> None:  # type: ignore[no-untyped-def]
    text = primary_overlay_source(tenant_a.school).replace(
        'when = { kind = ["group"] }', 'when = { kinds = ["group"] }', 1
    )
    response = login_as(tenant_a.school, Role.HEADTEACHER).post(UPLOAD, {"source_text": text})
    line = next(
        n for n, row in enumerate(text.splitlines(), 1) if row == 'id = "parent-present-for-groups"'
    )
    errors = response.context["form"].errors["source_text"]
    assert errors == [
        f"line {line}: rule 'parent-present-for-groups': when.kinds: unknown condition 'kinds'"
    ]
