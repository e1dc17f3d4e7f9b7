"""People: staff (with roles per school), pupils, households and their parents/carers."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from chaperone.tenancy.models import School, Trust
from chaperone.tenancy.policies import Actor, object_rule
from chaperone.tenancy.querysets import ScopedQuerySet
from chaperone.tenancy.roles import TRUST_ROLES, Role  # Role is still importable from here
from chaperone.tenancy.scope import TenantScope


class PupilQuerySet(ScopedQuerySet["Pupil"]):
    school_path = "school_id"


class StaffQuerySet(ScopedQuerySet["StaffMember"]):
    school_path = "assignments__school_id"
    school_path_is_multi = True


class HouseholdQuerySet(ScopedQuerySet["Household"]):
    school_path = "pupils__school_id"
    school_path_is_multi = True


class ContactQuerySet(ScopedQuerySet["Contact"]):
    school_path = "household__pupils__school_id"
    school_path_is_multi = True


class User(AbstractUser):
    """A login. Staff members have one; parents do not (they act through signed links)."""

    email = models.EmailField(blank=True)

    class Meta:
        db_table = "people_user"


class StaffMember(models.Model):
    trust = models.ForeignKey(Trust, on_delete=models.PROTECT, related_name="staff")
    user = models.OneToOneField(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="staff"
    )
    staff_ref = models.CharField(
        "staff ID", max_length=40, help_text="The MIS identifier used to match imports."
    )
    title = models.CharField(max_length=20, blank=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164 format.")
    dbs_checked_on = models.DateField("DBS check date", null=True, blank=True)
    code_of_conduct_acknowledged_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    #: who checks in with them about their sessions (set by the headteacher on the roles page)
    line_manager = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="managed_staff"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StaffQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["trust", "staff_ref"],
                name="%(app_label)s_%(class)s_unique_ref_per_trust",
                violation_error_message="Another staff member in this trust has that staff ID.",
            )
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def notice_email(self) -> str:
        """Where invitations and notices to this person go: their login's address once they
        have a login (set by the invitation, out of any import's reach), else the staff
        record's. Load ``user`` with the record (``select_related``) when listing many."""
        if self.user_id is not None and self.user is not None and self.user.email:
            return str(self.user.email)
        return self.email

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=None, trust_id=self.trust_id)


@object_rule(StaffMember, "staff.view")
def _own_staff_record(actor: Actor) -> models.Q | None:
    """Everyone may open their own staff record, with or without a school role (a trust's staff
    often hold none)."""
    return models.Q(pk=actor.staff_id) if actor.staff_id is not None else None


class AssignmentQuerySet(models.QuerySet["StaffAssignment"]):
    def in_effect(self) -> AssignmentQuerySet:
        """Roles that count: a granted safeguarding or leadership role counts only once a second
        headteacher or trust administrator has confirmed it."""
        return self.filter(awaiting_confirmation=False)


