"""Tuning of a long-running Python process that serves pages (gunicorn's workers).

Python's cyclic garbage collector runs a full collection every so often, walking every tracked
object in the process: after Django has started that is some 150,000 objects (modules, models,
URL patterns, settings) that will never be garbage. Measured on the DSL's timetable of 2,000
sessions (benchmarks/sessions.py), collections took about 75 ms of a 330 ms page. So once
start-up is over the process collects once and *freezes* what is left (``gc.freeze()``: the
collector ignores those objects from then on), and the first generation's threshold is raised,
so that one page's short-lived rows are not swept again and again while it is being built.
Cyclic garbage is still collected, only less often; memory stays bounded.

The threshold is a balance. Python's 700 sweeps a big page's rows many times over; 50,000 made
each first-generation collection long enough to stall every thread of a worker (collections
timed in gunicorn's workers under the ``web`` benchmark: up to about 400 ms, and the
dashboard's p99 was 146-258 ms over four runs). At 10,000 the same benchmark gave a p99 of
76-93 ms and more requests a second, and the timetable of 2,000 sessions stays near 225 ms.
"""

from __future__ import annotations

import gc

#: objects allocated (less those freed) before a first-generation collection (Python's: 700)
FIRST_GENERATION_THRESHOLD = 10_000


def settle_after_start_up() -> None:
    """Collect, freeze the survivors and raise the first threshold (see the module). Call once
    start-up is done: URL patterns are loaded here first so that they are frozen too."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (loads the URLconf, as the first request would)
    gc.collect()
    gc.freeze()
    _, second, third = gc.get_threshold()
    gc.set_threshold(FIRST_GENERATION_THRESHOLD, second, third)
