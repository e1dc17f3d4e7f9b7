"""Independent acceptance table: every decidable rule of seeds 002-004, read with the contract.

Each row is a request built from a correct ("everything done right") request per protocol and
purpose, with one or two changes, and the decision the seed text and the contract imply:
the outcome (one value or a list where the contract leaves room), codes that must be reported
and codes that must not. Rows come in pairs where possible: one request that trips a rule and a
near-identical one that does not. The rows run in process, and again through the real
``chaperone check --jsonl`` command (one process per protocol). "Readings chosen where a source is
ambiguous" in ``docs/protocol-format.md`` lists the choices these rows pin down.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import pytest

from chaperone.rules import decide, load_template, parse_request
from tests.rules.helpers import cli

W, H, N = "werrington-primary", "habs-monmouth", "npat-one-to-one"

# Tuesdays: 24 Nov 2026 is GMT (UTC+0), 16 Jun 2026 is BST (UTC+1). 28 Nov 2026 is a Saturday.
GMT_TUE = "2026-11-24"
BST_TUE = "2026-06-16"
SAT = "2026-11-28"


def pupil(age: int, *, vulnerable: bool = False, has_ehcp: bool = False) -> dict[str, Any]:
    return {"age": age, "vulnerable": vulnerable, "has_ehcp": has_ehcp}


# --- Correct requests, one per protocol and shape ------------------------------------------

W_GROUP: dict[str, Any] = {  # the contract's ex-w-group-ok
    "at": f"{GMT_TUE}T10:00:00+00:00",
    "duration_minutes": 30,
    "kind": "group",
    "purpose": "teaching",
    "platform": "teams",
    "account": "school",
    "device": "school",
    "staff": [{"role": "teacher"}],
    "pupils": [pupil(7), pupil(7)],
    "waiting_room": True,
    "parent_present": True,
    "parents_informed": True,
}
W_ONE = {**W_GROUP, "kind": "one_to_one", "pupils": [pupil(6)]}  # hearing a reader
W_ALONE = {**W_ONE, "parent_present": False, "recording": True}  # the recorded exception

H_TUITION: dict[str, Any] = {  # the contract's ex-h-tuition-ok
    "at": f"{GMT_TUE}T14:00:00+00:00",
    "duration_minutes": 30,
    "kind": "one_to_one",
    "purpose": "academic_tuition",
    "platform": "teams",
    "account": "school",
    "device": "school",
    "staff": [{"role": "teacher"}],
    "pupils": [pupil(15)],
    "parents_informed": True,
}
H_MUSIC = {**H_TUITION, "purpose": "music_tuition"}
H_COUNSEL = {**H_TUITION, "purpose": "counselling", "staff": [{"role": "counsellor"}]}
H_PASTORAL: dict[str, Any] = {  # a tutor's pastoral one-to-one at lunchtime
    **H_TUITION,
    "at": f"{GMT_TUE}T12:40:00+00:00",
    "purpose": "pastoral",
    "staff": [{"role": "tutor"}],
    "pupils": [pupil(14)],
    "second_staff_invited": True,
    "second_staff_role": "head_of_year",
    "chaperone_present": True,
}

N_ONE: dict[str, Any] = {  # the contract's ex-n-ok
    "at": f"{GMT_TUE}T10:00:00+00:00",
    "duration_minutes": 30,
    "kind": "one_to_one",
    "purpose": "sen_support",
    "platform": "teams",
    "account": "school",
    "device": "school",
    "staff": [{"role": "sen_staff"}],
    "pupils": [pupil(10, vulnerable=True, has_ehcp=True)],
    "recording": True,
    "dsl_invited": True,
    "on_dsl_timetable": True,
    "risk_assessed": True,
    "slt_approved": True,
    "linked_to_plan": True,
    "parents_informed": True,
}
N_PASTORAL = {**N_ONE, "purpose": "pastoral", "staff": [{"role": "teacher"}], "pupils": [pupil(9)]}
N_GROUP: dict[str, Any] = {
    "at": f"{GMT_TUE}T10:00:00+00:00",
    "kind": "group",
    "purpose": "teaching",
    "platform": "teams",
    "staff": [{"role": "teacher"}],
    "pupils": [pupil(9), pupil(9), pupil(10)],
}


class Case(NamedTuple):
    id: str
    protocol: str
    request: dict[str, Any]
    outcome: str | tuple[str, ...]
    codes: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()


def case(
    id: str,
    protocol: str,
    base: dict[str, Any],
    outcome: str | tuple[str, ...],
    codes: tuple[str, ...] = (),
    absent: tuple[str, ...] = (),
    **changes: Any,
) -> Case:
    return Case(id, protocol, {**base, **changes}, outcome, codes, absent)


REFUSING = ("PLATFORM_NOT_APPROVED", "PERSONAL_ACCOUNT", "PERSONAL_DEVICE", "BEDROOM_LOCATION")
HOURS = ("OUTSIDE_PERMITTED_HOURS", "PARENTAL_CONSENT_REQUIRED")
NOT_IN_WERRINGTON = (
    "OUTSIDE_PERMITTED_HOURS",
    "PARENTAL_CONSENT_REQUIRED",
    "PARENTS_NOT_INFORMED",
    "PERSONAL_ACCOUNT",
    "PERSONAL_DEVICE",
    "STAFF_OFF_SITE",
    "SLT_APPROVAL_REQUIRED",
    "RISK_ASSESSMENT_REQUIRED",
    "PUPIL_TOO_YOUNG_ALONE",
    "PURPOSE_NOT_PERMITTED",
)
NPAT_STEPS = (
    "RISK_ASSESSMENT_REQUIRED",
    "SLT_APPROVAL_REQUIRED",
    "NOT_ON_DSL_TIMETABLE",
    "DSL_MUST_BE_INVITED",
    "OUTCOME_NOT_LINKED",
)

# --- Werrington Primary (seed 002) ----------------------------------------------------------

WERRINGTON = [
    # Platforms: Zoom and Teams only.
    case("w-group-teams-ok", W, W_GROUP, "allowed", absent=REFUSING),
    case("w-group-zoom-ok", W, W_GROUP, "allowed", platform="zoom"),
    case("w-meet-refused", W, W_GROUP, "refused", ("PLATFORM_NOT_APPROVED",), platform="meet"),
    case("w-other-refused", W, W_GROUP, "refused", ("PLATFORM_NOT_APPROVED",), platform="other"),
    case(
        "w-phone-platform-refused",
        W,
        W_ONE,
        "refused",
        ("PLATFORM_NOT_APPROVED",),
        kind="phone_call",
        platform="phone",
        waiting_room=False,
    ),
    case("w-phone-call-kind-on-teams-ok", W, W_ONE, "allowed", kind="phone_call"),
    # Waiting room / lobby enabled.
    case(
        "w-zoom-no-lobby",
        W,
        W_GROUP,
        "refused",
        ("WAITING_ROOM_REQUIRED",),
        platform="zoom",
        waiting_room=False,
    ),
    case("w-teams-no-lobby", W, W_GROUP, "refused", ("WAITING_ROOM_REQUIRED",), waiting_room=False),
    case("w-121-no-lobby", W, W_ONE, "refused", ("WAITING_ROOM_REQUIRED",), waiting_room=False),
    # A parent present from the start and in the same room throughout (group calls).
    case(
        "w-group-parent-absent",
        W,
        W_GROUP,
        "refused",
        ("CHAPERONE_REQUIRED",),
        ("RECORDING_REQUIRED",),
        parent_present=False,
    ),
    case(
        "w-group-other-adult-not-parent-in-room",
        W,
        W_GROUP,
        "refused",
        ("CHAPERONE_REQUIRED",),
        parent_present=False,
        chaperone_present=True,
    ),
    case(
        "w-group-home-alone",
        W,
        W_GROUP,
        "refused",
        ("CHAPERONE_REQUIRED",),
        parent_present=False,
        pupil_home_alone=True,
    ),
    # Group and whole-class calls are never recorded.
    case("w-group-recorded", W, W_GROUP, "refused", ("RECORDING_NOT_PERMITTED",), recording=True),
    case(
        "w-group-recorded-parent-absent",
        W,
        W_GROUP,
        "refused",
        ("RECORDING_NOT_PERMITTED", "CHAPERONE_REQUIRED"),
        recording=True,
        parent_present=False,
    ),
    case(
        "w-group-unrecorded-ok",
        W,
        W_GROUP,
        "allowed",
        (),
        ("RECORDING_NOT_PERMITTED",),
        recording=False,
    ),
    # One-to-ones (readers, pastoral): parent in the room, otherwise recorded and DSL told.
    case(
        "w-121-parent-in-room",
        W,
        W_ONE,
        "allowed",
        (),
        ("SECOND_ADULT_REQUIRED", "RECORDING_REQUIRED", "DSL_MUST_BE_NOTIFIED"),
    ),
    case("w-121-pastoral-parent-in-room", W, W_ONE, "allowed", purpose="pastoral"),
    case(
        "w-121-parent-absent-unrecorded",
        W,
        W_ONE,
        "refused",
        ("SECOND_ADULT_REQUIRED", "RECORDING_REQUIRED"),
        parent_present=False,
    ),
    case(
        "w-121-parent-absent-recorded",
        W,
        W_ALONE,
        ("allowed", "pending"),
        ("DSL_MUST_BE_NOTIFIED",),
        ("SECOND_ADULT_REQUIRED", "RECORDING_REQUIRED"),
    ),
    case(
        "w-121-recorded-with-parent-no-dsl-note",
        W,
        W_ONE,
        "allowed",
        (),
        ("DSL_MUST_BE_NOTIFIED", "RECORDING_NOT_PERMITTED"),
        recording=True,
    ),
    case(
        "w-121-other-adult-at-home-not-enough",
        W,
        W_ONE,
        "refused",
        ("SECOND_ADULT_REQUIRED",),
        parent_present=False,
        chaperone_present=True,
    ),
    case(
        "w-121-second-staff-invited",
        W,
        W_ONE,
        "allowed",
        (),
        ("SECOND_ADULT_REQUIRED", "RECORDING_REQUIRED"),
        parent_present=False,
        second_staff_invited=True,
    ),
    case(
        "w-121-two-staff",
        W,
        W_ONE,
        "allowed",
        (),
        ("SECOND_ADULT_REQUIRED",),
        parent_present=False,
        staff=[{"role": "teacher"}, {"role": "support_staff"}],
    ),
    case(
        "w-phone-call-parent-absent-unrecorded",
        W,
        W_ONE,
        "refused",
        ("SECOND_ADULT_REQUIRED", "RECORDING_REQUIRED"),
        kind="phone_call",
        parent_present=False,
    ),
    # No parent even at the start: the recorded exception needs a parent to tell and to start.
    case(
        "w-121-home-alone-recorded",
        W,
        W_ALONE,
        "refused",
        ("CHAPERONE_REQUIRED",),
        pupil_home_alone=True,
    ),
    case(
        "w-121-home-alone-unrecorded",
        W,
        W_ONE,
        "refused",
        ("CHAPERONE_REQUIRED", "SECOND_ADULT_REQUIRED"),
        parent_present=False,
        pupil_home_alone=True,
    ),
    # Common rooms only, never bedrooms.
    case("w-bedroom", W, W_GROUP, "refused", ("BEDROOM_LOCATION",), pupil_location="bedroom"),
    case(
        "w-bedroom-door-open",
        W,
        W_GROUP,
        "refused",
        ("BEDROOM_LOCATION",),
        pupil_location="bedroom_door_open",
    ),
    case("w-121-bedroom", W, W_ONE, "refused", ("BEDROOM_LOCATION",), pupil_location="bedroom"),
    case(
        "w-common-room",
        W,
        W_GROUP,
        "allowed",
        (),
        ("BEDROOM_LOCATION",),
        pupil_location="common_room",
    ),
    # Consent is implied by joining until the digital form is back: never holds a call up.
    case(
        "w-consent-none",
        W,
        W_GROUP,
        "allowed",
        (),
        ("PARENTAL_CONSENT_REQUIRED",),
        parental_consent="none",
    ),
    case("w-consent-implied", W, W_GROUP, "allowed", parental_consent="implied"),
    case("w-consent-written", W, W_GROUP, "allowed", parental_consent="written"),
    # Rules of the other seeds are not imported.
    case(
        "w-no-rules-from-elsewhere",
        W,
        W_ONE,
        "allowed",
        (),
        NOT_IN_WERRINGTON,
        at=f"{SAT}T20:00:00+00:00",
        account="personal",
        device="personal",
        staff_location="off_site",
        parents_informed=False,
        purpose="counselling",
    ),
    case(
        "w-evening-bst-no-hours",
        W,
        W_GROUP,
        "allowed",
        (),
        ("OUTSIDE_PERMITTED_HOURS",),
        at=f"{BST_TUE}T18:30:00+00:00",
    ),
]

# --- Habs Monmouth (seed 003) ---------------------------------------------------------------

HABS = [
    # Parents written to in advance (a step before the call).
    case("h-tuition-ok", H, H_TUITION, "allowed", absent=("PARENTS_NOT_INFORMED",)),
    case(
        "h-parents-not-informed",
        H,
        H_TUITION,
        ("pending", "refused"),
        ("PARENTS_NOT_INFORMED",),
        parents_informed=False,
    ),
    case(
        "h-pastoral-parents-not-informed",
        H,
        H_PASTORAL,
        ("pending", "refused"),
        ("PARENTS_NOT_INFORMED",),
        parents_informed=False,
    ),
    # Permitted purposes.
    case("h-music-ok", H, H_MUSIC, "allowed"),
    case(
        "h-teaching-not-permitted",
        H,
        H_TUITION,
        "refused",
        ("PURPOSE_NOT_PERMITTED",),
        purpose="teaching",
    ),
    case(
        "h-sen-support-not-permitted",
        H,
        H_TUITION,
        "refused",
        ("PURPOSE_NOT_PERMITTED",),
        purpose="sen_support",
    ),
    case(
        "h-counselling-by-counsellor",
        H,
        H_COUNSEL,
        "allowed",
        (),
        ("PURPOSE_NOT_PERMITTED", "CHAPERONE_REQUIRED", "SECOND_STAFF_REQUIRED"),
    ),
    case(
        "h-counselling-by-teacher",
        H,
        H_COUNSEL,
        "refused",
        ("PURPOSE_NOT_PERMITTED",),
        staff=[{"role": "teacher"}],
    ),
    case(
        "h-pastoral-by-teacher",
        H,
        H_PASTORAL,
        "refused",
        ("PURPOSE_NOT_PERMITTED",),
        staff=[{"role": "teacher"}],
    ),
    case(
        "h-welfare-group-by-head-of-year",
        H,
        H_TUITION,
        "allowed",
        (),
        ("SECOND_STAFF_REQUIRED", "CHAPERONE_REQUIRED", "OUTSIDE_PERMITTED_HOURS"),
        kind="group",
        purpose="welfare_check",
        staff=[{"role": "head_of_year"}],
        pupils=[pupil(13), pupil(14)],
    ),
    # Microsoft Teams from a school account.
    case("h-zoom", H, H_TUITION, "refused", ("PLATFORM_NOT_APPROVED",), platform="zoom"),
    case("h-meet", H, H_TUITION, "refused", ("PLATFORM_NOT_APPROVED",), platform="meet"),
    case(
        "h-phone-call-on-phone",
        H,
        H_PASTORAL,
        "refused",
        ("PLATFORM_NOT_APPROVED",),
        kind="phone_call",
        platform="phone",
    ),
    case("h-personal-account", H, H_TUITION, "refused", ("PERSONAL_ACCOUNT",), account="personal"),
    case(
        "h-pastoral-personal-account",
        H,
        H_PASTORAL,
        "refused",
        ("PERSONAL_ACCOUNT",),
        account="personal",
    ),
    case(
        "h-device-and-location-unregulated",
        H,
        H_TUITION,
        "allowed",
        (),
        ("PERSONAL_DEVICE", "STAFF_OFF_SITE", "WAITING_ROOM_REQUIRED"),
        device="personal",
        staff_location="off_site",
    ),
    # Recording is the member of staff's choice.
    case(
        "h-recorded-tuition",
        H,
        H_TUITION,
        "allowed",
        (),
        ("RECORDING_NOT_PERMITTED", "RECORDING_REQUIRED"),
        recording=True,
    ),
    case(
        "h-recorded-pastoral",
        H,
        H_PASTORAL,
        "allowed",
        (),
        ("RECORDING_NOT_PERMITTED", "RECORDING_REQUIRED"),
        recording=True,
    ),
    # A public room; a bedroom only as an exception with the door open; counselling exempt.
    case(
        "h-bedroom-closed", H, H_TUITION, "refused", ("BEDROOM_LOCATION",), pupil_location="bedroom"
    ),
    case(
        "h-bedroom-door-open",
        H,
        H_TUITION,
        "allowed",
        (),
        ("BEDROOM_LOCATION",),
        pupil_location="bedroom_door_open",
    ),
    case(
        "h-pastoral-bedroom-closed",
        H,
        H_PASTORAL,
        "refused",
        ("BEDROOM_LOCATION",),
        pupil_location="bedroom",
    ),
    case(
        "h-counselling-in-bedroom",
        H,
        H_COUNSEL,
        "allowed",
        (),
        ("BEDROOM_LOCATION",),
        pupil_location="bedroom",
    ),
    # Academic tuition 08:30-17:30 (Europe/London), else consent in advance and SLT informed.
    case(
        "h-tuition-gmt-0730z-early",
        H,
        H_TUITION,
        ("pending", "refused"),
        (*HOURS, "SLT_APPROVAL_REQUIRED"),
        at=f"{GMT_TUE}T07:30:00+00:00",
    ),
    case(
        "h-tuition-bst-0730z-is-0830",
        H,
        H_TUITION,
        "allowed",
        (),
        HOURS,
        at=f"{BST_TUE}T07:30:00+00:00",
    ),
    case(
        "h-tuition-gmt-1615z-ok", H, H_TUITION, "allowed", (), HOURS, at=f"{GMT_TUE}T16:15:00+00:00"
    ),
    case(
        "h-tuition-bst-1615z-ends-1745",
        H,
        H_TUITION,
        ("pending", "refused"),
        HOURS,
        at=f"{BST_TUE}T16:15:00+00:00",
    ),
    case(
        "h-tuition-bst-ends-1730",
        H,
        H_TUITION,
        "allowed",
        (),
        HOURS,
        at=f"{BST_TUE}T16:00:00+00:00",
    ),
    case(
        "h-tuition-gmt-overruns-1730",
        H,
        H_TUITION,
        ("pending", "refused"),
        HOURS,
        at=f"{GMT_TUE}T17:00:00+00:00",
        duration_minutes=45,
    ),
    case(
        "h-tuition-offset-given-in-bst",
        H,
        H_TUITION,
        "allowed",
        (),
        HOURS,
        at=f"{BST_TUE}T17:00:00+01:00",
    ),
    # Either side of the clocks going back (Sunday 25 October 2026): the same UTC time of day.
    case(
        "h-tuition-fri-before-clock-change",
        H,
        H_TUITION,
        ("pending", "refused"),
        HOURS,
        at="2026-10-23T16:45:00+00:00",
    ),
    case(
        "h-tuition-mon-after-clock-change",
        H,
        H_TUITION,
        "allowed",
        (),
        HOURS,
        at="2026-10-26T16:45:00+00:00",
    ),
    case(
        "h-pastoral-senior-deputy-alone",
        H,
        H_PASTORAL,
        ("pending", "refused"),
        ("SECOND_STAFF_REQUIRED",),
        staff=[{"role": "senior_deputy_head_pastoral"}],
        second_staff_invited=False,
        second_staff_role=None,
    ),
    case(
        "h-tuition-evening-no-consent",
        H,
        H_TUITION,
        ("pending", "refused"),
        (*HOURS, "SLT_APPROVAL_REQUIRED"),
        at=f"{GMT_TUE}T19:00:00+00:00",
    ),
    case(
        "h-tuition-evening-implied-consent",
        H,
        H_TUITION,
        ("pending", "refused"),
        ("PARENTAL_CONSENT_REQUIRED",),
        at=f"{GMT_TUE}T19:00:00+00:00",
        parental_consent="implied",
        slt_approved=True,
    ),
    case(
        "h-tuition-evening-consent-no-slt",
        H,
        H_TUITION,
        ("pending", "refused"),
        ("SLT_APPROVAL_REQUIRED",),
        ("PARENTAL_CONSENT_REQUIRED",),
        at=f"{GMT_TUE}T19:00:00+00:00",
        parental_consent="written",
    ),
    case(
        "h-tuition-evening-consent-and-slt",
        H,
        H_TUITION,
        "allowed",
        (),
        (*HOURS, "SLT_APPROVAL_REQUIRED"),
        at=f"{GMT_TUE}T19:00:00+00:00",
        parental_consent="written",
        slt_approved=True,
    ),
    case(
        "h-tuition-group-evening",
        H,
        H_TUITION,
        ("pending", "refused"),
        HOURS,
        kind="group",
        pupils=[pupil(15), pupil(16)],
        at=f"{GMT_TUE}T19:00:00+00:00",
    ),
    case(
        "h-tuition-saturday-in-hours",
        H,
        H_TUITION,
        "allowed",
        (),
        HOURS,
        at=f"{SAT}T10:00:00+00:00",
    ),
    case(
        "h-music-evening-no-hours", H, H_MUSIC, "allowed", (), HOURS, at=f"{GMT_TUE}T19:00:00+00:00"
    ),
    case(
        "h-counselling-evening-no-hours",
        H,
        H_COUNSEL,
        "allowed",
        (),
        HOURS,
        at=f"{GMT_TUE}T19:00:00+00:00",
    ),
    # Pastoral one-to-ones: lunchtime 12:30-13:30 or tutor time 08:30-08:50 on school days,
    # otherwise a parent's written consent given beforehand.
    case(
        "h-pastoral-ok",
        H,
        H_PASTORAL,
        "allowed",
        (),
        (*HOURS, "SECOND_STAFF_REQUIRED", "CHAPERONE_REQUIRED"),
    ),
    case(
        "h-pastoral-gmt-lunch-exact-hour",
        H,
        H_PASTORAL,
        "allowed",
        (),
        HOURS,
        at=f"{GMT_TUE}T12:30:00+00:00",
        duration_minutes=60,
    ),
    case(
        "h-pastoral-gmt-lunch-overruns",
        H,
        H_PASTORAL,
        ("pending", "refused"),
        HOURS,
        at=f"{GMT_TUE}T13:15:00+00:00",
    ),
    case(
        "h-pastoral-bst-1130z-is-lunch",
        H,
        H_PASTORAL,
        "allowed",
        (),
        HOURS,
        at=f"{BST_TUE}T11:30:00+00:00",
    ),
    case(
        "h-pastoral-bst-1230z-is-1330",
        H,
        H_PASTORAL,
        ("pending", "refused"),
        HOURS,
        at=f"{BST_TUE}T12:30:00+00:00",
    ),
    case(
        "h-pastoral-tutor-time-20min",
        H,
        H_PASTORAL,
        "allowed",
        (),
        HOURS,
        at=f"{GMT_TUE}T08:30:00+00:00",
        duration_minutes=20,
    ),
    case(
        "h-pastoral-tutor-time-30min-overruns",
        H,
        H_PASTORAL,
        ("pending", "refused"),
        HOURS,
        at=f"{GMT_TUE}T08:30:00+00:00",
        duration_minutes=30,
    ),
    case(
        "h-pastoral-bst-tutor-time",
        H,
        H_PASTORAL,
        "allowed",
        (),
        HOURS,
        at=f"{BST_TUE}T07:30:00+00:00",
        duration_minutes=20,
    ),
    case(
        "h-pastoral-saturday-lunch",
        H,
        H_PASTORAL,
        ("pending", "refused"),
        HOURS,
        at=f"{SAT}T12:40:00+00:00",
    ),
    case(
        "h-pastoral-evening",
        H,
        H_PASTORAL,
        ("pending", "refused"),
        HOURS,
        at=f"{GMT_TUE}T19:00:00+00:00",
    ),
    case(
        "h-pastoral-evening-implied-consent",
        H,
        H_PASTORAL,
        ("pending", "refused"),
        HOURS,
        at=f"{GMT_TUE}T19:00:00+00:00",
        parental_consent="implied",
    ),
    case(
        "h-pastoral-evening-written-consent",
        H,
        H_PASTORAL,
        "allowed",
        (),
        (*HOURS, "SLT_APPROVAL_REQUIRED"),
        at=f"{GMT_TUE}T19:00:00+00:00",
        parental_consent="written",
    ),
    case(
        "h-welfare-check-evening",
        H,
        H_PASTORAL,
        ("pending", "refused"),
        HOURS,
        purpose="welfare_check",
        at=f"{GMT_TUE}T19:00:00+00:00",
    ),
    case(
        "h-pastoral-hours-by-head-of-year",
        H,
        H_PASTORAL,
        ("pending", "refused"),
        HOURS,
        staff=[{"role": "head_of_year"}],
        second_staff_role="senior_deputy_head_pastoral",
        at=f"{GMT_TUE}T19:00:00+00:00",
    ),
    # A second member of the pastoral team invited, of the right seniority.
    case(
        "h-pastoral-no-second",
        H,
        H_PASTORAL,
        ("pending", "refused"),
        ("SECOND_STAFF_REQUIRED",),
        second_staff_invited=False,
        second_staff_role=None,
    ),
    case(
        "h-pastoral-tutor-invites-housemaster",
        H,
        H_PASTORAL,
        "allowed",
        (),
        ("SECOND_STAFF_REQUIRED",),
        second_staff_role="housemaster",
    ),
    case(
        "h-pastoral-tutor-invites-tutor",
        H,
        H_PASTORAL,
        ("pending", "refused"),
        ("SECOND_STAFF_REQUIRED",),
        second_staff_role="tutor",
    ),
    case(
        "h-pastoral-tutor-invites-dsl",
        H,
        H_PASTORAL,
        ("pending", "refused"),
        ("SECOND_STAFF_REQUIRED",),
        second_staff_role="dsl",
    ),
    case(
        "h-pastoral-tutor-and-head-of-year-on-call",
        H,
        H_PASTORAL,
        "allowed",
        (),
        ("SECOND_STAFF_REQUIRED",),
        second_staff_invited=False,
        second_staff_role=None,
        staff=[{"role": "tutor"}, {"role": "head_of_year"}],
    ),
    case(
        "h-pastoral-hoy-invites-senior-deputy",
        H,
        H_PASTORAL,
        "allowed",
        (),
        ("SECOND_STAFF_REQUIRED",),
        staff=[{"role": "head_of_year"}],
        second_staff_role="senior_deputy_head_pastoral",
    ),
    case(
        "h-pastoral-hoy-invites-tutor",
        H,
        H_PASTORAL,
        ("pending", "refused"),
        ("SECOND_STAFF_REQUIRED",),
        staff=[{"role": "head_of_year"}],
        second_staff_role="tutor",
    ),
    case(
        "h-pastoral-housemaster-no-second",
        H,
        H_PASTORAL,
        ("pending", "refused"),
        ("SECOND_STAFF_REQUIRED",),
        staff=[{"role": "housemaster"}],
        second_staff_invited=False,
        second_staff_role=None,
    ),
    case(
        "h-pastoral-housemaster-invites-senior-deputy",
        H,
        H_PASTORAL,
        "allowed",
        (),
        ("SECOND_STAFF_REQUIRED",),
        staff=[{"role": "housemaster"}],
        second_staff_role="senior_deputy_head_pastoral",
    ),
    case(
        "h-phone-call-pastoral-no-second",
        H,
        H_PASTORAL,
        ("pending", "refused"),
        ("SECOND_STAFF_REQUIRED",),
        kind="phone_call",
        second_staff_invited=False,
    ),
    case(
        "h-tuition-needs-no-second",
        H,
        H_TUITION,
        "allowed",
        (),
        ("SECOND_STAFF_REQUIRED", "SECOND_ADULT_REQUIRED", "CHAPERONE_REQUIRED"),
    ),
    # An adult at home who shows themselves on camera and agrees (a parent in the room counts).
    case(
        "h-pastoral-no-adult-at-home",
        H,
        H_PASTORAL,
        ("refused", "pending"),
        ("CHAPERONE_REQUIRED",),
        chaperone_present=False,
    ),
    case(
        "h-pastoral-parent-in-room-counts",
        H,
        H_PASTORAL,
        "allowed",
        (),
        ("CHAPERONE_REQUIRED",),
        chaperone_present=False,
        parent_present=True,
    ),
    case(
        "h-phone-call-pastoral-no-adult",
        H,
        H_PASTORAL,
        ("refused", "pending"),
        ("CHAPERONE_REQUIRED",),
        kind="phone_call",
        chaperone_present=False,
    ),
    case(
        "h-counselling-no-chaperone",
        H,
        H_COUNSEL,
        "allowed",
        (),
        ("CHAPERONE_REQUIRED",),
        chaperone_present=False,
    ),
    # A child too young to be home alone, found alone: a safeguarding matter.
    case(
        "h-pastoral-home-alone-age-10",
        H,
        H_PASTORAL,
        "refused",
        ("PUPIL_TOO_YOUNG_ALONE", "CHAPERONE_REQUIRED"),
        pupils=[pupil(10)],
        chaperone_present=False,
        pupil_home_alone=True,
    ),
    case(
        "h-pastoral-home-alone-age-15",
        H,
        H_PASTORAL,
        ("refused", "pending"),
        ("CHAPERONE_REQUIRED",),
        ("PUPIL_TOO_YOUNG_ALONE",),
        pupils=[pupil(15)],
        chaperone_present=False,
        pupil_home_alone=True,
    ),
    case(
        "h-pastoral-age-10-adult-at-home",
        H,
        H_PASTORAL,
        "allowed",
        (),
        ("PUPIL_TOO_YOUNG_ALONE",),
        pupils=[pupil(10)],
    ),
    case(
        "h-tuition-home-alone-age-9",
        H,
        H_TUITION,
        "refused",
        ("PUPIL_TOO_YOUNG_ALONE",),
        pupils=[pupil(9)],
        pupil_home_alone=True,
    ),
    case(
        "h-tuition-home-alone-age-16",
        H,
        H_TUITION,
        "allowed",
        (),
        ("PUPIL_TOO_YOUNG_ALONE", "CHAPERONE_REQUIRED"),
        pupils=[pupil(16)],
        pupil_home_alone=True,
    ),
]

# --- NPAT one-to-one guidance (seed 004) ----------------------------------------------------

NPAT = [
    case("n-ok", N, N_ONE, "allowed"),
    case("n-pastoral-ok", N, N_PASTORAL, "allowed"),
    case(
        "n-counselling-ok",
        N,
        N_PASTORAL,
        "allowed",
        purpose="counselling",
        staff=[{"role": "counsellor"}],
    ),
    case("n-welfare-check-ok", N, N_PASTORAL, "allowed", purpose="welfare_check"),
    case("n-phone-call-kind-on-teams-ok", N, N_ONE, "allowed", kind="phone_call"),
    # Recorded (and kept 20 days), whoever else is there.
    case("n-unrecorded", N, N_ONE, "refused", ("RECORDING_REQUIRED",), recording=False),
    case(
        "n-unrecorded-with-parent",
        N,
        N_ONE,
        "refused",
        ("RECORDING_REQUIRED",),
        recording=False,
        parent_present=True,
    ),
    case(
        "n-phone-call-unrecorded",
        N,
        N_ONE,
        "refused",
        ("RECORDING_REQUIRED",),
        kind="phone_call",
        recording=False,
    ),
    # Steps before the call.
    case(
        "n-no-risk-assessment",
        N,
        N_ONE,
        ("pending", "refused"),
        ("RISK_ASSESSMENT_REQUIRED",),
        risk_assessed=False,
    ),
    case(
        "n-no-slt-approval",
        N,
        N_ONE,
        ("pending", "refused"),
        ("SLT_APPROVAL_REQUIRED",),
        slt_approved=False,
    ),
    case(
        "n-not-on-dsl-timetable",
        N,
        N_ONE,
        ("pending", "refused"),
        ("NOT_ON_DSL_TIMETABLE",),
        on_dsl_timetable=False,
    ),
    case(
        "n-dsl-not-invited",
        N,
        N_ONE,
        ("pending", "refused"),
        ("DSL_MUST_BE_INVITED",),
        dsl_invited=False,
    ),
    case(
        "n-outcome-not-linked",
        N,
        N_ONE,
        ("pending", "refused"),
        ("OUTCOME_NOT_LINKED",),
        linked_to_plan=False,
    ),
    case(
        "n-pastoral-nothing-done",
        N,
        N_PASTORAL,
        ("pending", "refused"),
        NPAT_STEPS,
        risk_assessed=False,
        slt_approved=False,
        on_dsl_timetable=False,
        dsl_invited=False,
        linked_to_plan=False,
    ),
    case(
        "n-nothing-done-unrecorded",
        N,
        N_ONE,
        "refused",
        (*NPAT_STEPS, "RECORDING_REQUIRED"),
        risk_assessed=False,
        slt_approved=False,
        on_dsl_timetable=False,
        dsl_invited=False,
        linked_to_plan=False,
        recording=False,
    ),
    # School platforms, devices and accounts.
    case("n-zoom-ok", N, N_ONE, "allowed", platform="zoom"),
    case("n-meet-ok", N, N_ONE, "allowed", platform="meet"),
    case("n-other-platform", N, N_ONE, "refused", ("PLATFORM_NOT_APPROVED",), platform="other"),
    case("n-personal-device", N, N_ONE, "refused", ("PERSONAL_DEVICE",), device="personal"),
    case("n-personal-account", N, N_ONE, "refused", ("PERSONAL_ACCOUNT",), account="personal"),
    case("n-group-personal-device", N, N_GROUP, "refused", ("PERSONAL_DEVICE",), device="personal"),
    # Staff on site unless an emergency.
    case("n-off-site", N, N_ONE, "refused", ("STAFF_OFF_SITE",), staff_location="off_site"),
    case(
        "n-off-site-emergency",
        N,
        N_ONE,
        "allowed",
        (),
        ("STAFF_OFF_SITE",),
        staff_location="off_site",
        emergency=True,
    ),
    case("n-on-site-emergency-flag", N, N_ONE, "allowed", (), ("STAFF_OFF_SITE",), emergency=True),
    # One-to-ones are for pastoral care and EHC needs, not teaching (done in groups).
    case(
        "n-teaching-121",
        N,
        N_ONE,
        "refused",
        ("PURPOSE_NOT_PERMITTED",),
        purpose="teaching",
        linked_to_plan=False,
    ),
    case(
        "n-tuition-121-alone",
        N,
        N_ONE,
        "refused",
        ("SECOND_ADULT_REQUIRED",),
        ("PURPOSE_NOT_PERMITTED",),
        purpose="academic_tuition",
    ),
    case(
        "n-tuition-121-parent-in-room",
        N,
        N_ONE,
        "allowed",
        (),
        ("PURPOSE_NOT_PERMITTED", "SECOND_ADULT_REQUIRED"),
        purpose="academic_tuition",
        parent_present=True,
    ),
    case(
        "n-music-121-colleague-invited",
        N,
        N_ONE,
        "allowed",
        (),
        ("PURPOSE_NOT_PERMITTED", "SECOND_ADULT_REQUIRED"),
        purpose="music_tuition",
        second_staff_invited=True,
    ),
    case(
        "n-music-121-alone",
        N,
        N_ONE,
        "refused",
        ("SECOND_ADULT_REQUIRED",),
        purpose="music_tuition",
    ),
    case(
        "n-group-teaching-ok",
        N,
        N_GROUP,
        "allowed",
        (),
        ("PURPOSE_NOT_PERMITTED", "RECORDING_REQUIRED", *NPAT_STEPS, "STAFF_OFF_SITE"),
    ),
    # Nothing from the other seeds.
    case(
        "n-no-rules-from-elsewhere",
        N,
        N_ONE,
        "allowed",
        (),
        (
            "WAITING_ROOM_REQUIRED",
            "PARENTS_NOT_INFORMED",
            "OUTSIDE_PERMITTED_HOURS",
            "BEDROOM_LOCATION",
            "CHAPERONE_REQUIRED",
            "PUPIL_TOO_YOUNG_ALONE",
        ),
        at=f"{SAT}T20:00:00+00:00",
        parents_informed=False,
        pupil_location="bedroom",
    ),
]

CASES = WERRINGTON + HABS + NPAT


def _decide(c: Case):
    return decide(load_template(c.protocol), parse_request(c.request))


def _check(c: Case, outcome: str, found: set[str]) -> None:
    allowed_outcomes = c.outcome if isinstance(c.outcome, tuple) else (c.outcome,)
    assert outcome in allowed_outcomes, (c.id, outcome, sorted(found))
    assert set(c.codes) <= found, (c.id, "missing", sorted(set(c.codes) - found))
    assert not set(c.absent) & found, (c.id, "unexpected", sorted(set(c.absent) & found))


def test_case_ids_unique():
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_seed_case(c: Case):
    decision = _decide(c)
    _check(c, decision.outcome, set(decision.codes))


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_decision_shape(c: Case):
    """Outcome is the worst effect; refuse, pending, info in order; every block has a remedy."""
    findings = _decide(c).findings
    rank = {"refuse": 0, "pending": 1, "info": 2}
    effects = [f.effect for f in findings]
    assert effects == sorted(effects, key=rank.__getitem__)
    worst = min((rank[e] for e in effects), default=2)
    assert _decide(c).outcome == ("refused", "pending", "allowed")[worst]
    assert all(f.remedy for f in findings if f.effect != "info")


# A sample through the real command, one process per protocol (--jsonl keeps the order).
@pytest.mark.parametrize("protocol", [W, H, N])
def test_cases_through_cli(protocol: str, tmp_path):
    rows = [c for c in CASES if c.protocol == protocol]
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(json.dumps(c.request) + "\n" for c in rows))
    proc = cli("check", "--protocol", protocol, "--jsonl", str(path))
    assert proc.returncode == 0, proc.stdout[:500]
    lines = proc.stdout.splitlines()
    assert len(lines) == len(rows)
    for c, line in zip(rows, lines, strict=True):
        out = json.loads(line)
        _check(c, out["outcome"], {f["code"] for f in out["findings"]})


@pytest.mark.parametrize(
    "c",
    [
        c
        for c in CASES
        if c.id
        in {
            "w-121-parent-absent-recorded",
            "h-pastoral-bst-1230z-is-1330",
            "n-off-site-emergency",
            "h-pastoral-home-alone-age-10",
        }
    ],
    ids=lambda c: c.id,
)
def test_single_request_through_cli(c: Case):
    proc = cli("check", "--protocol", c.protocol, "-", stdin=json.dumps(c.request))
    assert proc.returncode == 0, proc.stdout
    out = json.loads(proc.stdout)
    assert out["protocol"]["id"] == c.protocol
    _check(c, out["outcome"], {f["code"] for f in out["findings"]})
    assert all(f["remedy"] for f in out["findings"] if f["effect"] != "info")


# --- Malformed requests: exit 2, one JSON line naming the field ------------------------------

MALFORMED = [
    ("one-to-one-two-pupils", W, {**W_ONE, "pupils": [pupil(6), pupil(7)]}, "pupils"),
    (
        "home-alone-with-parent",
        H,
        {**H_PASTORAL, "pupil_home_alone": True, "parent_present": True},
        ("pupil_home_alone", "parent_present"),
    ),
    ("unknown-field", N, {**N_ONE, "camera_on": True}, "camera_on"),
    ("missing-kind", N, {k: v for k, v in N_ONE.items() if k != "kind"}, "kind"),
    ("no-staff", W, {**W_GROUP, "staff": []}, "staff"),
    ("duration-too-long", H, {**H_TUITION, "duration_minutes": 481}, "duration_minutes"),
    ("bad-purpose", H, {**H_TUITION, "purpose": "detention"}, "purpose"),
]


@pytest.mark.parametrize(
    ("protocol", "request_", "field"),
    [row[1:] for row in MALFORMED],
    ids=[row[0] for row in MALFORMED],
)
def test_malformed_request_exit_2(protocol, request_, field):
    proc = cli("check", "--protocol", protocol, "-", stdin=json.dumps(request_))
    assert proc.returncode == 2
    lines = proc.stdout.splitlines()
    assert len(lines) == 1
    error = json.loads(lines[0])["error"]
    assert error["code"] and error["message"]
    fields = field if isinstance(field, tuple) else (field,)
    assert error["field"].split(".")[0] in fields, error


def test_phone_call_with_several_pupils_is_not_malformed():
    # The contract names only one_to_one as limited to a single pupil.
    request = {**W_ONE, "kind": "phone_call", "pupils": [pupil(6), pupil(8)]}
    assert decide(load_template(W), parse_request(request)).outcome == "allowed"
