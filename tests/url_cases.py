"""How the isolation test exercises every URL pattern. A pattern missing here fails the suite.

"The other tenant" is either another trust, or the other school of the signed-in person's own
trust. Each case says how to reach the URL as a signed-in person of tenant A when the object
belongs to the other tenant:

* object URLs must answer 404 exactly as for an id that does not exist;
* collection pages (and their searches, filters, pages and htmx partials) must show none of the
  other tenant's own rows (:func:`seed_rows` makes them; :meth:`Seeded.strings` reads them back
  from the database), and must answer 200 to everyone the policy lets in, 403 to the rest;
* actions (POST) that name the other tenant's rows must neither show nor change them;
* token URLs (a calendar feed's secret address, reached without signing in) must answer a bad
  or revoked token with a 404 identical to a missing one, signed in or not (``make`` builds a
  revoked token).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chaperone.people.models import (
    Contact,
    Household,
    Pupil,
    Role,
    SocialCareStatus,
    StaffMember,
)
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor
from tests.factories import ContactFactory, PupilFactory, StaffFactory, make_staff

Allowed = Callable[[Actor, School], bool]


@dataclass(frozen=True)
class Case:
    kind: str  # "public" | "collection" | "object" | "action" | "auth" | "token"
    #: object/action cases: build the other tenant's object, return the URL kwargs
    make: Callable[[Any], dict[str, Any]] | None = None
    #: kwargs naming an object that does not exist
    missing: dict[str, Any] = field(default_factory=dict)
    method: str = "get"
    data: dict[str, Any] = field(default_factory=dict)
    #: object cases whose other-trust object is legitimately shared within one trust (the trust
    #: protocol): how to build the sibling school's own object instead
    make_sibling: Callable[[Any], dict[str, Any]] | None = None
    #: collection cases: who the policy lets in (None: everyone signed in)
    allowed: Allowed | None = None
    #: collection cases: query strings to try beyond the bare page, from the other tenant's rows
    queries: Callable[[Seeded], list[dict[str, str]]] | None = None
    #: action cases: POST data naming the other tenant's rows
    post_data: Callable[[Seeded], dict[str, Any]] | None = None


def _can(action: str) -> Allowed:
    return lambda actor, school: actor.can(action, school.pk)


def _may_upload(actor: Actor, school: School) -> bool:
    from chaperone.protocols.services import may_upload

    return may_upload(actor, school)


def _may_see_confirmations(actor: Actor, school: School) -> bool:
    from chaperone.people.grants import may_see_confirmations

    return may_see_confirmations(actor, school)


def _may_see_holds(actor: Actor, school: School) -> bool:
    """The safeguarding team, and the head and the chair (the holds for their allegations)."""
    from chaperone.concerns.selectors import keeps_low_level_log

    return actor.can("records.hold", school.pk) or keeps_low_level_log(actor, school.pk)


def _may_view_trust_log(actor: Actor, school: School) -> bool:
    from chaperone.audit.selectors import may_view_trust_log

    return may_view_trust_log(actor, school.trust)


# --- the other tenant's own rows ----------------------------------------------------------------


@dataclass
class Seeded:
    """Rows of one tenant's school, with values found nowhere else."""

    school: School
    pupil: Pupil
    household: Household
    contact: Contact
    staff: StaffMember

    def strings(self) -> set[str]:
        """Every identifying value of the school's own people and audit events, read back from
        the database (long enough not to occur by chance)."""
        from chaperone.audit.models import AuditEvent

        found: set[str] = {self.school.name}
        for p in Pupil.objects.filter(school=self.school):
            found |= {p.display_name, p.upn}
        households = Household.objects.filter(pupils__school=self.school).distinct()
        for h in households:
            found |= {h.name, h.reference, *h.address.splitlines(), h.postcode}
        for c in Contact.objects.filter(household__in=households):
            found |= {str(c), c.email, c.phone}
        for s in StaffMember.objects.filter(assignments__school=self.school):
            found |= {s.full_name, s.email, s.phone, s.staff_ref}
        from chaperone.scheduling.models import Session

        found |= set(Session.objects.filter(school=self.school).values_list("title", flat=True))
        from chaperone.tenancy.models import SchoolTerm

        found |= set(SchoolTerm.objects.filter(school=self.school).values_list("name", flat=True))
        for e in AuditEvent.objects.filter(school_id=self.school.pk):
            found |= {e.target_label, e.actor_label}
        return {s for s in found if len(s) >= 6}

    def snapshot(self) -> list[list[dict[str, Any]]]:
        """The school's own rows, to show an action changed none of them."""
        from django.db.models import Q

        from chaperone.protocols.models import ProtocolAcknowledgement

        households = Household.objects.filter(pupils__school=self.school).distinct()
        own_versions = Q(version__protocol__owner_school=self.school)
        if self.school.trust.is_standalone:
            own_versions |= Q(version__protocol__owner_trust=self.school.trust)
        querysets = [
            Pupil.objects.filter(school=self.school),
            households,
            Contact.objects.filter(household__in=households),
            StaffMember.objects.filter(assignments__school=self.school),
            ProtocolAcknowledgement.objects.filter(own_versions),
        ]
        return [list(qs.order_by("pk").values()) for qs in querysets]


