"""A system check that tenant-owned models are scoped: ``tenancy.E001``.

A model is tenant-owned when a chain of foreign keys leads from it to a :class:`School` or a
:class:`Trust`. Its default manager must then be built on :class:`ScopedQuerySet`, so every read
can say ``for_actor(actor, action)``. A model read only in ways the scope cannot express says why
in a class attribute, ``unscoped_because = "..."``, and is let through.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.core import checks
from django.db import models

from chaperone.tenancy.models import School, Trust
from chaperone.tenancy.querysets import ScopedQuerySet

TENANTS: tuple[type[models.Model], ...] = (Trust, School)


def _path_to_tenant(model: type[models.Model], seen: set[type[models.Model]]) -> list[str] | None:
    """The field names of a foreign-key chain from ``model`` to a tenant, or None."""
    seen.add(model)
    for field in model._meta.get_fields():
        if not (field.many_to_one or field.one_to_one) or not field.concrete:
            continue
        target = field.related_model
        if not isinstance(target, type) or target in seen:
            continue
        if target in TENANTS:
            return [field.name]
        rest = _path_to_tenant(target, seen)
        if rest is not None:
            return [field.name, *rest]
    return None


def tenant_path(model: type[models.Model]) -> list[str] | None:
    """How ``model`` reaches a school or trust (e.g. ``["household", "trust"]``), or None."""
    if model in TENANTS:
        return None
    return _path_to_tenant(model, set())


@checks.register(checks.Tags.models)
def check_tenant_models_are_scoped(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    configs: Iterable[AppConfig] = (
        app_configs if app_configs is not None else apps.get_app_configs()
    )
    errors: list[checks.CheckMessage] = []
    for config in configs:
        for model in config.get_models():
            path = tenant_path(model)
            if path is None or getattr(model, "unscoped_because", None):
                continue
            queryset_class = getattr(model._default_manager, "_queryset_class", None)
            if isinstance(queryset_class, type) and issubclass(queryset_class, ScopedQuerySet):
                continue
            errors.append(
                checks.Error(
                    f"{model._meta.label} belongs to a tenant (through "
                    f"{'__'.join(path)}) but its default manager is not scoped.",
                    hint=(
                        "Build its manager on chaperone.tenancy.querysets.ScopedQuerySet "
                        "(objects = MyQuerySet.as_manager()), or say why it needs none with "
                        'unscoped_because = "..." on the model.'
                    ),
                    obj=model,
                    id="tenancy.E001",
                )
            )
    return errors
