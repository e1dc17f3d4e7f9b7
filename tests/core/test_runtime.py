"""The web process's collector tuning: start-up objects frozen, the first threshold raised."""

from __future__ import annotations

import gc

from chaperone.core.runtime import FIRST_GENERATION_THRESHOLD, settle_after_start_up


def test_settling_freezes_start_up_and_raises_the_first_threshold() -> None:
    before = gc.get_threshold()
    try:
        settle_after_start_up()
        assert gc.get_freeze_count() > 10_000  # Django, the apps, the URL patterns
        assert gc.get_threshold() == (FIRST_GENERATION_THRESHOLD, *before[1:])
        # garbage made afterwards is still collected
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
