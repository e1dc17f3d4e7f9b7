"""The concerns pages: the quick-add and the pupil's page, bad input that keeps what was typed,
forged posts, the step-up before a historic record, and the drafts."""

from __future__ import annotations

import datetime as dt
import tempfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp

from chaperone.audit.models import AuditEvent
from chaperone.concerns import services
from chaperone.concerns.models import Concern, ConcernDraft, PupilRole
from tests.conftest import verified_client


def _client(staff) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(staff.user)
    return client


def _concern(cast) -> Concern:  # type: ignore[no-untyped-def]
    return services.concern_raise(
        actor=cast.actor(cast.teacher),
        school=cast.school,
        pupils_with_roles=[(cast.pupil, PupilRole.SUBJECT)],
        summary="Pip arrived with a cut lip and would not say how.",
    )


def test_every_page_offers_the_quick_add_and_the_pupils_page_too(cast) -> None:  # type: ignore[no-untyped-def]
    client = _client(cast.teacher)
    body = client.get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("concerns:raise")}"' in body and "Raise a concern" in body
    page = client.get(reverse("people:pupil_detail", args=[cast.pupil.pk])).content.decode()
    assert f"{reverse('concerns:raise')}?pupil={cast.pupil.pk}" in page
    form = client.get(reverse("concerns:raise"), {"pupil": cast.pupil.pk}).content.decode()
    assert f'<option value="{cast.pupil.pk}" selected>' in form


