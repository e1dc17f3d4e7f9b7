"""The chair of governors' dashboard: the allegations about the headteacher routed to them,
counted (open, LADO stages, outcome, low-level, closed in the year) with the open ones listed
without their facts; nobody else has the card, and the head sees none of it."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chaperone.concerns import selectors, services
from chaperone.concerns.models import ConcernRoute, PupilRole
from tests.conftest import verified_client


def _about_the_head(cast, summary: str):  # type: ignore[no-untyped-def]
    return services.concern_raise(
        actor=cast.actor(cast.teacher),
        school=cast.school,
        pupils_with_roles=[(cast.pupil, PupilRole.WITNESS)],
        summary=summary,
        about_staff=cast.head,
    )


def test_the_chair_sees_the_counts_and_the_open_ones(cast) -> None:  # type: ignore[no-untyped-def]
    first = _about_the_head(cast, "The head shouted at Pip and grabbed his arm.")
    second = _about_the_head(cast, "The head made a remark about a pupil's family.")
    assert first.route == ConcernRoute.CHAIR
    chair = cast.actor(cast.chair)
    services.allegation_update(
        actor=chair,
        concern=second,
        level="low_level",
        lado_consulted_on=None,
        lado_officer="",
        lado_advice="",
        lado_referred_on=None,
        lado_reference="",
        outcome="",
        outcome_notes="",
    )
    board = selectors.allegations_board(actor=chair, school=cast.school)
    assert board is not None
    assert (board.open_count, board.awaiting_lado, board.low_level, board.awaiting_outcome) == (
        2,
        1,
        1,
        2,
    )
    page = verified_client(cast.chair).get(reverse("dashboard")).content.decode()
    assert "Allegations about the headteacher" in page
    assert reverse("concerns:detail", args=[first.pk]) in page
    assert "grabbed his arm" not in page  # the facts open on the concern's page only
    # one more allegation costs no more queries
    with CaptureQueriesContext(connection) as before:
        selectors.allegations_board(actor=chair, school=cast.school)
    _about_the_head(cast, "A third one.")
    with CaptureQueriesContext(connection) as after:
        selectors.allegations_board(actor=chair, school=cast.school)
    assert len(after.captured_queries) == len(before.captured_queries)


def test_nobody_else_has_the_card(cast) -> None:  # type: ignore[no-untyped-def]
    _about_the_head(cast, "The head shouted at Pip.")
    for staff in (cast.head, cast.dsl, cast.deputy, cast.teacher):
        assert selectors.allegations_board(actor=cast.actor(staff), school=cast.school) is None
        page = verified_client(staff).get(reverse("dashboard")).content.decode()
        assert "Allegations about the headteacher" not in page
