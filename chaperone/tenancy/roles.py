"""The roles staff hold: the vocabulary the permission policy (:mod:`.policies`) is written in.

``people.StaffAssignment.role`` stores these values; the policy and the actor live here, below
``people``, so that tenancy never imports the people app.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    HEADTEACHER = "headteacher", "Headteacher"
    DSL = "dsl", "Designated safeguarding lead"
    DEPUTY_DSL = "deputy_dsl", "Deputy DSL"
    SLT = "slt", "Senior leadership team"
    TEACHER = "teacher", "Teacher"
    TUTOR = "tutor", "Tutor"
    HEAD_OF_YEAR = "head_of_year", "Head of year"
    HOUSEMASTER = "housemaster", "Housemaster"
    PASTORAL_LEAD = "pastoral_lead", "Pastoral lead"
    COUNSELLOR = "counsellor", "Counsellor"
    SEN_STAFF = "sen_staff", "SEN staff"
    SUPPORT_STAFF = "support_staff", "Support staff"
    SCHOOL_ADMIN = "school_admin", "School administrator"
    #: not staff: the governor to whom a concern about the headteacher goes (concerns app)
    CHAIR_OF_GOVERNORS = "chair_of_governors", "Chair of governors"
    TRUST_ADMIN = "trust_admin", "Trust administrator"


#: Roles held across a whole trust rather than in one school.
TRUST_ROLES = frozenset({Role.TRUST_ADMIN})
