"""Parents' consent through signed links: the step is done once every pupil is covered, opens
again on withdrawal, and term-wide consent counts for later sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail, signing
from django.utils import timezone

from chaperone.audit.models import AuditEvent
from chaperone.scheduling import consent, services
from chaperone.scheduling.consent import ConsentProblem, ParentalConsent
from chaperone.scheduling.models import Session, StepKind, StepState
from chaperone.scheduling.parent_links import ParentLink, read_link
from tests.scheduling.parents import after_school, family, link_in, token


def _asked() -> list:  # type: ignore[type-arg]
    """The consent requests sent (invitations to staff go out too)."""
    return [m for m in mail.outbox if "your consent for a call" in m.subject]


@pytest.fixture
def fam(tenant_a):  # type: ignore[no-untyped-def]
    return family(tenant_a)


def _plan(fam, capture, **changes) -> Session:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return services.session_plan(
            actor=fam.actor(fam.tutor), school=fam.school, data=after_school(fam, **changes)
        )


def _consent_step(session: Session):  # type: ignore[no-untyped-def]
    return session.steps.get(kind=StepKind.CONSENT)


def _link(session: Session, contact) -> ParentLink:  # type: ignore[no-untyped-def]
    read = read_link(token(session.pk, contact), "consent")
    assert read.link is not None, read.problem
    return read.link


def _give(session: Session, contact, scope: str = "session"):  # type: ignore[no-untyped-def]
    return consent.consent_answer(
        link=_link(session, contact),
        answer="given",
        scope=scope,
        accepts_code=True,
        code_version=consent.PARENT_CODE_VERSION,
    )


def _actions(session: Session) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_id=str(session.pk), action__startswith="session.consent")
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_planning_asks_each_parent_with_responsibility_by_email(
    fam, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    session = _plan(fam, django_capture_on_commit_callbacks)
    assert _consent_step(session).state == StepState.OPEN
    assert [m.to for m in _asked()] == [[fam.mother.email], [fam.father.email]]
    message = _asked()[0]
    assert message.alternatives[0][1] == "text/html"  # type: ignore[attr-defined]
    for sent, contact in zip(_asked(), [fam.mother, fam.father], strict=True):
        link = link_in(sent.body)
        assert link in str(sent.alternatives[0][0])  # type: ignore[attr-defined]
        opened = read_link(link.rstrip("/").rsplit("/", 1)[-1], "consent").link
        assert opened is not None and opened.contact == contact and opened.session == session
    assert "Gran" not in " ".join(m.body for m in _asked())
    assert _actions(session) == ["session.consent_requested"] * 2


def test_consent_through_the_link_completes_the_step(
    fam, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    session = _plan(fam, django_capture_on_commit_callbacks)
    assert session.outcome == "pending"
    services.session_record_parents_informed(
        actor=fam.actor(fam.tutor), session=session, on=timezone.localdate()
    )
    session.refresh_from_db()
    assert session.outcome == "pending"  # consent is the last step
    [row] = _give(session, fam.mother)
    session.refresh_from_db()
    step = _consent_step(session)
    assert step.state == StepState.DONE and step.done_by is None
    assert session.outcome == "allowed" and services.may_start(session)
    assert (row.contact, row.code_version, row.kind) == (
        fam.mother,
        consent.PARENT_CODE_VERSION,
        "written",
    )
    assert row.decided_at is not None and row.scope == "session"
    assert _actions(session)[-1] == "session.consent_given"
    event = AuditEvent.objects.filter(action="session.consent_given").get()
    assert event.details["contact_id"] == fam.mother.pk and "Mona Pupil" in event.details["by"]
    # the log names the parent who acted through their link, not "System"
    assert event.actor_label == "Mona Pupil (parent or carer)"
    assert event.details["code_version"] == consent.PARENT_CODE_VERSION


def test_withdrawing_opens_the_step_again_and_the_session_falls_back(
    fam, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    session = _plan(fam, django_capture_on_commit_callbacks)
    services.session_record_parents_informed(
        actor=fam.actor(fam.tutor), session=session, on=timezone.localdate()
    )
    _give(session, fam.mother)
    session.refresh_from_db()
    assert session.outcome == "allowed"
    [withdrawn] = consent.consent_revoke(link=_link(session, fam.mother))
    session.refresh_from_db()
    assert _consent_step(session).state == StepState.OPEN
    assert session.outcome == "pending" and not services.may_start(session)
    kept = ParentalConsent.objects.get(pk=withdrawn.pk)
    assert kept.revoked_at is not None  # the answer is kept, stamped
    assert _actions(session)[-1] == "session.consent_revoked"
    with pytest.raises(ConsentProblem):  # nothing left to withdraw
        consent.consent_revoke(link=_link(session, fam.mother))


def test_a_refusal_is_recorded_and_consent_needs_the_code_accepted(
    fam, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    session = _plan(fam, django_capture_on_commit_callbacks)
    link = _link(session, fam.father)
    with pytest.raises(ConsentProblem) as problem:
        consent.consent_answer(
            link=link, answer="given", scope="session", accepts_code=False, code_version=""
        )
    assert problem.value.field == "accept_code"
    with pytest.raises(ConsentProblem) as bad_scope:
        consent.consent_answer(
            link=link, answer="given", scope="forever", accepts_code=True, code_version="x"
        )
    assert bad_scope.value.field == "scope"
    assert not ParentalConsent.objects.exists()
    [row] = consent.consent_answer(
        link=link, answer="refused", scope="session", accepts_code=False, code_version=""
    )
    assert row.answer == "refused" and row.code_version == ""
    session.refresh_from_db()
    assert _consent_step(session).state == StepState.OPEN
    assert _actions(session)[-1] == "session.consent_refused"
    # a later answer decides: the mother gives consent after the father refused
    _give(session, fam.mother)
    assert consent.consent_level(session) == "written"


def test_term_consent_counts_for_a_later_session_when_it_is_planned(
    fam, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    first = _plan(fam, django_capture_on_commit_callbacks)
    [row] = _give(first, fam.mother, scope="term")
    term = consent.term_of(consent.session_day(first))
    assert (row.term_starts_on, row.term_ends_on) == (term.starts_on, term.ends_on)
    mail.outbox.clear()
    later = _plan(fam, django_capture_on_commit_callbacks, days=1)
    if consent.term_of(consent.session_day(later)) != term:
        pytest.skip("the next day falls in another term")
    assert _consent_step(later).state == StepState.DONE
    assert _asked() == []  # no request for consent already given
    # withdrawing the term's consent from the first session's link opens both again
    consent.consent_revoke(link=_link(first, fam.mother))
    assert _consent_step(first).state == StepState.OPEN
    assert _consent_step(later).state == StepState.OPEN


def test_a_change_parents_see_asks_them_again(fam, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    session = _plan(fam, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    moved = after_school(fam, days=0)
    moved.starts_at = session.starts_at + timedelta(minutes=30)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_change(actor=fam.actor(fam.tutor), session=session, data=moved)
    assert len(_asked()) == 2
    mail.outbox.clear()
    same = after_school(fam)
    same.starts_at = moved.starts_at
    same.join_url = "https://teams.example.com/join/1"  # parents are not shown it
    with django_capture_on_commit_callbacks(execute=True):
        services.session_change(actor=fam.actor(fam.tutor), session=session, data=same)
    assert _asked() == []


def test_the_host_sends_it_again_and_no_one_else(fam, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    from django.core.exceptions import PermissionDenied

    session = _plan(fam, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        consent.consent_request_resend(actor=fam.actor(fam.tutor), session=session)
    assert len(_asked()) == 2
    event = AuditEvent.objects.filter(action="session.consent_requested").order_by("id").last()
    assert event is not None and event.details["requested_by"] == fam.tutor.pk
    with pytest.raises(PermissionDenied):
        consent.consent_request_resend(actor=fam.actor(fam.head_of_year), session=session)


def test_links_refuse_tampering_the_wrong_purpose_expiry_and_former_contacts(
    fam, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    session = _plan(fam, django_capture_on_commit_callbacks)
    good = token(session.pk, fam.mother)
    assert read_link(good, "consent").link is not None
    tampered = good[:-3] + ("AAA" if good[-3:] != "AAA" else "BBB")
    assert read_link(tampered, "consent").problem == "invalid"
    # the same ids signed for the document page do not open the consent page, and back
    assert read_link(token(session.pk, fam.mother, "document"), "consent").problem == "invalid"
    assert read_link(good, "document").problem == "invalid"
    # a forged payload (another contact) signed without the key
    forged = signing.dumps({"s": session.pk, "c": fam.father.pk, "p": "consent"}, key="guess")
    assert read_link(forged, "consent").problem == "invalid"
    # no parental responsibility: no link works for them
    assert read_link(token(session.pk, fam.grandparent), "consent").problem == "invalid"
    # a day after the session ends, the link has expired
    Session.objects.filter(pk=session.pk).update(
        starts_at=timezone.now() - timedelta(days=1, minutes=31)
    )
    assert read_link(good, "consent").problem == "expired"


def test_implied_consent_where_the_protocol_accepts_it_is_flagged_until_confirmed(
    tenant_a, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    fam = family(tenant_a, implied=True)
    session = _plan(fam, django_capture_on_commit_callbacks)
    services.session_record_parents_informed(
        actor=fam.actor(fam.tutor), session=session, on=timezone.localdate()
    )
    with pytest.raises(ConsentProblem) as no_note:
        consent.consent_record_implied(actor=fam.actor(fam.tutor), session=session, note=" ")
    assert no_note.value.field == "note"
    [implied] = consent.consent_record_implied(
        actor=fam.actor(fam.tutor), session=session, note="Letter home on Monday; no objection."
    )
    session.refresh_from_db()
    assert implied.is_flagged and implied.recorded_by == fam.tutor
    assert consent.consent_level(session) == "implied"
    assert session.outcome == "allowed"
    assert _consent_step(session).note.startswith("Implied")
    _give(session, fam.father)
    implied.refresh_from_db()
    assert not implied.is_flagged  # confirmed by the father's answer
    assert consent.consent_level(session) == "written"


def test_implied_consent_is_refused_where_the_protocol_wants_it_written(
    fam, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    session = _plan(fam, django_capture_on_commit_callbacks)
    with pytest.raises(ConsentProblem):
        consent.consent_record_implied(
            actor=fam.actor(fam.tutor), session=session, note="They know."
        )
    assert not ParentalConsent.objects.exists()


def test_written_consent_on_paper_still_completes_the_step(
    fam, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    session = _plan(fam, django_capture_on_commit_callbacks)
    services.session_record_consent(
        actor=fam.actor(fam.tutor), session=session, note="Signed form from Mrs Pupil."
    )
    step = _consent_step(session)
    assert step.state == StepState.DONE and step.done_by == fam.tutor
    assert consent.consent_level(session) == "none"  # nothing came through the links


def test_a_cancelled_session_takes_no_answers(fam, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    session = _plan(fam, django_capture_on_commit_callbacks)
    link = _link(session, fam.mother)
    services.session_cancel(actor=fam.actor(fam.tutor), session=session, reason="Pupil is ill.")
    with pytest.raises(ConsentProblem):
        consent.consent_answer(
            link=link,
            answer="given",
            scope="session",
            accepts_code=True,
            code_version=consent.PARENT_CODE_VERSION,
        )
    assert not ParentalConsent.objects.exists()


def test_a_change_of_what_the_protocol_asks_sets_session_consent_aside_and_asks_again(
    fam, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    session = _plan(fam, django_capture_on_commit_callbacks)
    [given] = _give(session, fam.mother)
    assert _consent_step(session).state == StepState.DONE
    mail.outbox.clear()
    recorded = after_school(fam, recording=True)
    recorded.starts_at = session.starts_at
    with django_capture_on_commit_callbacks(execute=True):
        services.session_change(actor=fam.actor(fam.tutor), session=session, data=recorded)
    given.refresh_from_db()
    assert given.superseded_at is not None and given.revoked_at is None
    assert _consent_step(session).state == StepState.OPEN
    assert len(_asked()) == 2  # the parents are asked about the changed plan
    reopened = AuditEvent.objects.filter(action="session.steps_reopened").get()
    assert StepKind.CONSENT in reopened.details["steps"]


def test_term_consent_lasts_to_the_end_of_the_term_the_school_set(
    fam, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    """The school's own term dates replace the usual terms: consent "for this term" given in a
    term that ends on the day of the call does not cover a call the next day."""
    from chaperone.tenancy.models import SchoolTerm

    first = _plan(fam, django_capture_on_commit_callbacks)
    day = consent.session_day(first)
    SchoolTerm.objects.create(
        school=fam.school, name="Short term", starts_on=day - timedelta(days=30), ends_on=day
    )
    [row] = _give(first, fam.mother, scope="term")
    assert (row.term_starts_on, row.term_ends_on) == (day - timedelta(days=30), day)
    term = consent.term_of(day, school_id=fam.school.pk)
    assert term.label == "Short term" and term.set_by_school
    later = _plan(fam, django_capture_on_commit_callbacks, days=1)
    assert consent.session_day(later) > day
    assert _consent_step(later).state == StepState.OPEN  # the school's term had ended
