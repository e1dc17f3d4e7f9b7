"""The periods the planner exposes to the welfare app are the contract's."""

from __future__ import annotations


def test_tier_periods_are_the_contracts():
    from chaperone.rota import tier_periods
    from tests.rota.validator import calls_due, periods

    days = [f"2027-01-{d:02d}" for d in (1, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 18, 19, 25)]
    for tier in ("daily", "twice_weekly", "weekly", "fortnightly"):
        expected = [(list(p), calls_due(tier, len(p))) for p in periods(days, tier)]
        assert tier_periods(days, tier) == expected
