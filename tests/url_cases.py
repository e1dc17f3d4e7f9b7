"""How the cross-tenant test exercises every URL pattern. A pattern missing here fails the suite.

Each case says how to reach the URL as a signed-in person of tenant A when the object belongs to
tenant B. Object URLs must answer 404 exactly as for an id that does not exist; collection pages
must show nothing of tenant B.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.factories import ContactFactory, PupilFactory, StaffFactory


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


def _audit_event(t):  # type: ignore[no-untyped-def]
    from chaperone.audit.log import record

    pupil = PupilFactory(school=t.school)
    return {"pk": record("pupil.viewed", actor=None, target=pupil).pk}


def _import_batch(t):  # type: ignore[no-untyped-def]
    """Tenant B's school admin uploads a pupils CSV; the batch id is theirs alone."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.urls import reverse

    from tests.factories import make_staff
    from tests.people.test_import_support import pupils_csv

    client = Client()
    client.force_login(make_staff(t.school, "school_admin").user)
    response = client.post(
        reverse("people:import_start"),
        {"kind": "pupils", "file": SimpleUploadedFile("p.csv", pupils_csv())},
    )
    return {"batch": uuid.UUID(response["Location"].rstrip("/").rsplit("/", 1)[-1])}


MISSING_PK = {"pk": 987654321}
MISSING_BATCH = {"batch": uuid.UUID(int=0)}

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
    "school_switch": Case("action", method="post"),
    "people:pupil_list": Case("collection"),
    "people:pupil_detail": Case("object", make=_pupil, missing=MISSING_PK),
    "people:household_detail": Case("object", make=_household, missing=MISSING_PK),
    "people:staff_list": Case("collection"),
    "people:staff_detail": Case("object", make=_staff, missing=MISSING_PK),
    "people:staff_roles": Case("object", make=_staff, missing=MISSING_PK),
    "people:staff_account": Case("object", make=_staff, missing=MISSING_PK),
    "people:role_confirmations": Case("collection"),
    "people:code_of_conduct": Case("collection"),
    "people:flag_changes": Case("collection"),
    "people:import_start": Case("collection"),
    "people:import_preview": Case("object", make=_import_batch, missing=MISSING_BATCH),
    "people:import_confirm": Case(
        "object", make=_import_batch, missing=MISSING_BATCH, method="post"
    ),
    "audit:event_list": Case("collection"),
    "audit:event_detail": Case("object", make=_audit_event, missing=MISSING_PK),
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
    "protocols:remind": Case("action", method="post"),
    "protocols:confirm_additions": Case("action", method="post"),
    "protocols:try": Case("collection"),
    "protocols:try_result": Case("action", method="post"),
    "protocols:template_list": Case("collection"),
    "protocols:template_detail": Case("object", missing={"template_id": "no-such-template"}),
    "protocols:template_pdf": Case(
        "object", missing={"template_id": "no-such-template", "audience": "staff"}
    ),
}
