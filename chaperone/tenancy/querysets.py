"""Tenant scoping in the base queryset: ``Model.objects.for_actor(actor, action)``.

A model's queryset names the path from the model to its school (``school_path``). The scope is the
set of schools in which the actor may perform the action, widened by the policy's object rules
(:func:`chaperone.tenancy.policies.object_rule`); an object outside it is invisible, so a by-id
lookup answers 404 exactly as for a missing object.
"""

from __future__ import annotations

from typing import Any, Self, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.http import Http404

from chaperone.tenancy.policies import Actor, object_rules_filter

M = TypeVar("M", bound=models.Model)


class ScopedQuerySet(models.QuerySet[M]):
    #: lookup path from the model to its school's id,
    #: e.g. "school_id" or "household__pupils__school_id"
    school_path: str = "school_id"
    #: whether the path crosses a to-many relation (then results are de-duplicated)
    school_path_is_multi: bool = False

    def for_actor(self, actor: Actor, action: str) -> Self:
        """The rows the actor may ``action``: those of the schools where the policy allows it,
        and those an object rule allows (all of them, for the system actor with the grant)."""
        if actor.is_system:
            return self.all() if actor.can(action) else self.none()
        scoped = self.in_schools(actor.school_ids_for(action))
        extra = object_rules_filter(self.model, actor, action)
        return scoped if extra is None else scoped | self.filter(extra)

    def in_schools(self, school_ids: frozenset[int]) -> Self:
        """The rows belonging to these schools (override for a path ``school_path`` cannot
        say)."""
        if not school_ids:
            return self.none()
        if self.school_path_is_multi:
            inner = self.model._default_manager.filter(
                **{f"{self.school_path}__in": school_ids}
            ).values("pk")
            return self.filter(pk__in=inner)
        return self.filter(**{f"{self.school_path}__in": school_ids})


def get_for_actor_or_404(
    queryset: ScopedQuerySet[M], actor: Actor, action: str, **lookup: Any
) -> M:
    """Fetch one object within the actor's scope; anything else is a 404 like a missing one."""
    try:
        return queryset.for_actor(actor, action).get(**lookup)
    # Every model's DoesNotExist subclasses ObjectDoesNotExist (the only one .get() raises here).
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such record.") from exc


def can_for(actor: Actor, action: str, obj: models.Model) -> bool:
    """May ``actor`` do ``action`` on this one object (the school policy in the object's schools,
    or an object rule)? One query; for a page of objects, scope the queryset instead."""
    queryset = type(obj)._default_manager.all()
    if not isinstance(queryset, ScopedQuerySet):
        raise TypeError(f"{obj._meta.label} has no scoped queryset to decide with.")
    return queryset.for_actor(actor, action).filter(pk=obj.pk).exists()
