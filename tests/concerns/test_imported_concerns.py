"""The concerns of an imported child protection file are recreated as concern records of the
new school about the pupil: marked as imported from the sending school, kept as they were
sent (added to, never handled or corrected here), made once however often the file comes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chaperone.audit.models import AuditEvent
from chaperone.concerns import services, transfer
from chaperone.concerns.categories import categories_for
from chaperone.concerns.models import Concern, ConcernSource, PupilRole, ReceivedFile
from chaperone.people.actors import actor_for_user
from tests.conftest import verified_client
from tests.factories import PupilFactory, SchoolFactory, TrustFactory, make_staff


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def sent(cast):  # type: ignore[no-untyped-def]
    """A file sealed at Kestrel Primary for Pip: one concern with an addendum and an action."""
    import datetime as dt

    cats = {c.code: c for c in categories_for(cast.school)}
    concern = services.concern_raise(
        actor=cast.actor(cast.teacher),
        school=cast.school,
        pupils_with_roles=[(cast.pupil, PupilRole.ALLEGED_VICTIM)],
        summary="Pip said he is left alone at home overnight.",
        childs_words="Mum goes out and I stay on my own.",
        category=cats["neglect"],
        urgency="urgent",
    )
    team = cast.actor(cast.dsl)
    services.concern_addendum_add(actor=team, concern=concern, text="Spoke to Pip's aunt.")
    services.concern_action_add(
        actor=team, concern=concern, kind="call_parent", owner_id=cast.dsl.pk, due_on=None
    )
    trust = TrustFactory(name="Heron Trust", slug="heron")
    school = SchoolFactory(trust=trust, name="Heron High", urn="444441")
    their_dsl = make_staff(school, "dsl", first_name="Hal", last_name="Heron")
    t = transfer.transfer_start(
        actor=team,
        pupil=cast.pupil,
        leaving_on=dt.date(2026, 3, 2),
        to_school_name=school.name,
        to_school_urn=school.urn,
    )
    arrived = PupilFactory(school=school, first_name="Pip", last_name="Sparrow")
    content = t.bundle.open("rb").read()
    return school, their_dsl, arrived, content


def test_the_files_concerns_become_concern_records_marked_as_imported(cast, sent) -> None:  # type: ignore[no-untyped-def]
    school, their_dsl, arrived, content = sent
    actor = actor_for_user(their_dsl.user)
    received = transfer.bundle_import(actor=actor, pupil=arrived, content=content)
    (made,) = Concern.objects.filter(school=school)
    assert made.imported_from == received and made.source == ConcernSource.PREVIOUS_SCHOOL
    assert made.summary == "Pip said he is left alone at home overnight."
    assert made.childs_words.startswith("Mum goes out")
    assert made.category is not None and made.category.code == "neglect"
    assert made.urgency == "urgent" and made.is_closed
    assert made.source_details["raised_by"] == cast.teacher.full_name
    assert [(link.pupil_id, link.role) for link in made.pupil_links.all()] == [
        (arrived.pk, PupilRole.ALLEGED_VICTIM)
    ]
    texts = [e.text for e in made.entries.all()]
    assert "Spoke to Pip's aunt." in texts
    assert any(t.startswith("Action at the previous school: ") for t in texts)
    assert AuditEvent.objects.filter(action="concern.imported").count() == 1

    client = verified_client(their_dsl)
    page = client.get(reverse("concerns:detail", args=[made.pk])).content.decode()
    assert "came with the child protection file from Kestrel Primary" in page
    assert "Acknowledge" not in page and "Add the action" not in page
    assert "Add to this concern" in page
    chron = client.get(reverse("concerns:chronology", args=[arrived.pk])).content.decode()
    # once, as the concern record (not again from the file's data)
    assert chron.count("Pip said he is left alone at home overnight.") == 1
    assert "Concern at Kestrel Primary" in chron


def test_importing_again_makes_nothing_twice(cast, sent) -> None:  # type: ignore[no-untyped-def]
    school, their_dsl, arrived, content = sent
    actor = actor_for_user(their_dsl.user)
    first = transfer.bundle_import(actor=actor, pupil=arrived, content=content)
    again = transfer.bundle_import(actor=actor, pupil=arrived, content=content)
    assert again == first and ReceivedFile.objects.count() == 1
    assert Concern.objects.filter(school=school).count() == 1
    # through the page as well
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = verified_client(their_dsl).post(
        reverse("concerns:transfer_import"),
        {
            "pupil": str(arrived.pk),
            "kind": "bundle",
            "upload": SimpleUploadedFile("b.zip", content),
        },
    )
    assert response.status_code == 302
    assert Concern.objects.filter(school=school).count() == 1
    assert ReceivedFile.objects.count() == 1


def test_an_imported_concern_is_only_added_to(cast, sent) -> None:  # type: ignore[no-untyped-def]
    school, their_dsl, arrived, content = sent
    actor = actor_for_user(their_dsl.user)
    transfer.bundle_import(actor=actor, pupil=arrived, content=content)
    made = Concern.objects.get(school=school)
    with pytest.raises(services.ConcernProblem, match="kept as they sent it"):
        services.concern_acknowledge(actor=actor, concern=made)
    with pytest.raises(services.ConcernProblem, match="kept as they sent it"):
        services.concern_correct(
            actor=actor,
            concern=made,
            field="pupils",
            reason="Wrong child.",
            pupils_with_roles=[(PupilFactory(school=school), PupilRole.SUBJECT)],
        )
    services.concern_addendum_add(actor=actor, concern=made, text="Read on arrival; no new worry.")
    client = verified_client(their_dsl)
    response = client.post(
        reverse("concerns:act", args=[made.pk, "outcome"]), {"outcome-text": "Changed it"}
    )
    assert response.status_code == 400 and "kept as they sent it" in response.content.decode()
    response = client.get(reverse("concerns:correct_pupils", args=[made.pk]))
    assert response.status_code == 302
    assert made.entries.filter(text="Read on arrival; no new worry.").exists()
    assert not made.entries.filter(kind="outcome").exists()
