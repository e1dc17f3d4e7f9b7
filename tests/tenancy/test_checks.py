"""The system check that tenant-owned models are scoped (tenancy.E001)."""

from __future__ import annotations

from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps

from chaperone.tenancy.checks import check_tenant_models_are_scoped, tenant_path
from chaperone.tenancy.models import School, Trust
from chaperone.tenancy.querysets import ScopedQuerySet


def _errors(registry) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(
        f"{e.obj._meta.object_name}:{e.id}"
        for e in check_tenant_models_are_scoped(app_configs=registry.get_app_configs())
    )


def test_every_installed_model_is_scoped_or_says_why_not() -> None:
    assert check_tenant_models_are_scoped(app_configs=apps.get_app_configs()) == []


def test_a_model_that_reaches_a_school_without_a_scoped_manager_is_an_error() -> None:
    with isolate_apps("chaperone.tenancy") as registry:

        class Visit(models.Model):  # noqa: DJ008
            school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")

            class Meta:
                app_label = "tenancy"

        class Note(models.Model):  # noqa: DJ008 (a tenant's row two steps away, through Visit)
            visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="+")

            class Meta:
                app_label = "tenancy"

        class Setting(models.Model):  # noqa: DJ008 (no path to a tenant: nothing to scope)
            name = models.CharField(max_length=10)

            class Meta:
                app_label = "tenancy"

        assert _errors(registry) == ["Note:tenancy.E001", "Visit:tenancy.E001"]
        assert tenant_path(Note) == ["visit", "school"]
        assert tenant_path(Setting) is None


def test_a_scoped_manager_or_a_stated_reason_passes() -> None:
    with isolate_apps("chaperone.tenancy") as registry:

        class VisitQuerySet(ScopedQuerySet["ScopedVisit"]):
            school_path = "school_id"

        class ScopedVisit(models.Model):  # noqa: DJ008
            school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
            objects = VisitQuerySet.as_manager()

            class Meta:
                app_label = "tenancy"

        class TrustLedger(models.Model):  # noqa: DJ008
            trust = models.ForeignKey(Trust, on_delete=models.CASCADE, related_name="+")
            unscoped_because = "only the nightly job reads it"

            class Meta:
                app_label = "tenancy"

        assert _errors(registry) == []
