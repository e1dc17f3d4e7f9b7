"""Which stored records an import into a school may match and change.

Every page scopes people to the school; so do imports. A household or staff member is matched
only if the importer may edit it: staff with a role at a school the importer may import into,
households with a pupil at such a school (or, while no pupil is linked, created by such a
school's import). A trust administrator may import into every school of the trust, so their
imports match across the trust; that is how a household comes to be shared by siblings at two
schools. The command line (the system actor) stays inside the school it names.

A reference the importer may not use is a row problem saying only that it belongs to another
school's records: nothing stored about that record is read into the preview.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from chaperone.people.models import Household, StaffMember
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor

OTHER_SCHOOLS_HOUSEHOLD = (
    "This household reference belongs to another school's records, so this import cannot use "
    "it. Ask your trust administrator if the family should be shared."
)
OTHER_SCHOOLS_STAFF = (
    "This staff ID belongs to another school's records, so this import cannot change it. Ask "
    "your trust administrator."
)


@dataclass(frozen=True)
class ImportScope:
    school: School
    #: schools whose records the import may match; None means every school of the trust
    school_ids: frozenset[int] | None

    @classmethod
    def for_import(cls, actor: Actor, school: School) -> ImportScope:
        if actor.is_trust_admin and actor.trust_id == school.trust_id:
            return cls(school=school, school_ids=None)
        ids = {school.id}
        if not actor.is_system:
            ids |= actor.school_ids_for("people.import")
        return cls(school=school, school_ids=frozenset(ids))

    @property
    def trust_id(self) -> int:
        return self.school.trust_id

    def households(self) -> QuerySet[Household]:
        """The trust's households this import may match (and so show and change)."""
        qs = Household.objects.filter(trust_id=self.trust_id)
        if self.school_ids is None:
            return qs
        mine = Household.objects.filter(
            Q(pupils__school_id__in=self.school_ids)
            | Q(pupils__isnull=True, origin_school_id__in=self.school_ids),
            trust_id=self.trust_id,
        )
        return qs.filter(pk__in=mine.values("pk"))

    def staff(self) -> QuerySet[StaffMember]:
        """The trust's staff this import may match: those with a role at one of its schools."""
        qs = StaffMember.objects.filter(trust_id=self.trust_id)
        if self.school_ids is None:
            return qs
        mine = StaffMember.objects.filter(assignments__school_id__in=self.school_ids)
        return qs.filter(pk__in=mine.values("pk"))

    def taken_household_refs(self) -> set[str]:
        """Every household reference in use in the trust (only to refuse reusing one)."""
        return set(
            Household.objects.filter(trust_id=self.trust_id).values_list("reference", flat=True)
        )

    def taken_staff_refs(self) -> set[str]:
        return set(
            StaffMember.objects.filter(trust_id=self.trust_id).values_list("staff_ref", flat=True)
        )
