"""The page that corrects who a concern is about: for whoever handles it, with a reason kept
in the history and the audit; bad input named by the field, what was chosen kept."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from chaperone.audit.models import AuditEvent
from chaperone.concerns import services
from chaperone.concerns.models import ConcernEntry, PupilRole
from tests.conftest import verified_client


def _concern(cast):  # type: ignore[no-untyped-def]
    return services.concern_raise(
        actor=cast.actor(cast.teacher),
        school=cast.school,
        pupils_with_roles=[(cast.pupil, PupilRole.SUBJECT)],
        summary="Pip said an older pupil takes his lunch money every day.",
    )


def test_the_dsl_corrects_the_pupils_with_a_reason(cast) -> None:  # type: ignore[no-untyped-def]
    concern = _concern(cast)
    dsl = verified_client(cast.dsl)
    url = reverse("concerns:correct_pupils", args=[concern.pk])
    page = dsl.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert f'<option value="{cast.pupil.pk}" selected>' in body
    assert cast.outsider.display_name not in body  # another school's pupil is not offered
    response = dsl.post(
        url,
        {
            "pupil_0": str(cast.pupil2.pk),
            "role_0": PupilRole.ALLEGED_PERPETRATOR,
            "pupil_1": str(cast.pupil.pk),
            "role_1": PupilRole.ALLEGED_VICTIM,
            "reason": "Rory is the older pupil Pip meant; Pip is the one it happens to.",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith(
        reverse("concerns:detail", args=[concern.pk])
    )
    assert {(link.pupil_id, link.role) for link in concern.pupil_links.all()} == {
        (cast.pupil2.pk, PupilRole.ALLEGED_PERPETRATOR),
        (cast.pupil.pk, PupilRole.ALLEGED_VICTIM),
    }
    entry = ConcernEntry.objects.get(concern=concern, kind="correction")
    assert entry.details["field"] == "pupils" and entry.text.startswith("Rory is")
    assert entry.details["old"] == [[cast.pupil.pk, PupilRole.SUBJECT]]
    event = AuditEvent.objects.filter(action="concern.corrected").get()
    assert event.details == {"field": "pupils"}
    detail = dsl.get(reverse("concerns:detail", args=[concern.pk])).content.decode()
    assert "Correct who it is about" in detail


def test_bad_input_is_named_by_its_field_and_keeps_the_choices(cast) -> None:  # type: ignore[no-untyped-def]
    concern = _concern(cast)
    dsl = verified_client(cast.dsl)
    url = reverse("concerns:correct_pupils", args=[concern.pk])
    # no reason: the choices stay
    response = dsl.post(url, {"pupil_0": str(cast.pupil2.pk), "role_0": "witness", "reason": " "})
    body = response.content.decode()
    assert response.status_code == 400 and "Reason: say why it is corrected." in body
    assert f'<option value="{cast.pupil2.pk}" selected>' in body
    # a pupil of another school, forged into the POST
    response = dsl.post(url, {"pupil_0": str(cast.outsider.pk), "reason": "Wrong child."})
    assert response.status_code == 400
    assert "Pupil 1: choose a pupil of this school." in response.content.decode()
    # the same pupil twice, a part that does not exist, nobody at all, nothing changed
    response = dsl.post(
        url, {"pupil_0": str(cast.pupil.pk), "pupil_1": str(cast.pupil.pk), "reason": "x"}
    )
    assert "Pupil 2: already chosen as pupil 1" in response.content.decode()
    response = dsl.post(url, {"pupil_0": str(cast.pupil.pk), "role_0": "boss", "reason": "x"})
    assert "Pupil 1&#x27;s part: choose one of the list." in response.content.decode()
    response = dsl.post(url, {"reason": "Nobody?"})
    assert "Pupils: choose at least one pupil." in response.content.decode()
    response = dsl.post(url, {"pupil_0": str(cast.pupil.pk), "role_0": "subject", "reason": "x"})
    assert "names already" in response.content.decode()
    assert not ConcernEntry.objects.filter(kind="correction").exists()
    assert [link.pupil_id for link in concern.pupil_links.all()] == [cast.pupil.pk]


def test_htmx_gets_the_form_alone_and_a_redirect_when_done(cast) -> None:  # type: ignore[no-untyped-def]
    concern = _concern(cast)
    dsl = verified_client(cast.dsl)
    url = reverse("concerns:correct_pupils", args=[concern.pk])
    htmx = {"HTTP_HX_REQUEST": "true"}
    refused = dsl.post(url, {"pupil_0": str(cast.pupil2.pk)}, **htmx)
    assert refused.status_code == 200  # htmx swaps only a 2xx answer
    assert "Reason: say why it is corrected." in refused.content.decode()
    assert refused.content.decode().lstrip().startswith('<div id="correct-pupils">')
    done = dsl.post(url, {"pupil_0": str(cast.pupil2.pk), "reason": "Wrong child."}, **htmx)
    assert done.status_code == 204
    assert done["HX-Redirect"] == reverse("concerns:detail", args=[concern.pk])


def test_only_whoever_handles_it_corrects_it(cast) -> None:  # type: ignore[no-untyped-def]
    concern = _concern(cast)
    url = reverse("concerns:correct_pupils", args=[concern.pk])
    raiser = Client()
    raiser.force_login(cast.teacher.user)
    # the raiser reads their own concern but does not handle it
    assert raiser.get(url).status_code == 403
    assert raiser.post(url, {"pupil_0": str(cast.pupil2.pk), "reason": "x"}).status_code == 403
    tutor = Client()
    tutor.force_login(cast.tutor.user)
    assert tutor.get(url).status_code == 404
    assert [link.pupil_id for link in concern.pupil_links.all()] == [cast.pupil.pk]
