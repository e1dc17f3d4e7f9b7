"""The concerns app's part of ``chaperone demo``: the demo loads no concerns, but any raised
while playing with the demo (End and report) go with it."""

from __future__ import annotations

from collections.abc import Sequence

from chaperone.concerns.models import (
    Concern,
    ConcernAttachment,
    ConcernCategory,
    ConcernDraft,
    ConcernPupil,
)
from chaperone.core.extensions import DemoData
from chaperone.tenancy.models import School, Trust


def _load(trust_and_schools: Sequence[tuple[Trust, Sequence[School]]]) -> None:
    return None


def _delete(trust_and_schools: Sequence[tuple[Trust, Sequence[School]]]) -> None:
    school_ids = [s.pk for _, schools in trust_and_schools for s in schools]
    for attachment in ConcernAttachment.objects.filter(school_id__in=school_ids):
        attachment.file.delete(save=False)
    ConcernAttachment.objects.filter(school_id__in=school_ids).delete()
    ConcernDraft.objects.filter(school_id__in=school_ids).delete()
    concerns = Concern.objects.filter(school_id__in=school_ids)
    ConcernPupil.objects.filter(concern__in=concerns).delete()
    concerns.delete()  # entries, actions and allegation records go with them
    ConcernCategory.objects.filter(school_id__in=school_ids).delete()


DEMO = DemoData(load=_load, delete=_delete)


# a term of concerns in every state, a chronology event and a file to send (issue #10, item 9)
def _load_with_term(trust_and_schools: Sequence[tuple[Trust, Sequence[School]]]) -> None:
    from chaperone.concerns import demo_term

    _load(trust_and_schools)
    demo_term.load(trust_and_schools)


def _delete_with_term(trust_and_schools: Sequence[tuple[Trust, Sequence[School]]]) -> None:
    from chaperone.concerns import demo_term

    demo_term.delete(trust_and_schools)
    _delete(trust_and_schools)


DEMO = DemoData(load=_load_with_term, delete=_delete_with_term)
