"""Raising a concern: each pupil in their own part, named bad input, the route and who is told."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from chaperone.audit.models import AuditEvent
from chaperone.concerns import services
from chaperone.concerns.categories import DEFAULT_CATEGORIES, categories_for
from chaperone.concerns.models import ConcernRoute, ConcernSource, PupilRole, Urgency
from chaperone.concerns.services import ConcernProblem, concern_raise


def _raise(cast, staff=None, **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("pupils_with_roles", [(cast.pupil, PupilRole.SUBJECT)])
    kw.setdefault("summary", "Pip had a bruise on the arm and said a grown-up did it.")
    return concern_raise(actor=cast.actor(staff or cast.teacher), school=cast.school, **kw)


def test_each_pupil_keeps_their_own_part(cast, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        concern = _raise(
            cast,
            pupils_with_roles=[
                (cast.pupil, PupilRole.ALLEGED_VICTIM),
                (cast.pupil2, PupilRole.ALLEGED_PERPETRATOR),
            ],
            category=categories_for(cast.school)[8],
            urgency=Urgency.URGENT,
            childs_words="He pushed me off the wall.",
            body_map=[{"side": "front", "x": 30, "y": 40, "note": "Bruise, left arm"}],
        )
    roles = {link.pupil_id: link.role for link in concern.pupil_links.all()}
    assert roles == {
        cast.pupil.pk: PupilRole.ALLEGED_VICTIM,
        cast.pupil2.pk: PupilRole.ALLEGED_PERPETRATOR,
    }
    assert concern.route == ConcernRoute.SAFEGUARDING
    assert concern.body_map == [{"side": "front", "x": 30.0, "y": 40.0, "note": "Bruise, left arm"}]
    (alert,) = mail.outbox
    assert sorted(alert.to) == sorted([cast.dsl.notice_email, cast.deputy.notice_email])
    assert alert.subject.startswith("URGENT: Safeguarding concern")
    assert cast.head.notice_email not in alert.to
    concern.refresh_from_db()
    assert concern.alert_sent_at is not None
    assert AuditEvent.objects.filter(action="concern.alert_sent").count() == 1


def test_the_defaults_cover_what_the_issue_lists(cast) -> None:  # type: ignore[no-untyped-def]
    names = " ".join(c.name.lower() for c in categories_for(cast.school))
    for word in (
        "physical",
        "emotional",
        "sexual",
        "neglect",
        "online",
        "mental health",
        "attendance",
        "domestic",
        "child-on-child",
        "conduct of an adult",
    ):
        assert word in names
    assert len(categories_for(cast.school)) == len(DEFAULT_CATEGORIES)  # put in place once


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"summary": "   "}, "summary"),
        ({"pupils_with_roles": []}, "pupils"),
        ({"urgency": "whenever"}, "urgency"),
        ({"body_map": [{"side": "top", "x": 1, "y": 1}]}, "body_map"),
    ],
)
def test_bad_input_names_its_field_and_stores_nothing(cast, kwargs, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConcernProblem) as problem:
        _raise(cast, **kwargs)
    assert problem.value.field == field
    assert not cast.school.concerns.exists()


def test_a_pupil_of_another_school_is_refused(cast) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConcernProblem) as problem:
        _raise(cast, pupils_with_roles=[(cast.outsider, PupilRole.SUBJECT)])
    assert problem.value.field == "pupils"
    assert "this school" in problem.value.message


def test_a_category_of_another_school_or_the_future_is_refused(cast) -> None:  # type: ignore[no-untyped-def]
    theirs = categories_for(cast.other_school)[0]
    with pytest.raises(ConcernProblem) as problem:
        _raise(cast, category=theirs)
    assert problem.value.field == "category"
    with pytest.raises(ConcernProblem) as later:
        _raise(cast, occurred_at=timezone.now() + dt.timedelta(days=1))
    assert later.value.field == "occurred_at"


def test_conduct_of_an_adult_needs_the_adult(cast) -> None:  # type: ignore[no-untyped-def]
    adult = next(c for c in categories_for(cast.school) if c.about_an_adult)
    with pytest.raises(ConcernProblem) as problem:
        _raise(cast, category=adult)
    assert problem.value.field == "about_staff"


def test_someone_without_a_role_here_cannot_raise(cast) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import make_staff

    elsewhere = make_staff(cast.other_school, "teacher")
    with pytest.raises(PermissionDenied):
        _raise(cast, staff=elsewhere)


def test_a_concern_about_a_teacher_goes_to_the_head_alone(  # type: ignore[no-untyped-def]
    cast, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        concern = _raise(
            cast,
            staff=cast.tutor,
            about_staff=cast.teacher,
            pupils_with_roles=[],
            source=ConcernSource.PARENT,
            told_by="Mrs Sparrow (parent)",
            summary="A parent says the teacher shouted at pupils in the video lesson.",
        )
    assert concern.route == ConcernRoute.HEADTEACHER
    assert concern.allegation.level == "allegation"
    (alert,) = mail.outbox
    assert alert.to == [cast.head.notice_email]
    assert "shouted" not in alert.body  # the details stay in Chaperone


def test_a_concern_about_the_head_goes_to_the_chair_alone(  # type: ignore[no-untyped-def]
    cast, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        concern = _raise(cast, about_staff=cast.head)
    assert concern.route == ConcernRoute.CHAIR
    (alert,) = mail.outbox
    assert alert.to == [cast.chair.notice_email]
    assert "chair of governors" in alert.body


def test_nobody_names_themselves(cast) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConcernProblem) as problem:
        _raise(cast, about_staff=cast.teacher)
    assert problem.value.field == "about_staff"


def test_a_draft_goes_with_its_files_into_the_concern(cast) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    from chaperone.concerns.attachments import attachment_add

    teacher = cast.actor(cast.teacher)
    draft = services.draft_save(actor=teacher, school=cast.school, data={"summary": "so far"})
    attachment_add(
        actor=teacher, draft=draft, upload=SimpleUploadedFile("note.txt", b"what she wrote")
    )
    concern = _raise(cast, draft=draft)
    assert [a.original_name for a in concern.attachments.all()] == ["note.txt"]
    assert not type(draft).objects.filter(pk=draft.pk).exists()
