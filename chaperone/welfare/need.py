"""A pupil's contact tier: set from their flags, stepped up or down by the DSL with a reason (the
history kept), and a household's tier as the most frequent of its children's."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from chaperone.audit.log import record
from chaperone.people.models import Pupil, SocialCareStatus
from chaperone.tenancy.policies import Actor
from chaperone.welfare.models import TIER_ORDER, PupilNeed, Tier, TierChange, most_frequent

MANAGE = "welfare.manage"


class WelfareProblem(ValueError):
    """Input the welfare app cannot take as given: ``field`` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def tier_from_flags(pupil: Pupil, *, known_to_us: bool = False) -> str:
    """The tier the flags give: a child protection plan daily, a child in need twice a week, an
    EHCP, looked after, vulnerable or "known to us" weekly, everyone else fortnightly."""
    if pupil.social_care_status == SocialCareStatus.CP:
        return Tier.DAILY.value
    if pupil.social_care_status == SocialCareStatus.CIN:
        return Tier.TWICE_WEEKLY.value
    if pupil.has_ehcp or pupil.is_vulnerable or pupil.is_looked_after or known_to_us:
        return Tier.WEEKLY.value
    return Tier.FORTNIGHTLY.value


def _need_of(pupil: Pupil) -> PupilNeed | None:
    try:
        return pupil.welfare_need
    except PupilNeed.DoesNotExist:
        return None


def pupil_tier(pupil: Pupil) -> str:
    """The pupil's tier now: the DSL's, or the flags'. Load ``welfare_need`` with the pupil
    (``select_related``) when listing many."""
    need = _need_of(pupil)
    if need is not None and need.tier:
        return need.tier
    return tier_from_flags(pupil, known_to_us=bool(need and need.known_to_us))


def household_tier(pupils: Iterable[Pupil]) -> str:
    """The most frequent tier of the household's children."""
    return most_frequent([pupil_tier(p) for p in pupils])


def tier_set(
    *,
    actor: Actor,
    pupil: Pupil,
    tier: str,
    reason: str,
    known_to_us: bool | None = None,
) -> TierChange:
    """Step the pupil's tier up or down (``tier``), or hand it back to the flags (``""``), with a
    reason. The change is kept as history and audited."""
    if not actor.can(MANAGE, pupil.school_id):
        raise PermissionDenied("Only the school's DSL sets welfare call tiers.")
    if tier not in ("", *TIER_ORDER):
        raise WelfareProblem(
            "tier", f"Tier: '{tier}' is not a tier; choose one of {', '.join(TIER_ORDER)}."
        )
    reason = reason.strip()
    if not reason:
        raise WelfareProblem("reason", "Reason: say why the tier changes.")
    with transaction.atomic():
        need, _ = PupilNeed.objects.select_for_update().get_or_create(pupil=pupil)
        old = pupil_tier(pupil) if need.pk is None else _tier_of(pupil, need)
        if known_to_us is not None:
            need.known_to_us = known_to_us
        need.tier = tier
        need.reason = reason
        need.set_by_id = actor.staff_id
        need.set_at = timezone.now()
        need.save()
        new = _tier_of(pupil, need)
        change = TierChange.objects.create(
            pupil=pupil,
            old_tier=old,
            new_tier=new,
            back_to_flags=tier == "",
            known_to_us=need.known_to_us,
            reason=reason,
            changed_by_id=actor.staff_id,
        )
        record(
            "welfare.tier_changed",
            actor=actor,
            target=need,
            details={"from": old, "to": new, "by_hand": tier != ""},
        )
    return change


def _tier_of(pupil: Pupil, need: PupilNeed) -> str:
    return need.tier or tier_from_flags(pupil, known_to_us=need.known_to_us)
