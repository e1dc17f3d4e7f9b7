"""The gate: from a session's plan to the engine's request, and from the protocol's ``pending``
findings to the steps of the session's checklist.

Each step completes one part of the request (:data:`COMPLETES`): an approval sets
``slt_approved``, a risk assessment ``risk_assessed``, consent ``parental_consent``; inviting the
DSL, a second member of staff, stating the plan outcome or recording that parents were told change
the plan itself. Which step answers a finding is asked of the engine, not written down per code:
for each pending finding of the *bare* plan (the plan with no step done), the first step whose
completion alone makes that finding go away is its step; where no single step does, the fewest
steps that do so together are its steps (a rule asking for approval *and* consent needs both); a
finding that no steps answer is a "change the plan" step with the protocol's remedy. So a
school's own rules (a pending finding with a code of its own) still become steps.

This module decides nothing itself and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from typing import Any

from chaperone import rules
from chaperone.people.models import Pupil
from chaperone.protocols.effective import EffectiveProtocol
from chaperone.protocols.requests import contact_request_for
from chaperone.rules.vocab import ROLES as ENGINE_ROLES
from chaperone.scheduling.models import StepKind

#: step kind -> what its completion changes in the request
COMPLETES: Mapping[str, Mapping[str, Any]] = {
    StepKind.TIMETABLE: {"on_dsl_timetable": True},
    StepKind.INVITE_DSL: {"dsl_invited": True},
    StepKind.APPROVAL: {"slt_approved": True},
    StepKind.RISK_ASSESSMENT: {"risk_assessed": True},
    StepKind.CONSENT: {"parental_consent": "written"},
    StepKind.PLAN_OUTCOME: {"linked_to_plan": True},
    StepKind.PARENTS_INFORMED: {"parents_informed": True},
}
#: steps a person does on the session itself (the others are parts of the plan)
PERSON_STEPS = frozenset({StepKind.APPROVAL, StepKind.RISK_ASSESSMENT, StepKind.CONSENT})
#: the part of the request the bare plan leaves out (no step done, nothing invited)
BARE: Mapping[str, Any] = {
    "on_dsl_timetable": False,
    "dsl_invited": False,
    "slt_approved": False,
    "risk_assessed": False,
    "parental_consent": "none",
    "linked_to_plan": False,
    "parents_informed": False,
    "second_staff_invited": False,
    "second_staff_role": None,
}


@dataclass(frozen=True)
class Plan:
    """What the gate needs of a session: its fields, its people's roles and facts."""

    at: datetime
    kind: str
    purpose: str
    platform: str
    duration_minutes: int
    host_role: str
    pupils: Sequence[Pupil]
    second_staff_role: str | None = None
    account: str = "school"
    device: str = "school"
    staff_location: str = "on_site"
    emergency: bool = False
    dsl_invited: bool = False
    recording: bool = False
    waiting_room: bool = True
    pupil_location: str = "common_room"
    parent_present: bool = False
    chaperone_present: bool = False
    linked_to_plan: bool = False
    parents_informed: bool = False

    def request(self, done: Iterable[str] = (), consent: str | None = None) -> dict[str, Any]:
        """The engine's request for the plan with the person steps ``done`` completed. A
        planned session is on the DSL timetable. ``consent``, where given, is the parents'
        consent as recorded (``none``, ``implied`` or ``written``): it replaces what a done
        consent step stands for."""
        data = contact_request_for(
            staff=[self.host_role],
            pupils=self.pupils,
            at=self.at,
            kind=self.kind,
            purpose=self.purpose,
            platform=self.platform,
            second_staff_role=self.second_staff_role,
            duration_minutes=self.duration_minutes,
            account=self.account,
            device=self.device,
            staff_location=self.staff_location,
            emergency=self.emergency,
            dsl_invited=self.dsl_invited,
            recording=self.recording,
            waiting_room=self.waiting_room,
            pupil_location=self.pupil_location,
            parent_present=self.parent_present,
            chaperone_present=self.chaperone_present,
            linked_to_plan=self.linked_to_plan,
            parents_informed=self.parents_informed,
            on_dsl_timetable=True,
        )
        for kind in done:
            if kind in PERSON_STEPS:
                data.update(COMPLETES[kind])
        if consent is not None:
            data["parental_consent"] = consent
        return data

    def bare_request(self) -> dict[str, Any]:
        return {**self.request(), **BARE}


@dataclass(frozen=True)
class StepNeeded:
    kind: str
    code: str
    remedy: str
    title: str


def steps_needed(
    effective: EffectiveProtocol, plan: Plan
) -> tuple[rules.Decision, list[StepNeeded]]:
    """The bare plan's decision, and the steps its pending findings call for (one per kind, in
    the order the protocol lists the findings). A step a person does (approval, assessment,
    consent) is left out where the plan as it stands already makes it needless."""
    bare = plan.bare_request()
    decision = effective.decide(rules.parse_request(bare))
    # what the plan itself leaves for a person to do (a second adult may make approval needless)
    as_planned = effective.decide(rules.parse_request(plan.request()))
    left = {f.code for f in as_planned.findings if f.effect == "pending"}
    needed: dict[str, StepNeeded] = {}
    for finding in decision.findings:
        if finding.effect != "pending":
            continue
        for kind in _answering_steps(effective, bare, finding.code):
            if kind in PERSON_STEPS and finding.code not in left:
                continue
            if kind == StepKind.CHANGE_PLAN and kind in needed:
                kept = needed[kind]
                remedy = f"{kept.remedy} {finding.remedy or ''}".strip()
                needed[kind] = StepNeeded(kind, kept.code, remedy, kept.title)
                continue
            needed.setdefault(
                kind,
                StepNeeded(
                    kind=kind,
                    code=finding.code,
                    remedy=finding.remedy or "",
                    title=finding.label or finding.rule,
                ),
            )
    return decision, list(needed.values())


#: the most steps tried together for one finding (7 kinds: 63 requests judged at most)
MOST_STEPS_TOGETHER = 3


def _answering_steps(
    effective: EffectiveProtocol, bare: dict[str, Any], code: str
) -> tuple[str, ...]:
    """The steps that answer the finding ``code``: one where one does, else the fewest that do
    together (in :data:`COMPLETES` order), else "change the plan"."""
    for kind, change in COMPLETES.items():
        if _clears(effective, {**bare, **change}, code):
            return (kind,)
    for role in ENGINE_ROLES:  # a second member of staff of any role the engine knows
        changed = {**bare, "second_staff_invited": True, "second_staff_role": role}
        if _clears(effective, changed, code):
            return (StepKind.SECOND_STAFF,)
    for size in range(2, MOST_STEPS_TOGETHER + 1):
        for kinds in combinations(COMPLETES, size):
            changed = dict(bare)
            for kind in kinds:
                changed.update(COMPLETES[kind])
            if _clears(effective, changed, code):
                return tuple(kinds)
    return (StepKind.CHANGE_PLAN,)


def _clears(effective: EffectiveProtocol, data: dict[str, Any], code: str) -> bool:
    decision = effective.decide(rules.parse_request(data))
    return not any(f.code == code and f.effect == "pending" for f in decision.findings)


def signature(decision: rules.Decision) -> tuple[str, tuple[tuple[str, str], ...]]:
    """What a change of plan is compared by: the bare plan's outcome and the findings that
    stop it or ask for a step (a reminder appearing or going sends nothing back)."""
    kept = {(f.code, f.effect) for f in decision.findings if f.effect != "info"}
    return decision.outcome, tuple(sorted(kept))
