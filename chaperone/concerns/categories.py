"""The categories a school starts with. A school renames, reorders or retires them (its own
rows, :class:`~chaperone.concerns.models.ConcernCategory`); these are only the first set, put in
place the first time the school's list is asked for."""

from __future__ import annotations

from typing import NamedTuple

from chaperone.concerns.models import ConcernCategory
from chaperone.tenancy.models import School


class DefaultCategory(NamedTuple):
    code: str
    name: str
    about_an_adult: bool = False


DEFAULT_CATEGORIES: tuple[DefaultCategory, ...] = (
    DefaultCategory("physical_abuse", "Physical abuse"),
    DefaultCategory("emotional_abuse", "Emotional abuse"),
    DefaultCategory("sexual_abuse", "Sexual abuse"),
    DefaultCategory("neglect", "Neglect"),
    DefaultCategory("online_safety", "Online safety"),
    DefaultCategory("mental_health", "Mental health and wellbeing"),
    DefaultCategory("attendance", "Attendance and children missing education"),
    DefaultCategory("domestic_abuse", "Domestic abuse"),
    DefaultCategory("child_on_child", "Child-on-child abuse"),
    DefaultCategory("exploitation", "Exploitation (criminal or sexual)"),
    DefaultCategory("adult_conduct", "Conduct of an adult working with children", True),
    DefaultCategory("other", "Something else"),
)


def categories_for(school: School, *, include_retired: bool = False) -> list[ConcernCategory]:
    """The school's categories in its order, the defaults put in place on first use."""
    rows = list(ConcernCategory.objects.filter(school=school))
    if not rows:
        ConcernCategory.objects.bulk_create(
            [
                ConcernCategory(
                    school=school,
                    code=d.code,
                    name=d.name,
                    about_an_adult=d.about_an_adult,
                    order=(i + 1) * 10,
                )
                for i, d in enumerate(DEFAULT_CATEGORIES)
            ],
            ignore_conflicts=True,
        )
        rows = list(ConcernCategory.objects.filter(school=school))
    return [c for c in rows if include_retired or c.is_active]
