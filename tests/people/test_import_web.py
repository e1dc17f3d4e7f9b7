"""The browser flow: upload -> preview -> confirm, for those allowed to import, in their school."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from chaperone.audit.models import AuditEvent
from chaperone.people.models import Pupil
from chaperone.tenancy.roles import Role
from tests.factories import PupilFactory
from tests.people.test_import_support import pupil_rows, pupils_csv, staff_csv, upn

pytestmark = pytest.mark.django_db
START = "/people/import/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media" / "imports"


def upload(client, data: bytes, kind: str = "pupils", name: str = "pupils.csv"):  # type: ignore[no-untyped-def]
    return client.post(START, {"kind": kind, "file": SimpleUploadedFile(name, data, "text/csv")})


def batch_of(response) -> uuid.UUID:  # type: ignore[no-untyped-def]
    assert response.status_code == 302, response.content.decode()[:2000]
    return uuid.UUID(response["Location"].rstrip("/").split("/")[-1])


def test_url_names() -> None:
    batch = uuid.uuid4()
    assert reverse("people:import_start") == START
    assert reverse("people:import_preview", kwargs={"batch": batch}) == f"{START}{batch}/"
    assert reverse("people:import_confirm", kwargs={"batch": batch}) == f"{START}{batch}/confirm/"


def test_school_admin_uploads_previews_and_confirms(tenant_a, login_as, media) -> None:
    client = login_as(tenant_a.school, Role.SCHOOL_ADMIN)
    page = client.get(START)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'for="id_file"' in body and 'aria-describedby="file-hint' in body
    assert "Legal Surname" in body  # the accepted spellings are listed

    batch = batch_of(upload(client, pupils_csv()))
    assert (media / f"{batch}.csv").read_bytes() == pupils_csv()

    preview = client.get(reverse("people:import_preview", kwargs={"batch": batch}))
    assert preview.status_code == 200
    body = preview.content.decode()
    assert "Check the import" in body
    assert "Chidi Okafor" in body and upn(1) in body
    assert "govuk-error-summary" not in body
    assert not Pupil.objects.filter(upn=upn(1)).exists()

    confirm = client.post(reverse("people:import_confirm", kwargs={"batch": batch}))
    assert confirm.status_code == 302
    assert Pupil.objects.filter(school=tenant_a.school, upn=upn(1)).exists()
    assert not (media / f"{batch}.csv").exists()
    event = AuditEvent.objects.get(action="people.pupils_imported")
    assert event.via == "web" and event.actor_user_id is not None

    result = client.get(confirm["Location"])
    assert "Import complete" in result.content.decode()
    assert "Pupils: 4 created" in result.content.decode()

    # a second press of the button does not import twice
    client.post(reverse("people:import_confirm", kwargs={"batch": batch}))
    assert AuditEvent.objects.filter(action="people.pupils_imported").count() == 1


def test_updates_show_their_changes(tenant_a, login_as) -> None:
    PupilFactory(
        school=tenant_a.school, upn=upn(1), first_name="Chidi", last_name="Okafor", year_group=4
    )
    client = login_as(tenant_a.school, Role.SCHOOL_ADMIN)
    batch = batch_of(upload(client, pupils_csv()))
    body = client.get(reverse("people:import_preview", kwargs={"batch": batch})).content.decode()
    assert "Pupils to change" in body
    assert "year group: Year 4 → <strong>Year 5</strong>" in body


def test_invalid_rows_are_summarised_and_need_an_explicit_choice(tenant_a, login_as) -> None:
    rows = pupil_rows()
    rows[2][0] = "A873200121003"
    client = login_as(tenant_a.school, Role.HEADTEACHER)
    batch = batch_of(upload(client, pupils_csv(rows)))
    body = client.get(reverse("people:import_preview", kwargs={"batch": batch})).content.decode()
    assert 'class="govuk-error-summary"' in body
    assert 'href="#problem-1">Line 4, UPN: The check letter does not match' in body
    assert 'id="problem-1"' in body
    assert 'id="id_skip_invalid"' in body

    confirm_url = reverse("people:import_confirm", kwargs={"batch": batch})
    refused = client.post(confirm_url)
    assert refused.status_code == 400
    assert 'href="#id_skip_invalid"' in refused.content.decode()
    assert not Pupil.objects.filter(upn=upn(1)).exists()

    done = client.post(confirm_url, {"skip_invalid": "on"})
    assert done.status_code == 302
    assert Pupil.objects.filter(upn=upn(1)).exists()
    assert not Pupil.objects.filter(upn__startswith="A873200121003").exists()
    result = client.get(done["Location"]).content.decode()
    assert "Rows left out" in result and "check letter" in result


def test_a_file_problem_is_shown_on_the_form(tenant_a, login_as) -> None:
    client = login_as(tenant_a.school, Role.SCHOOL_ADMIN)
    response = upload(client, staff_csv(), kind="pupils")
    assert response.status_code == 400
    body = response.content.decode()
    assert 'href="#id_file">The file is missing a required column: UPN' in body
    assert "govuk-form-group--error" in body

    no_kind = client.post(START, {"file": SimpleUploadedFile("p.csv", pupils_csv())})
    assert no_kind.status_code == 400
    assert 'href="#id_kind_0">Choose what the file holds' in no_kind.content.decode()


def test_records_changed_after_the_preview_are_not_overwritten_blindly(tenant_a, login_as) -> None:
    client = login_as(tenant_a.school, Role.SCHOOL_ADMIN)
    batch = batch_of(upload(client, pupils_csv()))
    client.get(reverse("people:import_preview", kwargs={"batch": batch}))
    PupilFactory(school=tenant_a.school, upn=upn(1), first_name="Someone", last_name="Else")
    confirm_url = reverse("people:import_confirm", kwargs={"batch": batch})
    stale = client.post(confirm_url)
    assert stale.status_code == 409
    assert "Records changed since you opened the preview" in stale.content.decode()
    assert Pupil.objects.get(upn=upn(1)).first_name == "Someone"
    assert client.post(confirm_url).status_code == 302
    assert Pupil.objects.get(upn=upn(1)).first_name == "Chidi"


def test_a_trust_admin_imports_into_the_school_they_are_working_in(tenant_a, login_as) -> None:
    client = login_as(None, Role.TRUST_ADMIN, trust=tenant_a.trust)
    batch = batch_of(upload(client, pupils_csv()))
    client.post(reverse("people:import_confirm", kwargs={"batch": batch}))
    assert Pupil.objects.filter(upn=upn(1)).get().school == tenant_a.school


@pytest.mark.parametrize("role", [Role.TEACHER, Role.DSL, Role.TUTOR])
def test_staff_without_the_import_permission_are_refused(tenant_a, login_as, role) -> None:
    client = login_as(tenant_a.school, role)
    assert client.get(START).status_code == 403
    assert upload(client, pupils_csv()).status_code == 403
    assert not Pupil.objects.filter(upn=upn(1)).exists()
    missing = uuid.uuid4()
    assert (
        client.get(reverse("people:import_preview", kwargs={"batch": missing})).status_code == 404
    )
    assert (
        client.post(reverse("people:import_confirm", kwargs={"batch": missing})).status_code == 404
    )


def test_another_trust_cannot_see_or_confirm_an_upload(tenant_a, tenant_b, login_as) -> None:
    ours = login_as(tenant_a.school, Role.SCHOOL_ADMIN)
    batch = batch_of(upload(ours, pupils_csv()))

    theirs = login_as(tenant_b.school, Role.SCHOOL_ADMIN)
    preview = theirs.get(reverse("people:import_preview", kwargs={"batch": batch}))
    missing = theirs.get(reverse("people:import_preview", kwargs={"batch": uuid.uuid4()}))
    assert preview.status_code == missing.status_code == 404
    assert "Okafor" not in preview.content.decode()
    assert theirs.post(reverse("people:import_confirm", kwargs={"batch": batch})).status_code == 404
    assert not Pupil.objects.filter(upn=upn(1)).exists()

    # their own upload goes to their own school, never ours
    their_batch = batch_of(upload(theirs, pupils_csv()))
    theirs.post(reverse("people:import_confirm", kwargs={"batch": their_batch}))
    assert set(Pupil.objects.filter(upn=upn(1)).values_list("school_id", flat=True)) == {
        tenant_b.school.id
    }
    start = theirs.get(START).content.decode()
    assert "Alpha" not in start


def test_an_upload_is_tied_to_the_school_it_was_made_in(tenant_a, login_as) -> None:
    """A trust admin who switches school cannot confirm the previous school's upload there."""
    client = login_as(None, Role.TRUST_ADMIN, trust=tenant_a.trust)
    batch = batch_of(upload(client, pupils_csv()))
    client.post(reverse("school_switch"), {"school": tenant_a.other_school.pk})
    assert client.post(reverse("people:import_confirm", kwargs={"batch": batch})).status_code == 404
    assert not Pupil.objects.filter(upn=upn(1)).exists()
