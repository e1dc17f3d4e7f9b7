"""The categories a school starts with. A school renames, reorders or retires them (its own
rows, :class:`~chaperone.concerns.models.ConcernCategory`); these are only the first set, put in
place the first time the school's list is asked for."""

from __future__ import annotations

from typing import NamedTuple

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.text import slugify

from chaperone.audit.log import record as audit_record
from chaperone.concerns.models import ConcernCategory
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor


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


def category_save(
    *,
    actor: Actor,
    school: School,
    name: str,
    category_id: int | None = None,
    about_an_adult: bool = False,
    is_active: bool = True,
) -> ConcernCategory:
    """Add a category to the school's list, or rename or retire one of its own (a retired one
    stays on the concerns that used it). Raises ConcernProblem naming the field."""
    from chaperone.concerns.services import ConcernProblem

    if not actor.can("concern.configure", school.pk):
        raise PermissionDenied("You cannot change the school's concern categories.")
    name = " ".join(name.split())
    if not name:
        raise ConcernProblem("name", "Name: give the category a name.")
    if len(name) > 80:
        raise ConcernProblem("name", "Name: at most 80 characters.")
    own = {c.pk: c for c in categories_for(school, include_retired=True)}
    with transaction.atomic():
        if category_id is None:
            code = slugify(name)[:30] or "category"
            taken = {c.code for c in own.values()}
            base, n = code, 2
            while code in taken:
                code, n = f"{base}-{n}", n + 1
            category = ConcernCategory.objects.create(
                school=school,
                code=code,
                name=name,
                about_an_adult=about_an_adult,
                order=max((c.order for c in own.values()), default=0) + 10,
            )
        else:
            if category_id not in own:
                raise ConcernProblem("category", "Category: choose one of the school's.")
            category = own[category_id]
            category.name = name
            category.about_an_adult = about_an_adult
            category.is_active = is_active
            category.save(update_fields=["name", "about_an_adult", "is_active"])
        audit_record(
            "concern.categories_changed",
            actor=actor,
            target=category,
            details={"added": category_id is None, "active": category.is_active},
        )
    return category
