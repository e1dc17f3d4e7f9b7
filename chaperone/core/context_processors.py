from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from chaperone.core.schools import active_school, visible_schools


def chaperone(request: HttpRequest) -> dict[str, Any]:
    if not request.user.is_authenticated:
        return {}
    actor = request.actor  # type: ignore[attr-defined]
    return {
        "actor": actor,
        "active_school": active_school(request),
        "visible_schools": visible_schools(actor),
    }
