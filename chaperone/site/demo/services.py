"""Load, reset and inspect the demo tenants; show demo users their current two-factor code.

The tenants and their people are made here; every other app adds its own demo rows through its
``demo.py`` (``DEMO``, see :mod:`chaperone.core.extensions`), loaded in app order and deleted in
reverse.

The demo is two tenants: the Northgate Learning Trust (a primary and a secondary academy) and
Quillbrook College (an independent school that is its own trust). They are recognised by their
slugs, so ``demo load --reset`` deletes exactly them and nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Model, ProtectedError, RestrictedError
from django.utils.text import slugify
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from chaperone.core.extensions import DemoData, declared
from chaperone.people.models import (
    Contact,
    Household,
    Pupil,
    StaffAssignment,
    StaffMember,
    User,
)
from chaperone.site.demo.generate import (
    DEMO_LA_CODE,
    TRUSTS,
    SchoolPlan,
    StaffData,
    generate_demo,
    login_usernames,
)
from chaperone.site.demo.generate import (
    DemoData as GeneratedPeople,
)
from chaperone.tenancy.models import School, Trust
from chaperone.tenancy.policies import TWO_FACTOR_ROLES

#: The one password of every demo login (at least 12 characters, as the validators ask).
DEMO_PASSWORD = "chaperone-demo-2026"  # noqa: S105 (published on purpose: demo data only)
DEFAULT_SEED = 2026
DEMO_DEVICE_NAME = "Demo authenticator"
DEMO_TRUST_SLUGS = tuple(plan.slug for plan in TRUSTS)

M = TypeVar("M", bound=Model)


class BulkCreate(Protocol):
    """How :func:`demo_people_store` saves a list of new rows of one model: returns them saved,
    primary keys set (``bulk_create`` by default)."""

    def __call__(self, model: type[M], objects: list[M], /) -> list[M]: ...


class DemoError(Exception):
    """Something the person loading the demo must sort out; the message says what."""


class DemoAlreadyLoaded(DemoError):
    pass


@dataclass(frozen=True)
class SchoolCounts:
    school: str
    trust: str
    pupils: int
    households: int
    staff: int


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    school: str
    needs_two_factor: bool

    @property
    def code_hint(self) -> str:
        if self.needs_two_factor:
            return f"chaperone demo code {self.username}"
        return "not needed"


@dataclass(frozen=True)
class DemoSummary:
    schools: tuple[SchoolCounts, ...]
    logins: tuple[DemoLogin, ...]
    pupils: int
    households: int
    contacts: int
    staff: int
    password: str = DEMO_PASSWORD


def demo_totp_key(*, seed: int, username: str) -> str:
    """The hex TOTP secret of a demo login: the same seed and username always give the same key."""
    message = f"chaperone-demo:{seed}:{username}".encode()
    return hmac.new(b"chaperone-demo-totp", message, hashlib.sha1).hexdigest()


def demo_is_loaded() -> bool:
    return Trust.objects.filter(slug__in=DEMO_TRUST_SLUGS).exists()


def _refuse_production(allow_production: bool) -> None:
    module = getattr(settings, "SETTINGS_MODULE", "") or ""
    if module.rsplit(".", 1)[-1] == "production" and not allow_production:
        raise DemoError(
            "These are production settings. The demo's logins share a published password, so it "
            "is not loaded here unless you pass --allow-production (a throw-away demo server)."
        )


def _delete_demo() -> None:
    """Delete every row of the demo tenants, children before the rows they point at."""
    trusts = Trust.objects.filter(slug__in=DEMO_TRUST_SLUGS)
    user_ids = list(
        StaffMember.objects.filter(trust__in=trusts, user__isnull=False).values_list(
            "user_id", flat=True
        )
    )
    try:
        tenants = [
            (trust, list(trust.schools.all())) for trust in trusts.prefetch_related("schools")
        ]
        for app_demo in reversed(declared("demo", "DEMO", DemoData)):
            app_demo.delete(tenants)
        Pupil.objects.filter(school__trust__in=trusts).delete()
        Contact.objects.filter(household__trust__in=trusts).delete()
        Household.objects.filter(trust__in=trusts).delete()
        StaffAssignment.objects.filter(staff__trust__in=trusts).delete()
        StaffMember.objects.filter(trust__in=trusts).delete()
        User.objects.filter(pk__in=user_ids).delete()
        School.objects.filter(trust__in=trusts).delete()
        trusts.delete()
    except (ProtectedError, RestrictedError) as exc:
        blocking = sorted({obj._meta.verbose_name_plural for obj in exc.args[1]})
        raise DemoError(
            "The demo could not be deleted: other records still point at it "
            f"({', '.join(str(b) for b in blocking)}). Nothing was changed."
        ) from exc
    except IntegrityError as exc:
        raise DemoError(f"The demo could not be deleted ({exc}). Nothing was changed.") from exc


@transaction.atomic
def demo_delete() -> None:
    """Delete the demo tenants and everything in them; other tenants are untouched."""
    _delete_demo()


def _refuse_conflicts() -> None:
    urns = [school.urn for plan in TRUSTS for school in plan.schools]
    taken_urns = list(School.objects.filter(urn__in=urns).values_list("urn", "name"))
    if taken_urns:
        listed = ", ".join(f"{urn} ({name})" for urn, name in taken_urns)
        raise DemoError(f"The demo's URNs are already used by schools outside the demo: {listed}.")
    taken_users = list(
        User.objects.filter(username__in=login_usernames()).values_list("username", flat=True)
    )
    if taken_users:
        raise DemoError(
            "These demo usernames belong to accounts outside the demo: "
            f"{', '.join(sorted(taken_users))}. Rename or delete them first."
        )


@transaction.atomic
def demo_load(
    *, seed: int = DEFAULT_SEED, reset: bool = False, allow_production: bool = False
) -> DemoSummary:
    """Create the demo tenants, people and logins; with ``reset``, delete an earlier demo first."""
    _refuse_production(allow_production)
    if demo_is_loaded():
        if not reset:
            raise DemoAlreadyLoaded(
                "The demo is already loaded. Run `chaperone demo load --reset` to delete it "
                "and load it again."
            )
        _delete_demo()
    _refuse_conflicts()
    data = generate_demo(seed)

    trusts = {
        plan.key: Trust(name=plan.name, slug=plan.slug, is_standalone=plan.is_standalone)
        for plan in TRUSTS
    }
    Trust.objects.bulk_create(trusts.values())
    schools = {
        school.key: School(
            trust=trusts[plan.key],
            name=school.name,
            urn=school.urn,
            phase=school.phase,
            la_code=DEMO_LA_CODE,
            # fictional contact details: a drama telephone number and reserved domains
            phone=f"01632 960 {school.urn[-3:]}",
            email=f"office@{slugify(school.name)}.example",
            website=f"https://www.{slugify(school.name)}.example",
        )
        for plan in TRUSTS
        for school in plan.schools
    }
    School.objects.bulk_create(schools.values())

    demo_people_store(data, trusts=trusts, schools=schools, seed=seed)
    tenants = [
        (trusts[plan.key], [schools[school.key] for school in plan.schools]) for plan in TRUSTS
    ]
    for app_demo in declared("demo", "DEMO", DemoData):
        app_demo.load(tenants)
    return demo_summary()


def demo_people_store(
    data: GeneratedPeople,
    *,
    trusts: Mapping[str, Trust],
    schools: Mapping[str, School],
    seed: int,
    logins: bool = True,
    create: BulkCreate | None = None,
) -> None:
    """Store generated people in bulk under the given (saved) trusts and schools, keyed as the
    plans key them. Without ``logins`` nobody gets a login (the scale benchmark stores many
    copies of the demo's people under other tenants this way, with its own ``create``: a
    PostgreSQL COPY instead of ``bulk_create``)."""
    create = create or _bulk_create
    households = create(
        Household,
        [
            Household(
                trust=trusts[h.trust_key],
                reference=h.reference,
                name=h.name,
                address=h.address,
                postcode=h.postcode,
            )
            for h in data.households
        ],
    )
    create(
        Contact,
        [
            Contact(household=household, **vars(c))
            for household, h in zip(households, data.households, strict=True)
            for c in h.contacts
        ],
    )
    create(
        Pupil,
        [
            Pupil(
                school=schools[p.school_key],
                household=households[p.household],
                upn=p.upn,
                first_name=p.first_name,
                last_name=p.last_name,
                preferred_name=p.preferred_name,
                date_of_birth=p.date_of_birth,
                year_group=p.year_group,
                is_vulnerable=p.is_vulnerable,
                has_ehcp=p.has_ehcp,
                has_sen=p.has_sen,
                social_care_status=p.social_care_status,
                is_looked_after=p.is_looked_after,
            )
            for p in data.pupils
        ],
    )

    users = _create_users(s for s in data.staff if s.username) if logins else {}
    staff = create(
        StaffMember,
        [
            StaffMember(
                trust=trusts[s.trust_key],
                user=users.get(s.username or ""),
                staff_ref=s.staff_ref,
                title=s.title,
                first_name=s.first_name,
                last_name=s.last_name,
                email=s.email,
                phone=s.phone,
                dbs_checked_on=s.dbs_checked_on,
                code_of_conduct_acknowledged_at=s.code_of_conduct_acknowledged_at,
            )
            for s in data.staff
        ],
    )
    create(
        StaffAssignment,
        [
            StaffAssignment(staff=member, school=schools[key] if key else None, role=role)
            for member, s in zip(staff, data.staff, strict=True)
            for key, role in s.assignments
        ],
    )
    TOTPDevice.objects.bulk_create(
        TOTPDevice(
            user=users[s.username],
            name=DEMO_DEVICE_NAME,
            confirmed=True,
            key=demo_totp_key(seed=seed, username=s.username),
        )
        for s in data.staff
        if s.username in users and any(role in TWO_FACTOR_ROLES for _, role in s.assignments)
    )


def _bulk_create(model: type[M], objects: list[M]) -> list[M]:
    return model._default_manager.bulk_create(objects)


def _create_users(members: Iterable[StaffData]) -> dict[str, User]:
    """Logins for demo staff. The shared password is hashed once (argon2 is slow on purpose) by
    ``create_user`` for the first login; the rest reuse that hash."""
    people = list(members)
    if not people:
        return {}
    first, rest = people[0], people[1:]
    head = User.objects.create_user(
        first.username or "",
        email=first.email,
        password=DEMO_PASSWORD,
        first_name=first.first_name,
        last_name=first.last_name,
    )
    others = User.objects.bulk_create(
        User(
            username=m.username or "",
            email=m.email,
            first_name=m.first_name,
            last_name=m.last_name,
            password=head.password,
        )
        for m in rest
    )
    return {u.username: u for u in [head, *others]}


def demo_summary() -> DemoSummary:
    """Counts per demo school and the demo logins, read from the database."""
    if not demo_is_loaded():
        raise DemoError("The demo is not loaded. Run `chaperone demo load`.")
    trusts = Trust.objects.filter(slug__in=DEMO_TRUST_SLUGS)
    schools = School.objects.filter(trust__in=trusts).select_related("trust")
    order = {plan_school.urn: i for i, plan_school in enumerate(_planned_schools())}
    counts = [
        SchoolCounts(
            school=school.name,
            trust=school.trust.name,
            pupils=Pupil.objects.filter(school=school).count(),
            households=Household.objects.filter(pupils__school=school).distinct().count(),
            staff=StaffMember.objects.filter(assignments__school=school).distinct().count(),
        )
        for school in sorted(schools, key=lambda s: order.get(s.urn, len(order)))
    ]
    return DemoSummary(
        schools=tuple(counts),
        logins=demo_logins(),
        pupils=Pupil.objects.filter(school__trust__in=trusts).count(),
        households=Household.objects.filter(trust__in=trusts).count(),
        contacts=Contact.objects.filter(household__trust__in=trusts).count(),
        staff=StaffMember.objects.filter(trust__in=trusts).count(),
    )


def _planned_schools() -> list[SchoolPlan]:
    return [school for plan in TRUSTS for school in plan.schools]


def demo_logins() -> tuple[DemoLogin, ...]:
    """The demo logins present in the database, in the listed order, with what each needs."""
    rows = (
        StaffAssignment.objects.filter(
            staff__trust__slug__in=DEMO_TRUST_SLUGS,
            staff__user__username__in=login_usernames(),
        )
        .select_related("school", "staff__user", "staff__trust")
        .order_by("pk")
    )
    by_username: dict[str, list[StaffAssignment]] = {}
    for row in rows:
        user = row.staff.user
        assert user is not None  # the filter above is on the user's name
        by_username.setdefault(user.username, []).append(row)
    logins = []
    for username in login_usernames():
        held = by_username.get(username)
        if not held:
            continue
        logins.append(
            DemoLogin(
                username=username,
                role=", ".join(a.get_role_display() for a in held),
                school=", ".join(
                    sorted({a.school.name if a.school else a.staff.trust.name for a in held})
                ),
                needs_two_factor=any(a.role in TWO_FACTOR_ROLES for a in held),
            )
        )
    return tuple(logins)


def demo_code(*, username: str) -> str:
    """The current six-digit code of a demo login's authenticator. Refuses any other account."""
    staff = (
        StaffMember.objects.filter(
            user__username=username, trust__slug__in=DEMO_TRUST_SLUGS, user__isnull=False
        )
        .select_related("user")
        .first()
    )
    if staff is None or staff.user is None:
        raise DemoError(
            f"{username!r} is not a demo login. Codes are shown only for the demo's users; "
            "see `chaperone demo logins`."
        )
    device = TOTPDevice.objects.filter(
        user=staff.user, name=DEMO_DEVICE_NAME, confirmed=True
    ).first()
    if device is None:
        roles = set(staff.assignments.values_list("role", flat=True))
        if roles & TWO_FACTOR_ROLES:
            raise DemoError(
                f"{username} has no demo authenticator. Run `chaperone demo load --reset`."
            )
        raise DemoError(f"{username} does not need a code: this role signs in with the password.")
    code = totp(
        device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift
    )
    return f"{code:0{device.digits}d}"
