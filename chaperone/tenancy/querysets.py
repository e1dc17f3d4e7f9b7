"""Tenant scoping in the base queryset: ``Model.objects.for_actor(actor, action)``.

A model's queryset names the path from the model to its school (``school_path``). The scope is the
set of schools in which the actor may perform the action; an object outside it is invisible, so a
by-id lookup answers 404 exactly as for a missing object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.http import Http404

if TYPE_CHECKING:
    from chaperone.tenancy.policies import Actor

M = TypeVar("M", bound=models.Model)


class ScopedQuerySet(models.QuerySet[M]):
    #: lookup path from the model to its school's id,
    #: e.g. "school_id" or "household__pupils__school_id"
    school_path: str = "school_id"
    #: whether the path crosses a to-many relation (then results are de-duplicated)
    school_path_is_multi: bool = False

    def for_actor(self, actor: Actor, action: str) -> Self:
        school_ids = actor.school_ids_for(action)
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
