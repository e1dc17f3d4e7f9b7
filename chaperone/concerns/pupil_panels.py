"""The concerns app's part of a pupil's page: raise a concern about them, and what the reader
may know of their concerns (the list for the safeguarding team; only that some exist for those
granted ``concern.see_exists``)."""

from __future__ import annotations

from typing import Any

from chaperone.core.extensions import PupilPanel
from chaperone.core.http import ChaperoneRequest


def _context(request: ChaperoneRequest, pupil: Any) -> dict[str, Any] | None:
    from chaperone.concerns.selectors import concern_summary_for_pupil

    actor = request.actor
    may_raise = actor.can("concern.raise", pupil.school_id)
    summary = concern_summary_for_pupil(actor=actor, pupil=pupil)
    if not may_raise and summary is None:
        return None
    return {"pupil": pupil, "may_raise": may_raise, "summary": summary}


PANELS = [PupilPanel("concerns/_pupil_panel.html", _context, order=10)]


def _chronology_context(request: ChaperoneRequest, pupil: Any) -> dict[str, Any] | None:
    actor = request.actor
    if not actor.can("concern.chronology", pupil.school_id):
        return None
    return {"pupil": pupil, "may_transfer": actor.can("concern.transfer", pupil.school_id)}


# a link to the child's chronology, for the safeguarding team (issue #10, item 4)
PANELS.append(PupilPanel("concerns/_chronology_panel.html", _chronology_context, order=11))