def test_empty_facts_keep_everything_typed(cast) -> None:  # type: ignore[no-untyped-def]
    client = _client(cast.teacher)
    response = client.post(
        reverse("concerns:raise"),
        {
            "summary": "  ",
            "childs_words": "I don't want to go home tonight",
            "pupil_0": cast.pupil.pk,
            "role_0": "subject",
            "urgency": "urgent",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "What you saw or heard: say what happened." in body
    assert "I don&#x27;t want to go home tonight" in body
    assert not Concern.objects.exists()
    assert ConcernDraft.objects.get().data["childs_words"] == "I don't want to go home tonight"


def test_a_pupil_of_another_school_is_named_and_nothing_typed_is_lost(cast) -> None:  # type: ignore[no-untyped-def]
    response = _client(cast.teacher).post(
        reverse("concerns:raise"),
        {"summary": "Something worrying", "pupil_0": cast.outsider.pk, "urgency": "routine"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Pupil 1: choose a pupil of this school." in body
    assert "Something worrying" in body
    assert "Olly" not in body


def test_a_50_mb_file_and_a_disguised_one_are_refused_with_the_text_kept(cast) -> None:  # type: ignore[no-untyped-def]
    client = _client(cast.teacher)
    with tempfile.TemporaryDirectory() as folder, open(f"{folder}/scan.pdf", "w+b") as big:
        big.write(b"%PDF-1.7\n")
        big.seek(50 * 1024 * 1024)
        big.write(b"\n")
        big.seek(0)
        response = client.post(
            reverse("concerns:raise"),
            {
                "summary": "A letter from home",
                "pupil_0": cast.pupil.pk,
                "urgency": "routine",
                "attachments": [big, SimpleUploadedFile("photo.jpg", b"MZ\x90\x00not a photo")],
            },
        )
    assert response.status_code == 400
    body = response.content.decode()
    assert "scan.pdf is larger than 10 MB" in body
    assert "photo.jpg is not a JPEG photo" in body
    assert "A letter from home" in body
    assert not Concern.objects.exists()


def test_a_concern_is_raised_from_the_form_and_its_raiser_sees_it(cast) -> None:  # type: ignore[no-untyped-def]
    client = _client(cast.teacher)
    response = client.post(
        reverse("concerns:raise"),
        {
            "summary": "Pip has lost weight and looks tired.",
            "pupil_0": cast.pupil.pk,
            "role_0": "subject",
            "pupil_1": cast.pupil2.pk,
            "role_1": "witness",
            "urgency": "routine",
            "body_map": '[{"side": "back", "x": 50, "y": 30, "note": "bruise"}]',
            "attachments": [SimpleUploadedFile("note.txt", b"what Rory said")],
        },
    )
    concern = Concern.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "concerns:detail", args=[concern.pk]
    )
    assert {link.role for link in concern.pupil_links.all()} == {"subject", "witness"}
    assert concern.attachments.count() == 1 and not ConcernDraft.objects.exists()
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Pip has lost weight" in page.content.decode()


def test_a_forged_action_is_refused_with_a_message(cast) -> None:  # type: ignore[no-untyped-def]
    concern, other = _concern(cast), _concern(cast)
    action = services.concern_action_add(
        actor=cast.actor(cast.dsl), concern=other, kind="monitor", owner_id=cast.dsl.pk
    )
    dsl = verified_client(cast.dsl)
    forged = dsl.post(
        reverse("concerns:act", args=[concern.pk, "action_done"]),
        {"action": action.pk, "outcome": "done"},
    )
    assert forged.status_code == 400
    assert "choose one of this concern" in forged.content.decode()
    # the raiser may read it but not handle it
    raiser = _client(cast.teacher)
    refused = raiser.post(reverse("concerns:act", args=[concern.pk, "acknowledge"]), follow=True)
    assert "You do not handle this concern" in refused.content.decode()
    concern.refresh_from_db()
    assert concern.acknowledged_at is None
    # an unknown step, or someone who may not read it at all: a 404
    assert dsl.post(reverse("concerns:act", args=[concern.pk, "delete"])).status_code == 404
    outsider = _client(cast.tutor)
    assert outsider.post(reverse("concerns:act", args=[concern.pk, "close"])).status_code == 404
    assert outsider.get(reverse("concerns:detail", args=[concern.pk])).status_code == 404


def test_a_historic_concern_asks_for_the_second_factor_again(cast, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CONCERNS_HISTORIC_AFTER_DAYS = 30
    concern = _concern(cast)
    Concern.objects.filter(pk=concern.pk).update(raised_at=timezone.now() - dt.timedelta(days=400))
    dsl = verified_client(cast.dsl)
    first = dsl.get(reverse("concerns:detail", args=[concern.pk]))
    assert first.status_code == 302 and first["Location"].endswith("/step-up/")
    assert not AuditEvent.objects.filter(action="concern.viewed").exists()
    wrong = dsl.post(first["Location"], {"token": "000000"})
    assert wrong.status_code == 400 and "did not match" in wrong.content.decode()
    device = cast.dsl.user.totpdevice_set.get()
    device.throttle_reset()  # (a wrong code makes the next try wait a moment)
    right = dsl.post(first["Location"], {"token": f"{totp(device.bin_key):06d}"})
    assert right.status_code == 302
    assert dsl.get(reverse("concerns:detail", args=[concern.pk])).status_code == 200
    assert AuditEvent.objects.filter(action="concern.step_up").count() == 1


def test_autosave_keeps_a_draft_only_its_author_sees(cast) -> None:  # type: ignore[no-untyped-def]
    client = _client(cast.teacher)
    saved = client.post(reverse("concerns:draft_save"), {"summary": "Half a sentence"})
    draft = ConcernDraft.objects.get()
    assert saved.status_code == 200 and f'value="{draft.pk}"' in saved.content.decode()
    client.post(
        reverse("concerns:draft_save"), {"summary": "Half a sentence, more", "draft": draft.pk}
    )
    assert ConcernDraft.objects.get().data["summary"] == "Half a sentence, more"
    back = client.get(reverse("concerns:raise"), {"draft": draft.pk}).content.decode()
    assert "Half a sentence, more" in back
    someone = _client(cast.tutor)
    theirs = someone.get(reverse("concerns:raise"), {"draft": draft.pk}).content.decode()
    assert "Half a sentence" not in theirs
    assert someone.post(reverse("concerns:draft_discard", args=[draft.pk])).status_code == 404


@pytest.mark.parametrize("who", ["head", "chair"])
def test_the_inbox_of_who_handles_concerns_about_staff(cast, who) -> None:  # type: ignore[no-untyped-def]
    named = cast.teacher if who == "head" else cast.head
    concern = services.concern_raise(
        actor=cast.actor(cast.tutor),
        school=cast.school,
        pupils_with_roles=[],
        summary="Shouted at a pupil on the call.",
        about_staff=named,
    )
    client = verified_client(getattr(cast, who))
    inbox = client.get(reverse("concerns:inbox")).content.decode()
    assert reverse("concerns:detail", args=[concern.pk]) in inbox
    assert client.get(reverse("concerns:low_level")).status_code == 200
    dsl_inbox = verified_client(cast.dsl).get(reverse("concerns:inbox")).content.decode()
    assert reverse("concerns:detail", args=[concern.pk]) not in dsl_inbox
    assert _client(cast.teacher).get(reverse("concerns:inbox")).status_code == 403


def test_the_dsl_keeps_the_schools_categories(cast) -> None:  # type: ignore[no-untyped-def]
    from chaperone.concerns.categories import categories_for

    dsl = verified_client(cast.dsl)
    url = reverse("concerns:categories")
    assert dsl.get(url).status_code == 200
    assert dsl.post(url, {"name": "Radicalisation"}).status_code == 302
    added = next(c for c in categories_for(cast.school) if c.name == "Radicalisation")
    neglect = next(c for c in categories_for(cast.school) if c.code == "neglect")
    dsl.post(url, {"category": neglect.pk, "name": "Neglect and poor care"})  # not ticked: retired
    names = [c.name for c in categories_for(cast.school)]
    assert "Radicalisation" in names and "Neglect and poor care" not in names
    theirs = categories_for(cast.other_school)[0]
    forged = dsl.post(url, {"category": theirs.pk, "name": "Hijacked", "is_active": "on"})
    assert forged.status_code == 400
    assert "Category: choose one of the school" in forged.content.decode()
    theirs.refresh_from_db()
    assert theirs.name != "Hijacked" and added.school == cast.school
    assert _client(cast.teacher).get(url).status_code == 403


def test_urgent_concerns_are_at_the_top_of_the_teams_dashboard(cast) -> None:  # type: ignore[no-untyped-def]
    routine = _concern(cast)
    urgent = services.concern_raise(
        actor=cast.actor(cast.teacher),
        school=cast.school,
        pupils_with_roles=[(cast.pupil2, PupilRole.SUBJECT)],
        summary="Rory said he was going to hurt himself tonight.",
        urgency="urgent",
    )
    body = verified_client(cast.dsl).get(reverse("dashboard")).content.decode()
    card = body.index('data-testid="concerns-card"')
    assert card < body.index("<h2", body.index("</section>", card))  # the first card
    assert "1 urgent, not yet acknowledged" in body
    first = body.index(reverse("concerns:detail", args=[urgent.pk]))
    assert first < body.index(reverse("concerns:detail", args=[routine.pk]))
    teacher = _client(cast.teacher).get(reverse("dashboard")).content.decode()
    assert 'data-testid="concerns-card"' not in teacher


def test_autosave_keeps_text_no_database_refuses(cast) -> None:  # type: ignore[no-untyped-def]
    """Found by the random-input test on PostgreSQL: a NUL character in a draft's text was a
    server error (PostgreSQL stores no NUL in JSON); the draft now keeps the rest."""
    client = _client(cast.teacher)
    saved = client.post(
        reverse("concerns:draft_save"), {"summary": "Half\x00 a sentence", "pupil_0": "\x00"}
    )
    assert saved.status_code == 200
    draft = ConcernDraft.objects.get()
    assert draft.data["summary"] == "Half a sentence"
    long = client.post(reverse("concerns:draft_save"), {"summary": "x" * 50_000, "draft": draft.pk})
    assert long.status_code == 200
    draft.refresh_from_db()
    assert len(draft.data["summary"]) == services.DRAFT_VALUE_LIMIT
