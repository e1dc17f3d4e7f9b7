"""A concern the DSL marks for disclosure review (who, when, why) is withheld from a subject
access pack with a note until the mark is cleared; concerns not marked go in redacted as
before. The DSL alone sets and clears the mark; both are audited."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from chaperone.audit.models import AuditEvent
from chaperone.concerns import services
from chaperone.concerns.models import PupilRole
from chaperone.records import sar
from tests.conftest import verified_client


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path)


def _two(cast):  # type: ignore[no-untyped-def]
    raise_ = lambda summary: services.concern_raise(  # noqa: E731
        actor=cast.actor(cast.teacher),
        school=cast.school,
        pupils_with_roles=[(cast.pupil, PupilRole.SUBJECT), (cast.pupil2, PupilRole.WITNESS)],
        summary=summary,
    )
    return raise_("Pip said Rory saw him being hit at home."), raise_("Pip was late and tired.")


def test_the_dsl_marks_a_concern_and_the_pack_withholds_it(cast) -> None:  # type: ignore[no-untyped-def]
    marked, _plain = _two(cast)
    dsl = verified_client(cast.dsl)
    url = reverse("concerns:act", args=[marked.pk, "disclosure_mark"])
    # a reason is needed, named by its field
    refused = dsl.post(url, {"disclosure-text": "  "})
    assert refused.status_code == 400
    assert "Why: say why it needs reviewing before any release." in refused.content.decode()
    done = dsl.post(url, {"disclosure-text": "Disclosure may put Pip at risk at home."})
    assert done.status_code == 302
    marked.refresh_from_db()
    assert marked.disclosure_review_by == cast.dsl and marked.disclosure_review_at is not None
    assert marked.disclosure_review_reason == "Disclosure may put Pip at risk at home."
    page = dsl.get(reverse("concerns:detail", args=[marked.pk])).content.decode()
    assert "Marked for disclosure review on" in page and "Clear the disclosure review mark" in page

    pack = sar.build(cast.school, cast.pupil)
    withheld, included = pack["concerns"]
    assert withheld["withheld"] is True and "disclosure review" in withheld["note"]
    assert "hit at home" not in json.dumps(pack)
    assert included["withheld"] is False
    assert included["summary"] == "Pip was late and tired."

    dsl.post(reverse("concerns:act", args=[marked.pk, "disclosure_clear"]))
    marked.refresh_from_db()
    assert marked.disclosure_review_at is None and marked.disclosure_review_reason == ""
    pack = sar.build(cast.school, cast.pupil)
    assert [c["withheld"] for c in pack["concerns"]] == [False, False]
    assert pack["concerns"][0]["summary"] == "Pip said [another pupil] saw him being hit at home."
    actions = sorted(
        AuditEvent.objects.filter(action__startswith="concern.disclosure_review").values_list(
            "action", flat=True
        )
    )
    assert actions == ["concern.disclosure_review_cleared", "concern.disclosure_review_marked"]


def test_only_the_dsl_sets_the_mark(cast) -> None:  # type: ignore[no-untyped-def]
    marked, _plain = _two(cast)
    deputy = verified_client(cast.deputy)
    response = deputy.post(
        reverse("concerns:act", args=[marked.pk, "disclosure_mark"]), {"disclosure-text": "x"}
    )
    assert response.status_code == 302  # back to the concern with "you do not handle this"
    marked.refresh_from_db()
    assert marked.disclosure_review_at is None
    page = deputy.get(reverse("concerns:detail", args=[marked.pk])).content.decode()
    assert "Mark for disclosure review" not in page
    with pytest.raises(services.PermissionDenied):
        services.concern_disclosure_review_mark(
            actor=cast.actor(cast.teacher), concern=marked, reason="x"
        )


def test_the_sar_page_and_the_command_withhold_a_marked_concern(cast, tmp_path) -> None:  # type: ignore[no-untyped-def]
    marked, _plain = _two(cast)
    services.concern_disclosure_review_mark(
        actor=cast.actor(cast.dsl), concern=marked, reason="Police investigation under way."
    )
    call_command("sar", "export", "--pupil", cast.pupil.upn, "--out", str(tmp_path))
    (written,) = tmp_path.glob("sar-*.json")
    data = json.loads(written.read_text())
    assert [c["withheld"] for c in data["concerns"]] == [True, False]
    assert "hit at home" not in written.read_text()
    dsl = verified_client(cast.dsl)
    response = dsl.post(
        reverse("records:sar_list"),
        {"upn": cast.pupil.upn, "requester": "Pip's mother", "received_on": "2026-11-30"},
    )
    assert response.status_code == 302
    page = dsl.get(response["Location"]).content.decode()
    assert "1 concern marked for disclosure review is withheld" in page
