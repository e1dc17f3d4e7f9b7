"""Reads of the concerns app, each scoped to the actor."""

from __future__ import annotations

from chaperone.concerns.models import Concern, ConcernQuerySet
from chaperone.tenancy.policies import Actor


def concerns_visible(*, actor: Actor) -> ConcernQuerySet:
    """The concerns the actor may read: their school's for the safeguarding team, and the ones
    they raised themselves."""
    return Concern.objects.for_actor(actor, "concern.view")
