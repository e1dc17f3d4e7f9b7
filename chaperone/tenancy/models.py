"""Tenants: a trust runs one or more schools. A standalone school is a trust of one."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models

from chaperone.tenancy.scope import TenantScope

urn_validator = RegexValidator(r"^\d{6}$", "A URN is six digits.")


class Phase(models.TextChoices):
    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"
    ALL_THROUGH = "all_through", "All-through"
    SPECIAL = "special", "Special"


class Trust(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    is_standalone = models.BooleanField(
        default=False, help_text="A single school that is its own tenant."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=None, trust_id=self.pk)


class School(models.Model):
    trust = models.ForeignKey(Trust, on_delete=models.PROTECT, related_name="schools")
    name = models.CharField(max_length=200)
    urn = models.CharField("URN", max_length=6, unique=True, validators=[urn_validator])
    phase = models.CharField(max_length=20, choices=Phase.choices)
    la_code = models.CharField(
        "LA code", max_length=3, blank=True, validators=[RegexValidator(r"^\d{3}$")]
    )
    time_zone = models.CharField(max_length=64, default="Europe/London")
    # How families reach the school (the parent guide prints these).
    phone = models.CharField("telephone", max_length=40, blank=True)
    email = models.EmailField("e-mail", blank=True)
    website = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(urn__regex=r"^[0-9]{6}$"),
                name="%(app_label)s_%(class)s_urn_six_digits",
                violation_error_message="A URN is six digits.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.pk, trust_id=self.trust_id)


class SchoolTerm(models.Model):
    """One of the school's terms, as the school sets them (a parent's consent "for this term"
    lasts to its end). Where a school has set none, the usual English terms stand in."""

    unscoped_because = "read through its school (tenancy.schools.term_of), which is scoped"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="terms")
    name = models.CharField(max_length=60)
    starts_on = models.DateField()
    ends_on = models.DateField()

    class Meta:
        ordering = ["school", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="%(app_label)s_%(class)s_ends_after_start",
                violation_error_message="A term ends on or after the day it starts.",
            ),
            models.UniqueConstraint(
                fields=["school", "starts_on"], name="%(app_label)s_%(class)s_one_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.starts_on:%d/%m/%Y} to {self.ends_on:%d/%m/%Y})"

    def audit_scope(self) -> TenantScope:
        return TenantScope(school_id=self.school_id, trust_id=None)
