"""The closed vocabularies shared by requests and protocols.

Every value a request field may take, and every finding code the contract fixes, lives here so the
request parser, the protocol validator, the JSON Schema and the docs all read one list.
"""

from __future__ import annotations

from typing import Literal, get_args

Kind = Literal["group", "one_to_one", "phone_call"]
Purpose = Literal[
    "teaching",
    "academic_tuition",
    "music_tuition",
    "counselling",
    "pastoral",
    "sen_support",
    "welfare_check",
]
Platform = Literal["teams", "zoom", "meet", "phone", "other"]
Holder = Literal["school", "personal"]
StaffLocation = Literal["on_site", "off_site"]
Role = Literal[
    "teacher",
    "tutor",
    "head_of_year",
    "housemaster",
    "senior_deputy_head_pastoral",
    "dsl",
    "slt",
    "counsellor",
    "sen_staff",
    "support_staff",
]
Consent = Literal["none", "implied", "written"]
PupilLocation = Literal["common_room", "bedroom_door_open", "bedroom"]
Effect = Literal["refuse", "pending", "info"]
Outcome = Literal["allowed", "pending", "refused"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

KINDS: tuple[str, ...] = get_args(Kind)
PURPOSES: tuple[str, ...] = get_args(Purpose)
PLATFORMS: tuple[str, ...] = get_args(Platform)
ROLES: tuple[str, ...] = get_args(Role)
WEEKDAYS: tuple[str, ...] = get_args(Weekday)
HOLDERS: tuple[str, ...] = get_args(Holder)
STAFF_LOCATIONS: tuple[str, ...] = get_args(StaffLocation)
PUPIL_LOCATIONS: tuple[str, ...] = get_args(PupilLocation)
CONSENTS: tuple[str, ...] = get_args(Consent)

#: Ordering of consent strength: ``written`` satisfies a demand for ``implied``.
CONSENT_RANK: dict[str, int] = {"none": 0, "implied": 1, "written": 2}

#: Severity of effects; the decision's outcome is the most severe effect found.
EFFECT_RANK: dict[str, int] = {"info": 0, "pending": 1, "refuse": 2}
OUTCOME_FOR_EFFECT: dict[str, str] = {"info": "allowed", "pending": "pending", "refuse": "refused"}

#: Finding codes fixed by the ``chaperone check`` contract, with their meaning.
CONTRACT_CODES: dict[str, str] = {
    "PLATFORM_NOT_APPROVED": "The platform is not on the protocol's approved list.",
    "PERSONAL_ACCOUNT": "The call would be hosted on a personal account.",
    "PERSONAL_DEVICE": "Staff would use a personal device.",
    "SECOND_ADULT_REQUIRED": "A one-to-one lacks the second adult (or recording) required.",
    "RECORDING_REQUIRED": "The protocol demands that this contact is recorded.",
    "RECORDING_NOT_PERMITTED": "The protocol forbids recording this contact.",
    "OUTSIDE_PERMITTED_HOURS": "The call starts or ends outside the window for its purpose.",
    "PARENTAL_CONSENT_REQUIRED": "Parental consent of the kind the protocol demands is missing.",
    "SLT_APPROVAL_REQUIRED": "Senior leadership approval (or notice) is missing.",
    "RISK_ASSESSMENT_REQUIRED": "No risk assessment exists for this contact.",
    "DSL_MUST_BE_INVITED": "The DSL or an SLT member must be invited.",
    "DSL_MUST_BE_NOTIFIED": "The DSL must be told about this contact.",
    "NOT_ON_DSL_TIMETABLE": "The call is not on the DSL/SLT timetable in advance.",
    "SECOND_STAFF_REQUIRED": "A second staff member of the right role must be invited.",
    "CHAPERONE_REQUIRED": "An adult at the pupil's home must be present and agree.",
    "PUPIL_TOO_YOUNG_ALONE": "A pupil too young to be home alone has no adult at home.",
    "BEDROOM_LOCATION": "The pupil would be in a bedroom where the protocol does not allow it.",
    "WAITING_ROOM_REQUIRED": "The meeting lacks a waiting room or lobby.",
    "STAFF_OFF_SITE": "Staff would be off site without an emergency.",
    "PURPOSE_NOT_PERMITTED": "Remote contact is not allowed for this purpose or kind of call.",
    "OUTCOME_NOT_LINKED": "The call has no outcome tied to a pastoral or EHC plan.",
    "PARENTS_NOT_INFORMED": "Parents were not told in advance about remote contact.",
}
