"""The one permission policy: which role may do which action, in which school or trust.

Four questions are answered here and nowhere else:

* may this actor do an action in a school (:meth:`Actor.can`, :meth:`Actor.school_ids_for`)?
* may they do a trust-level action in a trust (:meth:`Actor.can_in_trust`)?
* which roles hold an action (:func:`roles_with`; the people app turns that into people with
  :func:`chaperone.people.selectors.staff_with_permission`, e.g. whom to notify)?
* which extra rows of a model may they act on, whatever their school roles (object rules,
  :func:`object_rule`; e.g. everyone may open their own staff record)?

No other module compares role names. An actor is built from a signed-in user by
:func:`chaperone.people.actors.actor_for_user`; jobs, the command line and the demo loader act as
:data:`SYSTEM`, whose grants are declared in :data:`SYSTEM_GRANTS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.db.models import Model, Q

from chaperone.tenancy.roles import TRUST_ROLES, Role

# The chair of governors is no member of staff: they hold only the concerns-about-the-head
# actions below, not the staff roles' everyday ones.
EVERY_SCHOOL_ROLE = frozenset(Role) - {Role.TRUST_ADMIN, Role.CHAIR_OF_GOVERNORS}
LEADERS = frozenset({Role.HEADTEACHER, Role.SLT})
SAFEGUARDING = frozenset({Role.DSL, Role.DEPUTY_DSL})
PASTORAL = frozenset(
    {
        Role.TUTOR,
        Role.HEAD_OF_YEAR,
        Role.HOUSEMASTER,
        Role.PASTORAL_LEAD,
        Role.COUNSELLOR,
        Role.SEN_STAFF,
    }
)

#: action -> roles that may perform it within a school. Trust admins may do every action in
#: every school of their trust.
PERMISSIONS: Mapping[str, frozenset[str]] = {
    "dashboard.view": EVERY_SCHOOL_ROLE,
    "dashboard.safeguarding_figures": SAFEGUARDING,
    "dashboard.staff_compliance": LEADERS | SAFEGUARDING,
    "pupil.view": EVERY_SCHOOL_ROLE,
    # child protection plan, child in need, looked after, vulnerable: need to know only
    "people.view_safeguarding_flags": LEADERS | SAFEGUARDING,
    "household.view": LEADERS | SAFEGUARDING | PASTORAL | {Role.SCHOOL_ADMIN},
    "staff.view": EVERY_SCHOOL_ROLE,
    # DBS check dates: those who keep the school's staff records
    "staff.view_dbs": frozenset({Role.HEADTEACHER, Role.SCHOOL_ADMIN}),
    "people.import": frozenset({Role.SCHOOL_ADMIN, Role.HEADTEACHER}),
    # child protection, child in need, looked-after and vulnerable changes an import asked for
    "people.confirm_flag_changes": SAFEGUARDING,
    "audit.view": frozenset({Role.HEADTEACHER}) | SAFEGUARDING,
    "protocol.view": EVERY_SCHOOL_ROLE,
    "protocol.manage": frozenset({Role.HEADTEACHER}) | SAFEGUARDING,
    "protocol.acknowledgements": LEADERS | SAFEGUARDING,
    # Granting, removing and confirming roles (the Roles screen). Trust roles need a trust admin.
    "staff.manage_roles": frozenset({Role.HEADTEACHER}),
    # Confirming a role granted at the school when nobody else may (no second headteacher, no
    # trust administrator besides the granter): a standalone school with one head. The rule
    # that it is someone other than the granter and the grantee still holds.
    "staff.confirm_roles_without_a_second_head": frozenset({Role.DSL}),
    # Logins: invite, deactivate, reactivate, reset a lost second factor, unlock.
    "staff.manage_accounts": frozenset({Role.HEADTEACHER}),
    # How families reach the school (telephone, email, website), as the parent guide prints it.
    "school.manage_details": frozenset({Role.HEADTEACHER}),
    # Sessions (live contact with pupils). Hosts, planners and second adults also see and
    # manage their own sessions (object rules in scheduling/models.py).
    "session.plan": EVERY_SCHOOL_ROLE - {Role.SCHOOL_ADMIN},
    "session.view": LEADERS | SAFEGUARDING,
    "session.manage": LEADERS,
    # Approving a session the protocol sends to a senior leader (never one's own).
    "session.approve": LEADERS,
    "session.assess_risk": LEADERS | SAFEGUARDING,
    # The timetable of every call in the school, in advance.
    "session.timetable": LEADERS | SAFEGUARDING,
    # --- who is told (notices, not powers: nothing checks these with can()) -------------------
    # The school's protocol is due for review, or its additions fell out of step with the trust's.
    "protocol.reminders": frozenset({Role.HEADTEACHER, Role.DSL}),
    # Named to families in the protocol's documents as the person to contact about a worry.
    "safeguarding.named_lead": frozenset({Role.DSL}),
    # Sent the trust audit chain's daily anchor, to keep outside the system.
    "audit.anchor_notice": frozenset({Role.DSL}),
    # Sent the calendar invitation to drop in on a session the DSL is invited to.
    "session.dsl_invitations": SAFEGUARDING,
    # --- running a call and its log, and the first concerns (issue #9, part 7-8) ---------------
    # Starting, ending and logging a call: its host and second member of staff only (an object
    # rule in scheduling/conduct.py); no school role runs another person's call.
    "session.run": frozenset(),
    # Everyone who works with pupils may raise a safeguarding concern; the safeguarding team
    # reads them (the raiser reads their own: an object rule in concerns/models.py).
    "concern.raise": EVERY_SCHOOL_ROLE,
    "concern.view": SAFEGUARDING,
    # who is told: a new concern, at once; a call the protocol says the DSL must hear of, when it
    # ends (e.g. an unaccompanied one-to-one that was recorded)
    "concern.alert": SAFEGUARDING,
    "session.end_notice": SAFEGUARDING,
    # --- concerns (issue #10) ------------------------------------------------------------------
    # Handling a concern about a child: acknowledge, assign, actions, decisions, close.
    "concern.manage": SAFEGUARDING,
    # The DSL's optional sign-off of a closed concern.
    "concern.sign_off": frozenset({Role.DSL}),
    # Seeing that a pupil has concerns (how many, how recent), never what they say.
    "concern.see_exists": LEADERS | PASTORAL,
    # A concern naming a member of staff: the headteacher alone reads and handles it; one naming
    # the headteacher, the chair of governors alone. Held in the school itself, not through a
    # trust role (selectors.concerns_visible asks policies.held_in_school).
    "concern.about_staff": frozenset({Role.HEADTEACHER}),
    "concern.about_head": frozenset({Role.CHAIR_OF_GOVERNORS}),
    # The school's list of concern categories.
    "concern.configure": frozenset({Role.DSL}),
    # who is told: a concern about staff (the head), about the head (the chair); an urgent
    # concern nobody acknowledged in time, after the team was told again (the head); an action
    # past its due date (its owner and the DSL)
    "concern.alert_about_staff": frozenset({Role.HEADTEACHER}),
    "concern.alert_about_head": frozenset({Role.CHAIR_OF_GOVERNORS}),
    "concern.escalation": frozenset({Role.HEADTEACHER}),
    "concern.overdue_actions": frozenset({Role.DSL}),
    # --- concerns: chronology, transfer, dashboards (issue #10, items 4, 7, 8) ----------------
    # A child's chronology (and adding significant events to it); its PDF export.
    "concern.chronology": SAFEGUARDING,
    # Sending a leaving pupil's child protection file, importing one that came with a pupil.
    "concern.transfer": SAFEGUARDING,
    # The DSL's dashboard and its drill-down lists (they name pupils).
    "concern.reports": SAFEGUARDING,
    # The termly governors' report: counts only, no names.
    "concern.governors_report": LEADERS | SAFEGUARDING | {Role.CHAIR_OF_GOVERNORS},
    # who is told: a child protection file still to send, each school day until received
    "concern.transfer_reminders": frozenset({Role.DSL}),
    # Marking a concern for disclosure review (withheld from a subject access pack until the
    # DSL has decided what may go) and clearing the mark.
    "concern.disclosure_review": frozenset({Role.DSL}),
    # --- welfare calls during a closure (issue #11) ---------------------------------------------
    # Making welfare calls: the call sheet and its log (each caller sees their own calls).
    "welfare.call": EVERY_SCHOOL_ROLE - {Role.SCHOOL_ADMIN},
    # Qualified to call vulnerable families (any tier above fortnightly): the rota gives those
    # families only to these staff.
    "welfare.call_vulnerable": LEADERS
    | SAFEGUARDING
    | frozenset({Role.SEN_STAFF, Role.PASTORAL_LEAD}),
    # The coverage figures, the day's sheets of every caller and the export (no phone numbers).
    "welfare.view": LEADERS | SAFEGUARDING,
    # Tiers, preferences, callers' availability, the rota and the escalations.
    "welfare.manage": SAFEGUARDING,
    # who is told: a family not reached on two separate days
    "welfare.escalation_notice": SAFEGUARDING,
    # The school's escalation ladder: its steps, who is told at each and after how long.
    "welfare.ladder": frozenset({Role.DSL}),
    # who is told: a ladder step naming the headteacher opened
    "welfare.escalation_notice_head": frozenset({Role.HEADTEACHER}),
    # --- records (issue #12): the recording register, retention, holds, access ----------------
    # Adding a recording of a session to the register (its host and second member of staff
    # too: an object rule in records/models.py); seeing the register and the retention schedule.
    "recording.add": LEADERS | SAFEGUARDING,
    "recording.list": LEADERS | SAFEGUARDING,
    # Opening or downloading a recording: with a reason, the second factor given this session.
    "recording.view": LEADERS | SAFEGUARDING,
    # Who opened which recording and why; placing and releasing legal holds.
    "recording.access_log": SAFEGUARDING,
    "records.schedule": LEADERS | SAFEGUARDING,
    "records.hold": SAFEGUARDING,
    # Subject access requests: logging them, building the pack, and being reminded of deadlines.
    "records.sar": SAFEGUARDING,
}

#: trust-level actions, decided against a trust rather than a school: action -> the school
#: action whose holders may also do it in a standalone school (a trust of one school), or None.
#: The trust's administrators may do every trust-level action in their own trust.
TRUST_PERMISSIONS: Mapping[str, str | None] = {
    "trust.manage_protocol": "protocol.manage",
    "trust.view_audit": None,
    "trust.view_figures": None,
    # told when the trust's own protocol is due for review (a standalone school's leads too)
    "trust.protocol_reminders": "protocol.reminders",
}

#: What the system itself (a background job, the command line, the demo loader) may do, in
#: every school and trust. Anything else is refused to it like to anyone.
SYSTEM_GRANTS = frozenset(
    {
        "people.import",
        "protocol.manage",
        "trust.manage_protocol",
        # sessions (parents): a parent's answer through their signed link has the system ask
        # the school's protocol about the session again
        "protocol.view",
        # welfare calls: the planning job and the daily escalation job
        "welfare.manage",
        # records: the daily job holds what a reported session left (linked to its concern)
        "records.hold",
        # records: `chaperone sar export` on the server's command line
        "records.sar",
    }
)

#: Staff holding any of these roles must sign in with a second factor (TOTP).
TWO_FACTOR_ROLES = frozenset(
    {Role.HEADTEACHER, Role.DSL, Role.DEPUTY_DSL, Role.SLT, Role.TRUST_ADMIN}
    | {Role.CHAIR_OF_GOVERNORS}
)


#: Roles that only the Roles screen gives or takes away (never an import, command or other form);
#: a grant of one counts only once a second headteacher or trust administrator confirms it.
GRANTED_ROLES = TWO_FACTOR_ROLES


class UnknownAction(KeyError):
    pass


def _school_roles(action: str) -> frozenset[str]:
    try:
        return PERMISSIONS[action]
    except KeyError as exc:
        raise UnknownAction(action) from exc


def roles_with(action: str) -> frozenset[str]:
    """Every role whose holders may do the school action ``action`` (trust roles included: they
    may do every action in their trust's schools)."""
    return _school_roles(action) | TRUST_ROLES


def stand_in_for(action: str) -> str | None:
    """The school action whose holders may also do the trust-level ``action`` in a standalone
    school (see :data:`TRUST_PERMISSIONS`), or None."""
    try:
        return TRUST_PERMISSIONS[action]
    except KeyError as exc:
        raise UnknownAction(action) from exc


@dataclass(frozen=True)
class Actor:
    """What a signed-in person is: their trust, and their roles per school."""

    user_id: int | None
    staff_id: int | None = None
    trust_id: int | None = None
    school_roles: Mapping[int, frozenset[str]] = field(default_factory=dict)
    trust_roles: frozenset[str] = frozenset()
    trust_school_ids: frozenset[int] = frozenset()
    is_superuser: bool = False
    #: the staff member's name, as the audit log shows who acted
    label: str = ""
    #: the system itself (see :data:`SYSTEM`): it may do the :data:`SYSTEM_GRANTS` anywhere
    is_system: bool = False

    @property
    def is_trust_admin(self) -> bool:
        return Role.TRUST_ADMIN in self.trust_roles

    @property
    def all_roles(self) -> frozenset[str]:
        roles: set[str] = set(self.trust_roles)
        for r in self.school_roles.values():
            roles |= r
        return frozenset(roles)

    @property
    def requires_two_factor(self) -> bool:
        return bool(self.all_roles & TWO_FACTOR_ROLES)

    @property
    def visible_school_ids(self) -> frozenset[int]:
        if self.is_trust_admin:
            return self.trust_school_ids
        return frozenset(self.school_roles)

    def roles_in(self, school_id: int) -> frozenset[str]:
        return self.school_roles.get(school_id, frozenset())

    def can(self, action: str, school_id: int | None = None) -> bool:
        """May the actor do ``action`` in ``school_id`` (or, with None, in any school)?"""
        allowed = _school_roles(action)
        if self.is_system:
            return action in SYSTEM_GRANTS
        if school_id is None:
            return bool(self.school_ids_for(action))
        if self.is_trust_admin and school_id in self.trust_school_ids:
            return True
        return bool(self.roles_in(school_id) & allowed)

    def school_ids_for(self, action: str) -> frozenset[int]:
        """Every school in which the actor may do ``action``. The system actor is bounded by no
        school list: ask it :meth:`can` (scoped querysets do)."""
        allowed = _school_roles(action)
        if self.is_system:
            raise TypeError("The system actor has no list of schools; ask can() instead.")
        if self.is_trust_admin:
            return self.trust_school_ids
        return frozenset(sid for sid, roles in self.school_roles.items() if roles & allowed)

    def can_in_trust(self, action: str, trust_id: int, *, standalone: bool = False) -> bool:
        """May the actor do the trust-level ``action`` in trust ``trust_id``? ``standalone`` says
        the trust is a standalone school, where the holders of the action's stand-in school
        action (:data:`TRUST_PERMISSIONS`) in that school may do it too."""
        stand_in = stand_in_for(action)
        if self.is_system:
            return action in SYSTEM_GRANTS
        if self.trust_id != trust_id:
            return False  # an actor's schools all belong to the actor's own trust
        if self.is_trust_admin:
            return True
        return standalone and stand_in is not None and bool(self.school_ids_for(stand_in))


ANONYMOUS = Actor(user_id=None)
SYSTEM = Actor(user_id=None, label="System", is_system=True)
"""The system itself: background jobs, the command line and the demo loader act as this actor,
never as ``None``. Its grants are :data:`SYSTEM_GRANTS`; the audit log names it "System"."""

#: extra rows an actor may act on whatever their school roles: (model, action) -> rules. A rule
#: returns a filter of those rows for the actor (None for none).
ObjectRule = Callable[[Actor], Q | None]
_OBJECT_RULES: dict[tuple[type[Model], str], list[ObjectRule]] = {}


def object_rule(model: type[Model], action: str) -> Callable[[ObjectRule], ObjectRule]:
    """Declare that a rule widens ``action`` on ``model`` beyond the school policy, e.g.::

        @object_rule(Concern, "concern.view")
        def _raiser_sees_their_concern(actor: Actor) -> Q | None:
            return Q(raised_by_id=actor.staff_id) if actor.staff_id else None

    Scoped querysets (``Model.objects.for_actor``) include the rows a rule allows, so selectors
    and :func:`chaperone.tenancy.querysets.can_for` answer with the rule without asking for it.
    """
    _school_roles(action)  # an undeclared action is an error at import, not a silent refusal

    def register(rule: ObjectRule) -> ObjectRule:
        _OBJECT_RULES.setdefault((model, action), []).append(rule)
        return rule

    return register


def object_rules_filter(model: type[Model], actor: Actor, action: str) -> Q | None:
    """The rows of ``model`` the object rules let ``actor`` ``action``, or None for none."""
    combined: Q | None = None
    for rule in _OBJECT_RULES.get((model, action), ()):
        q = rule(actor)
        if q is not None:
            combined = q if combined is None else combined | q
    return combined


def may_manage_role(actor: Actor, role: str, school_id: int | None) -> bool:
    """May ``actor`` grant, remove or confirm ``role`` in ``school_id`` (None: across the trust)?"""
    if role == Role.TRUST_ADMIN or school_id is None:
        return actor.is_trust_admin
    return actor.can("staff.manage_roles", school_id)


def held_in_school(actor: Actor, action: str) -> frozenset[int]:
    """The schools where the actor's own school roles allow ``action``: as
    :meth:`Actor.school_ids_for` without the trust administrators' blanket grant (for what a
    school names one person to see, e.g. a concern about its headteacher)."""
    allowed = _school_roles(action)
    if actor.is_system:
        return frozenset()
    return frozenset(sid for sid, roles in actor.school_roles.items() if roles & allowed)