def seed_rows(school: School) -> Seeded:
    """A pupil on a child protection plan with a household and a parent, a member of staff, and
    audit events of their being looked at, all at ``school`` only."""
    from chaperone.audit.log import record
    from chaperone.people.actors import actor_for_user

    tag = uuid.uuid4().hex[:6]
    pupil = PupilFactory(
        school=school,
        first_name=f"Quinby{tag}",
        last_name=f"Zedwell{tag}",
        social_care_status=SocialCareStatus.CP,
        is_vulnerable=True,
        household__name=f"Zedwell{tag} family",
        household__reference=f"ZH{tag}",
        household__address=f"{tag[:2]} Larkspur Close{tag}\nEastwick{tag}",
        household__postcode="ZZ9 9ZZ",
    )
    contact = ContactFactory(
        household=pupil.household,
        first_name=f"Marlo{tag}",
        last_name=f"Zedwell{tag}",
        email=f"marlo.{tag}@example.net",
        phone=f"+4477009{int(tag, 16) % 100000:05d}",
    )
    staff = make_staff(
        school,
        Role.TEACHER,
        first_name=f"Ottoline{tag}",
        last_name=f"Vark{tag}",
        email=f"ottoline.{tag}@example.net",
        phone=f"+4477008{int(tag, 16) % 100000:05d}",
        staff_ref=f"ZS{tag}",
        dbs_checked_on=dt.date(2021, 2, 3),
    )
    _seed_records(school, _seed_session(school, staff, pupil, tag), staff)
    _seed_welfare(school, staff, pupil)
    from chaperone.tenancy.models import SchoolTerm

    SchoolTerm.objects.create(
        school=school,
        name=f"Wintertide{tag}",
        starts_on=dt.date(2027, 1, 4),
        ends_on=dt.date(2027, 3, 26),
    )
    viewer = actor_for_user(staff.user)
    record("pupil.viewed", actor=viewer, target=pupil)
    record("household.viewed", actor=viewer, target=pupil.household, school_id=school.pk)
    record("staff.viewed", actor=viewer, target=staff, school_id=school.pk)
    return Seeded(school, pupil, pupil.household, contact, staff)


def _seed_session(school: School, host: StaffMember, pupil: Pupil, tag: str) -> Any:
    """A session at ``school`` tomorrow, so timetables and session lists have the tenant's rows."""
    from django.utils import timezone

    from chaperone.scheduling.models import Session, SessionPupil

    session = Session.objects.create(
        school=school,
        title=f"Catch-up {tag}",
        kind="one_to_one",
        purpose="pastoral",
        host=host,
        planned_by=host,
        starts_at=timezone.now() + dt.timedelta(days=1),
        duration_minutes=30,
        platform="teams",
        outcome="pending",
    )
    SessionPupil.objects.create(session=session, pupil=pupil)
    return session


def _seed_welfare(school: School, caller: StaffMember, pupil: Pupil) -> Any:
    """A welfare rota at ``school`` with today's call to the pupil's family by ``caller``, its
    log, and an escalation, so the welfare pages have the tenant's rows."""
    from django.utils import timezone

    from chaperone.welfare.models import (
        CallerAvailability,
        CallLog,
        Escalation,
        EscalationStep,
        PlannedCall,
        RotaRun,
    )

    today = timezone.localdate()
    run = RotaRun.objects.create(
        trust=school.trust,
        title="Closure rota",
        first_day=today,
        last_day=today,
        days=[today.isoformat()],
        status="planned",
    )
    run.schools.set([school])
    CallerAvailability.objects.create(staff=caller, school_phone="ext 1")
    call = PlannedCall.objects.create(
        run=run, household=pupil.household, staff=caller, day=today, tier="daily"
    )
    CallLog.objects.create(
        household=pupil.household, planned_call=call, caller=caller, day=today, outcome="no_answer"
    )
    escalation = Escalation.objects.create(household=pupil.household, school=school)
    EscalationStep.objects.create(
        escalation=escalation, step="dsl_review", due_at=timezone.now() + dt.timedelta(days=1)
    )
    return escalation