class StaffAssignment(models.Model):
    """A role a staff member holds in one school (or across the trust, for trust roles).

    Safeguarding and leadership roles are granted on the Roles screen, never imported: such a
    grant waits (``awaiting_confirmation``) until someone other than the granter and the grantee
    confirms it, and until then it gives no permission.
    """

    unscoped_because = (
        "read only through its staff member: the actor builder reads the signed-in person's own, "
        "and the staff selectors filter it by the schools being shown"
    )

    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="assignments")
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="assignments"
    )
    role = models.CharField(max_length=30, choices=Role.choices)
    awaiting_confirmation = models.BooleanField(default=False)
    granted_by = models.ForeignKey(
        StaffMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    granted_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        StaffMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "school", "role"],
                name="%(app_label)s_%(class)s_unique_role",
                violation_error_message="This person already holds that role there.",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(role__in=sorted(TRUST_ROLES), school__isnull=True)
                    | (~models.Q(role__in=sorted(TRUST_ROLES)) & models.Q(school__isnull=False))
                ),
                name="%(app_label)s_%(class)s_school_matches_role_scope",
                violation_error_message="Trust roles have no school; school roles need one.",
            ),
            models.CheckConstraint(
                condition=models.Q(awaiting_confirmation=False)
                | models.Q(confirmed_by__isnull=True),
                name="%(app_label)s_%(class)s_confirmed_is_not_awaiting",
                violation_error_message="A confirmed role is no longer awaiting confirmation.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff} · {self.get_role_display()} · {self.school or 'trust'}"

    @property
    def place(self) -> str:
        return self.school.name if self.school else "the whole trust"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"
    PHONE = "phone", "Phone call"


class Household(models.Model):
    """A family home. Siblings at different schools of one trust share a household."""

    trust = models.ForeignKey(Trust, on_delete=models.PROTECT, related_name="households")
    reference = models.CharField(max_length=40, help_text="The MIS family/address reference.")
    name = models.CharField(
        max_length=200, help_text="How staff refer to it, e.g. 'Okafor family'."
    )
    address = models.TextField(blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    origin_school = models.ForeignKey(
        School,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The school whose import created it: its imports may update the household "
        "while no pupil is linked to it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["trust", "reference"],
                name="%(app_label)s_%(class)s_unique_ref_per_trust",
                violation_error_message="Another household in this trust has that reference.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def audit_scope(self) -> TenantScope:
        """Trust-wide: siblings at several schools share it (callers name the school viewed)."""
        return TenantScope(school_id=None, trust_id=self.trust_id)


class Contact(models.Model):
    """A parent or carer of a household."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    relationship = models.CharField(max_length=40, default="parent")
    has_parental_responsibility = models.BooleanField(default=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(
        max_length=20, blank=True, help_text="E.164 format, e.g. +447700900123."
    )
    preferred_channel = models.CharField(
        max_length=10, choices=Channel.choices, default=Channel.EMAIL
    )
    language = models.CharField(max_length=40, default="English")
    priority = models.PositiveSmallIntegerField(default=1, help_text="1 is the first to contact.")

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["household", "priority", "last_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "priority"],
                name="%(app_label)s_%(class)s_unique_priority",
                violation_error_message="Two contacts of one household share a priority.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class SocialCareStatus(models.TextChoices):
    NONE = "", "None"
    CIN = "cin", "Child in need"
    CP = "cp", "Child protection plan"


class Pupil(models.Model):
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="pupils")
    household = models.ForeignKey(
        Household, on_delete=models.SET_NULL, null=True, blank=True, related_name="pupils"
    )
    upn = models.CharField("UPN", max_length=13)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    year_group = models.SmallIntegerField(help_text="0 is Reception; 1 to 13 are Years 1 to 13.")
    is_vulnerable = models.BooleanField(
        "vulnerable",
        default=False,
        help_text="Includes pupils known to be at risk without a status.",
    )
    has_ehcp = models.BooleanField("EHCP", default=False)
    has_sen = models.BooleanField("SEN support", default=False)
    social_care_status = models.CharField(
        max_length=3, choices=SocialCareStatus.choices, default=SocialCareStatus.NONE, blank=True
    )
    is_looked_after = models.BooleanField("looked after", default=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PupilQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "upn"],
                name="%(app_label)s_%(class)s_unique_upn_per_school",
                violation_error_message="Another pupil at this school has that UPN.",
            ),
            models.CheckConstraint(
                condition=models.Q(year_group__gte=-1, year_group__lte=14),
                name="%(app_label)s_%(class)s_year_group_range",
                violation_error_message="Year group must be between Nursery (-1) and 14.",
            ),
        ]
        indexes = [models.Index(fields=["school", "is_vulnerable"])]

    def __str__(self) -> str:
        return self.display_name

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.school_id, trust_id=None)

    @property
    def display_name(self) -> str:
        return f"{self.preferred_name or self.first_name} {self.last_name}"

    @property
    def year_label(self) -> str:
        return {-1: "Nursery", 0: "Reception"}.get(self.year_group, f"Year {self.year_group}")


class PendingFlagQuerySet(ScopedQuerySet["PendingFlagChange"]):
    school_path = "school_id"


class FlagChangeStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the DSL"
    CONFIRMED = "confirmed", "Confirmed"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn by a later import"


class PupilFlag(models.TextChoices):
    """The safeguarding flags an import may only ask to change (a DSL confirms)."""

    SOCIAL_CARE_STATUS = "social_care_status", "Social care status"
    LOOKED_AFTER = "is_looked_after", "Looked after"
    VULNERABLE = "is_vulnerable", "Vulnerable"


class PendingFlagChange(models.Model):
    """A change to a pupil's child protection, child in need, looked-after or vulnerable flag
    that an import asked for. It takes effect only when a DSL (or deputy DSL) of the school
    confirms it."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="flag_changes")
    flag = models.CharField(max_length=30, choices=PupilFlag.choices)
    #: the stored value when the change was asked for, and the value asked for ("" / "True" ...)
    old_value = models.CharField(max_length=10, blank=True)
    new_value = models.CharField(max_length=10, blank=True)
    status = models.CharField(
        max_length=10, choices=FlagChangeStatus.choices, default=FlagChangeStatus.PENDING
    )
    requested_by = models.ForeignKey(
        StaffMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_via = models.CharField(max_length=10, blank=True)
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        StaffMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = PendingFlagQuerySet.as_manager()

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pupil", "flag"],
                condition=models.Q(status="pending"),
                name="%(app_label)s_%(class)s_one_pending_per_flag",
                violation_error_message="A change to this flag is already waiting.",
            )
        ]
        indexes = [models.Index(fields=["school", "status"])]

    def __str__(self) -> str:
        return f"{self.get_flag_display()} of pupil {self.pupil_id}"


class LoginSession(models.Model):
    """A browser signed in as a user (written at sign-in), so that people can see where they are
    signed in and sign those sessions out, and so that deactivating a login or resetting its
    second factor ends every session at once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    signed_in_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-signed_in_at"]

    def __str__(self) -> str:
        return f"{self.user} since {self.signed_in_at:%Y-%m-%d %H:%M}"
