"""How the cross-tenant test exercises every URL pattern. A pattern missing here fails the suite.

Each case says how to reach the URL as a signed-in person of tenant A when the object belongs to
tenant B. Object URLs must answer 404 exactly as for an id that does not exist; collection pages
must show nothing of tenant B.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.factories import ContactFactory, HouseholdFactory, PupilFactory, StaffFactory


@dataclass(frozen=True)
class Case:
    kind: str  # "public" | "collection" | "object" | "action" | "auth"
    #: object/action cases: build tenant B's object, return the URL kwargs
    make: Callable[[Any], dict[str, Any]] | None = None
    #: kwargs naming an object that does not exist
    missing: dict[str, Any] = field(default_factory=dict)
    method: str = "get"
    data: dict[str, Any] = field(default_factory=dict)


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


def _protocol_version(t):  # type: ignore[no-untyped-def]
    from tests.protocols.factories import trust_version

    return {"pk": trust_version(t.trust, "habs-monmouth").pk}


def _protocol_school(t):  # type: ignore[no-untyped-def]
    from tests.protocols.factories import trust_version

    trust_version(t.trust, "habs-monmouth")
    return {"school_id": t.school.pk, "audience": "staff"}


MISSING_PK = {"pk": 987654321}

URL_CASES: dict[str, Case] = {
    "healthz": Case("public"),
    "login": Case("public"),
    "logout": Case("auth", method="post"),
    "two_factor_setup": Case("auth"),
    "two_factor_verify": Case("auth"),
    "dashboard": Case("collection"),
    "school_switch": Case("action", method="post"),
    "people:pupil_list": Case("collection"),
    "people:pupil_detail": Case("object", make=_pupil, missing=MISSING_PK),
    "people:household_detail": Case("object", make=_household, missing=MISSING_PK),
    "people:staff_list": Case("collection"),
    "people:staff_detail": Case("object", make=_staff, missing=MISSING_PK),
    "protocols:current": Case("collection"),
    "protocols:parent": Case("collection"),
    "protocols:school_pdf": Case(
        "object", make=_protocol_school, missing={"school_id": 987654321, "audience": "staff"}
    ),
    "protocols:history": Case("collection"),
    "protocols:version_detail": Case("object", make=_protocol_version, missing=MISSING_PK),
    "protocols:version_source": Case("object", make=_protocol_version, missing=MISSING_PK),
    "protocols:upload": Case("collection"),
    "protocols:acknowledge": Case("action", method="post"),
    "protocols:acknowledgements": Case("collection"),
    "protocols:try": Case("collection"),
    "protocols:try_result": Case("action", method="post"),
    "protocols:template_list": Case("collection"),
    "protocols:template_detail": Case("object", missing={"template_id": "no-such-template"}),
    "protocols:template_pdf": Case(
        "object", missing={"template_id": "no-such-template", "audience": "staff"}
    ),
}

_unused = HouseholdFactory  # kept importable for cases added by other apps