def _welfare_call(t):  # type: ignore[no-untyped-def]
    escalation = _seed_welfare(
        t.school, make_staff(t.school, "tutor"), PupilFactory(school=t.school)
    )
    from chaperone.welfare.models import PlannedCall

    return {"pk": PlannedCall.objects.get(household=escalation.household).pk}


def _welfare_run(t):  # type: ignore[no-untyped-def]
    from chaperone.welfare.models import RotaRun

    _seed_welfare(t.school, make_staff(t.school, "tutor"), PupilFactory(school=t.school))
    return {"pk": RotaRun.objects.filter(schools=t.school).latest("pk").pk}


def _welfare_escalation(t):  # type: ignore[no-untyped-def]
    escalation = _seed_welfare(
        t.school, make_staff(t.school, "tutor"), PupilFactory(school=t.school)
    )
    return {"pk": escalation.pk}


def _welfare_step(t):  # type: ignore[no-untyped-def]
    escalation = _seed_welfare(
        t.school, make_staff(t.school, "tutor"), PupilFactory(school=t.school)
    )
    return {"pk": escalation.steps.get().pk}


def _welfare_school(t):  # type: ignore[no-untyped-def]
    return {"school_id": t.school.pk}


def _seed_records(school: School, session: Any, staff: StaffMember) -> None:
    """A recording of the session in the register, opened once and held (records, issue #12)."""
    from django.utils import timezone

    from chaperone.records.models import LegalHold, Recording, RecordingAccess

    recording = Recording.objects.create(
        school=school,
        session=session,
        source="teams",
        link="https://example.sharepoint.com/rec/1",
        recorded_by=staff,
        added_by=staff,
    )
    RecordingAccess.objects.create(
        school=school,
        recording=recording,
        staff=staff,
        reason=f"Reviewing {session.title}",
        expires_at=timezone.now(),
    )
    LegalHold.objects.create(
        school=school,
        record_type="recording",
        object_id=recording.pk,
        label=f"Recording of {session.title}",
        reason=f"Held for {session.title}",
        placed_by=staff,
    )


def _recording(t):  # type: ignore[no-untyped-def]
    host = make_staff(t.school, "tutor")
    session = _seed_session(t.school, host, PupilFactory(school=t.school), "r")
    _seed_records(t.school, session, host)
    from chaperone.records.models import Recording

    return {"pk": Recording.objects.get(session=session).pk}


def _hold(t):  # type: ignore[no-untyped-def]
    from chaperone.records.models import LegalHold

    return {"pk": LegalHold.objects.get(object_id=_recording(t)["pk"]).pk}


def _session_log(t):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from chaperone.scheduling.conduct import SessionLog

    host = make_staff(t.school, "tutor")
    session = _seed_session(t.school, host, PupilFactory(school=t.school), "l")
    now = timezone.now()
    entry = SessionLog.objects.create(
        session=session,
        actual_start=now - dt.timedelta(minutes=30),
        actual_end=now,
        recording_made=True,
        written_by=host,
    )
    return {"pk": entry.pk}


def _recording_token(t):  # type: ignore[no-untyped-def]
    """A signed address to another person's recording, since expired."""
    from django.core import signing

    from chaperone.records.models import RecordingAccess
    from chaperone.records.services import SIGNING_SALT

    recording = _recording(t)["pk"]
    access = RecordingAccess.objects.get(recording_id=recording)
    token = signing.dumps({"a": access.pk, "r": recording, "u": 0}, salt=SIGNING_SALT)
    return {"token": token}


def _sar(t):  # type: ignore[no-untyped-def]
    from chaperone.records.models import SubjectAccessRequest

    dsl = make_staff(t.school, "dsl")
    request = SubjectAccessRequest.objects.create(
        school=t.school,
        pupil=PupilFactory(school=t.school),
        requester="A parent",
        received_on=dt.date(2026, 11, 2),
        due_on=dt.date(2026, 12, 2),
        logged_by=dsl,
    )
    return {"pk": request.pk}


def _revoked_feed(t):  # type: ignore[no-untyped-def]
    """A timetable feed address of a DSL at ``t``'s school, made and then revoked."""
    from chaperone.people.actors import actor_for_user
    from chaperone.scheduling.feeds import feed_create, feed_revoke

    dsl = make_staff(t.school, Role.DSL)
    actor = actor_for_user(dsl.user)
    _, token = feed_create(actor=actor, school=t.school, kind="timetable")
    feed_revoke(actor=actor, school=t.school, kind="timetable")
    return {"token": token}


def _session(t):  # type: ignore[no-untyped-def]
    host = make_staff(t.school, "tutor")
    return {"pk": _seed_session(t.school, host, PupilFactory(school=t.school), "x").pk}


def _session_step(t):  # type: ignore[no-untyped-def]
    return {**_session(t), "kind": "invite_dsl"}


# --- objects ------------------------------------------------------------------------------------


def _concern(t):  # type: ignore[no-untyped-def]
    from chaperone.concerns.models import Concern, ConcernPupil

    raiser = make_staff(t.school, "teacher")
    concern = Concern.objects.create(
        school=t.school, raised_by=raiser, summary="Zedwell bruise", source="staff"
    )
    ConcernPupil.objects.create(concern=concern, pupil=PupilFactory(school=t.school))
    return {"pk": concern.pk}


def _concern_act(t):  # type: ignore[no-untyped-def]
    return {**_concern(t), "what": "acknowledge"}


def _concern_file(t):  # type: ignore[no-untyped-def]
    from django.core.files.base import ContentFile

    from chaperone.concerns.models import Concern, ConcernAttachment

    kwargs = _concern(t)
    concern = Concern.objects.get(pk=kwargs["pk"])
    kept = ConcernAttachment(
        school=t.school,
        concern=concern,
        original_name="note.txt",
        content_type="text/plain",
        size=5,
        sha256="0" * 64,
        uploaded_by=concern.raised_by,
    )
    kept.file.save("note.txt", ContentFile(b"hello"), save=False)
    kept.save()
    return {**kwargs, "file_pk": kept.pk}


def _concern_draft(t):  # type: ignore[no-untyped-def]
    from chaperone.concerns.models import ConcernDraft

    author = make_staff(t.school, "teacher")
    return {"pk": ConcernDraft.objects.create(school=t.school, author=author).pk}


def _handles_concerns(actor: Actor, school: School) -> bool:
    from chaperone.concerns.selectors import handles_concerns_at

    return handles_concerns_at(actor, school.pk)


def _keeps_low_level_log(actor: Actor, school: School) -> bool:
    from chaperone.concerns.selectors import keeps_low_level_log

    return keeps_low_level_log(actor, school.pk)


def _pupil(t):  # type: ignore[no-untyped-def]
    return {"pk": PupilFactory(school=t.school).pk}


def _household(t):  # type: ignore[no-untyped-def]
    pupil = PupilFactory(school=t.school)
    ContactFactory(household=pupil.household)
    return {"pk": pupil.household.pk}


def _staff(t):  # type: ignore[no-untyped-def]
    from chaperone.people.models import StaffAssignment

    staff = StaffFactory(trust=t.trust)
    StaffAssignment.objects.create(staff=staff, school=t.school, role="teacher")
    return {"pk": staff.pk}


def _waiting_grant(t):  # type: ignore[no-untyped-def]
    """A DSL grant awaiting confirmation at the other tenant's school."""
    from django.utils import timezone

    from chaperone.people.models import StaffAssignment

    head = make_staff(t.school, "headteacher")
    staff = StaffFactory(trust=t.trust)
    grant = StaffAssignment.objects.create(
        staff=staff,
        school=t.school,
        role="dsl",
        awaiting_confirmation=True,
        granted_by=head,
        granted_at=timezone.now(),
    )
    return {"pk": grant.pk}


def _trust_version(trust):  # type: ignore[no-untyped-def]
    from chaperone.protocols.models import ProtocolVersion
    from tests.protocols.factories import trust_version

    existing = ProtocolVersion.objects.filter(protocol__owner_trust=trust).first()
    return existing or trust_version(trust, "npat-one-to-one")


def _protocol_version(t):  # type: ignore[no-untyped-def]
    return {"pk": _trust_version(t.trust).pk}


def _school_protocol_version(t):  # type: ignore[no-untyped-def]
    """The school's own additions to the trust protocol (the trust protocol itself is shared)."""
    from tests.protocols.factories import school_overlay_version

    _trust_version(t.trust)
    return {"pk": school_overlay_version(t.school).pk}


def _protocol_school(t):  # type: ignore[no-untyped-def]
    _trust_version(t.trust)
    return {"school_id": t.school.pk, "audience": "staff"}


def _audit_event(t):  # type: ignore[no-untyped-def]
    from chaperone.audit.log import record

    pupil = PupilFactory(school=t.school)
    return {"pk": record("pupil.viewed", actor=None, target=pupil).pk}


def _import_batch(t):  # type: ignore[no-untyped-def]
    """The other school's administrator uploads a pupils CSV; the batch id is theirs alone."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.urls import reverse

    from tests.people.test_import_support import pupils_csv

    client = Client()
    client.force_login(make_staff(t.school, "school_admin").user)
    response = client.post(
        reverse("people:import_start"),
        {"kind": "pupils", "file": SimpleUploadedFile("p.csv", pupils_csv())},
    )
    return {"batch": uuid.UUID(response["Location"].rstrip("/").rsplit("/", 1)[-1])}


# --- POST data naming the other tenant's rows --------------------------------------------------


def _households_csv(s: Seeded) -> dict[str, Any]:
    """A households import naming the other school's family: the preview must not show its
    stored address or parent, and nothing of it may change."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = (
        "Household Ref,Contact Forename,Contact Surname,Email,Phone,Address,Postcode,Priority\r\n"
        f"{s.household.reference},Mallory,Probe,probe@example.com,,1 Probe Street,NX1 1AA,1\r\n"
    )
    return {"kind": "households", "file": SimpleUploadedFile("h.csv", csv.encode())}


def _their_version(s: Seeded) -> dict[str, Any]:
    """Acknowledging the other tenant's own version (for a sibling school: its additions)."""
    from types import SimpleNamespace

    t = SimpleNamespace(trust=s.school.trust, school=s.school)
    own = _protocol_version(t) if s.school.trust.is_standalone else _school_protocol_version(t)
    return {"version": [str(own["pk"])]}


MISSING_PK = {"pk": 987654321}
MISSING_BATCH = {"batch": uuid.UUID(int=0)}


def _people_search(s: Seeded) -> list[dict[str, str]]:
    return [
        {"q": s.pupil.last_name},
        {"q": s.pupil.upn},
        {"flag": "cp"},
        {"flag": "vulnerable", "year": str(s.pupil.year_group)},
        {"page": "2"},
    ]


URL_CASES: dict[str, Case] = {
    "healthz": Case("public"),
    "login": Case("public"),
    "logout": Case("auth", method="post"),
    "two_factor_setup": Case("auth"),
    "two_factor_verify": Case("auth"),
    "account": Case("collection"),
    "password_change": Case("collection"),
    "sessions": Case("collection"),
    "backup_codes": Case("collection"),
    # A link that does not work answers a page saying so, whoever it was for.
    "invite_accept": Case("public", missing={"uidb64": "MQ", "token": "no-such-token"}),
    "dashboard": Case("collection"),
    "school_details": Case("collection", allowed=_can("school.manage_details")),
    "school_terms": Case("collection", allowed=_can("school.manage_details")),
    "school_switch": Case(
        "action", method="post", post_data=lambda s: {"school": str(s.school.pk)}
    ),
    "people:pupil_list": Case("collection", allowed=_can("pupil.view"), queries=_people_search),
    "people:pupil_detail": Case("object", make=_pupil, missing=MISSING_PK),
    "people:household_detail": Case("object", make=_household, missing=MISSING_PK),
    "people:staff_list": Case(
        "collection",
        allowed=_can("staff.view"),
        queries=lambda s: [{"q": s.staff.first_name}, {"q": s.staff.last_name}, {"page": "2"}],
    ),
    "people:staff_detail": Case("object", make=_staff, missing=MISSING_PK),
    "people:staff_roles": Case("object", make=_staff, missing=MISSING_PK),
    "people:staff_account": Case("object", make=_staff, missing=MISSING_PK),
    "people:role_confirmations": Case("collection", allowed=_may_see_confirmations),
    "people:role_confirm": Case("object", make=_waiting_grant, missing=MISSING_PK, method="post"),
    "people:code_of_conduct": Case("collection"),
    "people:flag_changes": Case("collection", allowed=_can("people.confirm_flag_changes")),
    "people:import_start": Case(
        "collection", allowed=_can("people.import"), post_data=_households_csv
    ),
    "people:import_preview": Case("object", make=_import_batch, missing=MISSING_BATCH),
    "people:import_confirm": Case(
        "object", make=_import_batch, missing=MISSING_BATCH, method="post"
    ),
    "audit:event_list": Case(
        "collection",
        allowed=_can("audit.view"),
        queries=lambda s: [
            {"action": "pupil.viewed"},
            {"action": "staff.viewed"},
            {"action": "household.viewed", "date_from": "2000-01-01"},
            {"page": "2"},
        ],
    ),
    "audit:read_list": Case(
        "collection",
        allowed=_can("audit.view"),
        queries=lambda s: [{"action": "pupil.viewed"}, {"action": "staff.viewed"}],
    ),
    "audit:trust_event_list": Case("collection", allowed=_may_view_trust_log),
    "audit:event_detail": Case("object", make=_audit_event, missing=MISSING_PK),
    "protocols:current": Case("collection", allowed=_can("protocol.view")),
    "protocols:parent": Case("collection", allowed=_can("protocol.view")),
    "protocols:school_pdf": Case(
        "object", make=_protocol_school, missing={"school_id": 987654321, "audience": "staff"}
    ),
    "protocols:history": Case("collection", allowed=_can("protocol.view")),
    "protocols:version_detail": Case(
        "object",
        make=_protocol_version,
        make_sibling=_school_protocol_version,
        missing=MISSING_PK,
    ),
    "protocols:version_source": Case(
        "object",
        make=_protocol_version,
        make_sibling=_school_protocol_version,
        missing=MISSING_PK,
    ),
    "protocols:upload": Case("collection", allowed=_may_upload),
    "protocols:editor": Case("collection", allowed=_may_upload),
    "protocols:editor_preview": Case("action", method="post", allowed=_may_upload),
    "protocols:acknowledge": Case("action", method="post", post_data=_their_version),
    "protocols:acknowledgements": Case("collection", allowed=_can("protocol.acknowledgements")),
    "protocols:remind": Case("action", method="post"),
    "protocols:confirm_additions": Case("action", method="post"),
    "protocols:try": Case("collection", allowed=_can("protocol.view")),
    "protocols:try_result": Case(
        "action",
        method="post",
        post_data=lambda s: {"pupil_count": "1", "your_role": "teacher", "kind": "group"},
    ),
    "scheduling:list": Case("collection", allowed=_can("session.plan")),
    "scheduling:plan": Case(
        "collection",
        allowed=_can("session.plan"),
        post_data=lambda s: {"pupils": str(s.pupil.pk), "second_staff": str(s.staff.pk)},
    ),
    "scheduling:check": Case(
        "action",
        method="post",
        post_data=lambda s: {"pupils": str(s.pupil.pk), "second_staff": str(s.staff.pk)},
    ),
    "scheduling:timetable": Case(
        "collection",
        allowed=_can("session.timetable"),
        queries=lambda s: [
            {"staff": str(s.staff.pk)},
            {"view": "day", "start": (dt.date.today() + dt.timedelta(days=1)).isoformat()},
            {"kind": "one_to_one", "outcome": "pending"},
        ],
    ),
    "scheduling:detail": Case("object", make=_session, missing=MISSING_PK),
    "scheduling:change": Case("object", make=_session, missing=MISSING_PK),
    "scheduling:approval": Case("object", make=_session, missing=MISSING_PK),
    "scheduling:risk": Case("object", make=_session, missing=MISSING_PK),
    "scheduling:step": Case(
        "object",
        make=_session_step,
        missing={**MISSING_PK, "kind": "invite_dsl"},
        method="post",
    ),
    "scheduling:cancel": Case("object", make=_session, missing=MISSING_PK, method="post"),
    # anomaly flags (issue #9 part 5): the thresholds are the signed-in person's school's
    "scheduling:timetable_flags": Case(
        "action",
        method="post",
        post_data=lambda s: {"repeat_threshold": "4", "repeat_days": "14", "school": s.school.pk},
    ),
    # invitations and calendars
    "scheduling:calendar": Case("collection", allowed=_can("session.plan")),
    "scheduling:calendar_feed": Case(
        "token", make=_revoked_feed, missing={"token": "no-such-token"}
    ),
    # sessions (parents): the signed links answer a page saying a bad link does not work
    "scheduling:parent_session": Case("public", missing={"token": "not-a-signed-link"}),
    "scheduling:parent_document": Case("public", missing={"token": "not-a-signed-link"}),
    "scheduling:parent_resend": Case("object", make=_session, missing=MISSING_PK, method="post"),
    "scheduling:parent_implied": Case("object", make=_session, missing=MISSING_PK, method="post"),
    "demo_outbox": Case("collection"),
    # running the call and its log (issue #9, part 7-8)
    "scheduling:run": Case("object", make=_session, missing=MISSING_PK),
    "scheduling:end": Case("object", make=_session, missing=MISSING_PK, method="post"),
    "scheduling:end_report": Case("object", make=_session, missing=MISSING_PK, method="post"),
    "scheduling:log": Case("object", make=_session, missing=MISSING_PK),
    "scheduling:log_amend": Case(
        "object", make=_session, missing=MISSING_PK, method="post", data={"text": "Later."}
    ),
    "scheduling:my_log": Case("collection", allowed=_can("session.plan")),
    "scheduling:register": Case(
        "collection",
        allowed=_can("session.view"),
        queries=lambda s: [
            {"staff": str(s.staff.pk)},
            {"kind": "one_to_one", "logged": "no"},
            {
                "start": dt.date.today().isoformat(),
                "end": (dt.date.today() + dt.timedelta(days=2)).isoformat(),
            },
        ],
    ),
    "scheduling:register_csv": Case(
        "collection",
        allowed=_can("session.view"),
        queries=lambda s: [{"staff": str(s.staff.pk)}, {"logged": "yes"}],
    ),
    "scheduling:team": Case("collection", allowed=_can("session.plan")),
    # welfare calls (issue #11)
    "welfare:sheet": Case("collection", allowed=_can("welfare.call")),
    "welfare:record": Case("object", make=_welfare_call, missing=MISSING_PK),
    "welfare:tiers": Case(
        "collection", allowed=_can("welfare.manage"), queries=lambda s: [{"tier": "daily"}]
    ),
    "welfare:tier_change": Case("object", make=_pupil, missing=MISSING_PK),
    "welfare:households": Case("collection", allowed=_can("welfare.manage")),
    "welfare:preferences": Case("object", make=_household, missing=MISSING_PK),
    "welfare:preferences_import": Case("collection", allowed=_can("welfare.manage")),
    "welfare:callers": Case("collection", allowed=_can("welfare.manage")),
    "welfare:availability": Case("object", make=_staff, missing=MISSING_PK),
    "welfare:rotas": Case("collection", allowed=_can("welfare.manage")),
    "welfare:rota": Case("object", make=_welfare_run, missing=MISSING_PK),
    "welfare:replan": Case("object", make=_welfare_run, missing=MISSING_PK, method="post"),
    "welfare:escalations": Case(
        "collection", allowed=_can("welfare.manage"), queries=lambda s: [{"show": "all"}]
    ),
    "welfare:escalation": Case("object", make=_welfare_escalation, missing=MISSING_PK),
    "welfare:escalation_step": Case(
        "object", make=_welfare_step, missing=MISSING_PK, method="post"
    ),
    "welfare:coverage": Case("collection", allowed=_can("welfare.view")),
    "welfare:export_csv": Case(
        "collection",
        allowed=_can("welfare.view"),
        queries=lambda s: [{"first": "2020-01-01", "last": "2030-01-01"}],
    ),
    "welfare:day_pdf": Case("object", make=_welfare_school, missing={"school_id": 987654321}),
    "welfare:ladder": Case("collection", allowed=_can("welfare.ladder")),
    # records (issue #12)
    "records:register": Case("collection", allowed=_can("recording.list")),
    "records:mine": Case("collection", allowed=_can("session.plan")),
    "records:access_log": Case("collection", allowed=_can("recording.access_log")),
    "records:schedule": Case("collection", allowed=_can("records.schedule")),
    "records:holds": Case("collection", allowed=_may_see_holds),
    "records:add": Case("object", make=_session, missing=MISSING_PK),
    "records:detail": Case("object", make=_recording, missing=MISSING_PK),
    "records:open": Case(
        "object",
        make=_recording,
        missing=MISSING_PK,
        method="post",
        data={"reason": "Reviewing the call after a concern."},
    ),
    "records:hold": Case(
        "object", make=_recording, missing=MISSING_PK, method="post", data={"reason": "Kept."}
    ),
    "records:link": Case(
        "object", make=_recording, missing=MISSING_PK, method="post", data={"concern": "1"}
    ),
    "records:hold_release": Case(
        "object", make=_hold, missing=MISSING_PK, method="post", data={"reason": "Done."}
    ),
    "records:log_hold": Case("object", make=_session_log, missing=MISSING_PK),
    "records:stream": Case("token", make=_recording_token, missing={"token": "no-such-token"}),
    "records:sar_list": Case("collection", allowed=_can("records.sar")),
    "records:sar_detail": Case("object", make=_sar, missing=MISSING_PK),
    "protocols:template_list": Case("collection"),
    "protocols:template_detail": Case("object", missing={"template_id": "no-such-template"}),
    "protocols:template_pdf": Case(
        "object", missing={"template_id": "no-such-template", "audience": "staff"}
    ),
    # concerns (issue #10)
    "concerns:inbox": Case(
        "collection", allowed=_handles_concerns, queries=lambda s: [{"closed": "1"}]
    ),
    "concerns:raise": Case(
        "collection",
        allowed=_can("concern.raise"),
        queries=lambda s: [{"pupil": str(s.pupil.pk)}],
    ),
    "concerns:draft_save": Case(
        "action",
        method="post",
        post_data=lambda s: {"summary": "typed so far", "pupil_0": str(s.pupil.pk)},
    ),
    "concerns:low_level": Case("collection", allowed=_keeps_low_level_log),
    "concerns:categories": Case("collection", allowed=_can("concern.configure")),
    "concerns:detail": Case("object", make=_concern, missing=MISSING_PK),
    "concerns:step_up": Case("object", make=_concern, missing=MISSING_PK),
    "concerns:act": Case(
        "object",
        make=_concern_act,
        missing={**MISSING_PK, "what": "acknowledge"},
        method="post",
    ),
    "concerns:attachment": Case(
        "object", make=_concern_file, missing={**MISSING_PK, "file_pk": 987654321}
    ),
    "concerns:draft_discard": Case(
        "object", make=_concern_draft, missing=MISSING_PK, method="post"
    ),
    # concerns: chronology, transfer, dashboards (issue #10, items 4, 7, 8)
    "concerns:chronology": Case("object", make=_pupil, missing=MISSING_PK),
    "concerns:chronology_pdf": Case("object", make=_pupil, missing=MISSING_PK),
    "concerns:event_add": Case(
        "object",
        make=_pupil,
        missing=MISSING_PK,
        method="post",
        data={"kind": "meeting", "title": "Zedwell meeting", "occurred_on": "2026-01-05"},
    ),
    "concerns:dashboard": Case(
        "collection", allowed=_can("concern.reports"), queries=lambda s: [{"scope": "trust"}]
    ),
    "concerns:report_list": Case(
        "collection",
        allowed=_can("concern.reports"),
        queries=lambda s: (
            [
                {"list": what, "scope": scope}
                for what in ("open", "overdue", "repeated", "sessions_ended_early")
                for scope in ("", "trust")
            ]
            + [{"list": "week", "week": "2026-01-05"}, {"list": "open", "category": "neglect"}]
        ),
    ),
    "concerns:governors_report": Case(
        "collection",
        allowed=_can("concern.governors_report"),
        queries=lambda s: [{"scope": "trust"}, {"from": "2026-01-01"}],
    ),
    "concerns:transfers": Case("collection", allowed=_can("concern.transfer")),
    "concerns:transfer_start": Case(
        "collection",
        allowed=_can("concern.transfer"),
        queries=lambda s: [{"pupil": str(s.pupil.pk)}],
    ),
    "concerns:transfer_import": Case("collection", allowed=_can("concern.transfer")),
    "concerns:transfer_detail": Case("object", make=lambda t: _transfer(t), missing=MISSING_PK),
    "concerns:transfer_bundle": Case("object", make=lambda t: _transfer(t), missing=MISSING_PK),
    "concerns:transfer_act": Case(
        "object",
        make=lambda t: {**_transfer(t), "what": "sent"},
        missing={**MISSING_PK, "what": "sent"},
        method="post",
    ),
    "concerns:received_file": Case("object", make=lambda t: _received_file(t), missing=MISSING_PK),
    # concerns: the pupils' correction page (issue #10)
    "concerns:correct_pupils": Case("object", make=_concern, missing=MISSING_PK),
}


def _transfer(t):  # type: ignore[no-untyped-def]
    import uuid

    from chaperone.concerns.models import FileTransfer

    pupil = PupilFactory(school=t.school)
    return {
        "pk": FileTransfer.objects.create(
            school=t.school,
            pupil=pupil,
            reference=uuid.uuid4(),
            leaving_on=dt.date(2026, 3, 2),
            due_on=dt.date(2026, 3, 9),
            to_school_name="Zedwell High",
            to_school_urn="654321",
            created_by=make_staff(t.school, "dsl"),
        ).pk
    }


def _received_file(t):  # type: ignore[no-untyped-def]
    from django.core.files.base import ContentFile

    from chaperone.concerns.models import ReceivedFile

    kept = ReceivedFile(
        school=t.school,
        pupil=PupilFactory(school=t.school),
        from_school_name="Zedwell Primary",
        kind="pdf",
        sha256="0" * 64,
        imported_by=make_staff(t.school, "dsl"),
    )
    kept.file.save("x.pdf", ContentFile(b"%PDF-1.4 zedwell"), save=False)
    kept.save()
    return {"pk": kept.pk}
