"""Build the demo's people in memory, deterministically, from one seed. No database here.

One ``random.Random(seed)`` drives every choice, always in the same order, so the same seed gives
the same trusts, households, pupils (names, dates of birth, UPNs) and staff, in the same order.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar
from zoneinfo import ZoneInfo

from chaperone.people.models import Channel, SocialCareStatus
from chaperone.people.upn import make_upn
from chaperone.site.demo import names
from chaperone.tenancy.models import Phase
from chaperone.tenancy.roles import Role

T = TypeVar("T")

#: The demo is set in the 2026/27 school year (it starts on 1 September 2026).
SCHOOL_YEAR = 2026
LONDON = ZoneInfo("Europe/London")
#: LA code 999 belongs to no local authority: UPNs are well formed and obviously made up.
DEMO_LA_CODE = "999"
#: Establishment numbers of made-up primary schools that earlier allocated secondary pupils' UPNs.
FEEDER_ESTABLISHMENTS = ("2102", "2103", "2104")


# --- the fixed shape of the demo ------------------------------------------------------------------


@dataclass(frozen=True)
class SchoolPlan:
    key: str  # "primary", "secondary", "independent": used in usernames
    name: str
    urn: str
    phase: str
    establishment: str
    #: pupils per year group (0 is Reception)
    pupils_per_year: dict[int, int]
    #: roles held by staff who have no login, one tuple per person
    other_staff: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class TrustPlan:
    key: str
    name: str
    slug: str
    is_standalone: bool
    staff_ref_prefix: str
    town: str
    postcode_districts: tuple[int, ...]
    #: probability that a household has two / three children at the trust's schools
    two_children: float
    three_children: float
    schools: tuple[SchoolPlan, ...]


_SCHOOL_ROLES_BEFORE = (
    Role.HEADTEACHER,
    Role.DSL,
    Role.DEPUTY_DSL,
    Role.SLT,
    Role.TEACHER,
    Role.TUTOR,
)
_SCHOOL_ROLES_AFTER = (
    Role.PASTORAL_LEAD,
    Role.COUNSELLOR,
    Role.SEN_STAFF,
    Role.SUPPORT_STAFF,
    Role.SCHOOL_ADMIN,
    Role.CHAIR_OF_GOVERNORS,
)
#: Roles that have a demo login in each kind of school.
LOGIN_ROLES: dict[str, tuple[str, ...]] = {
    "primary": (*_SCHOOL_ROLES_BEFORE, *_SCHOOL_ROLES_AFTER),
    "secondary": (*_SCHOOL_ROLES_BEFORE, Role.HEAD_OF_YEAR, *_SCHOOL_ROLES_AFTER),
    "independent": (*_SCHOOL_ROLES_BEFORE, Role.HOUSEMASTER, *_SCHOOL_ROLES_AFTER),
}
USERNAME_STEMS: dict[str, str] = {
    Role.HEADTEACHER: "head",
    Role.DSL: "dsl",
    Role.DEPUTY_DSL: "deputy-dsl",
    Role.SLT: "slt",
    Role.TEACHER: "teacher",
    Role.TUTOR: "tutor",
    Role.HEAD_OF_YEAR: "head-of-year",
    Role.HOUSEMASTER: "housemaster",
    Role.PASTORAL_LEAD: "pastoral",
    Role.COUNSELLOR: "counsellor",
    Role.SEN_STAFF: "sen",
    Role.SUPPORT_STAFF: "support",
    Role.SCHOOL_ADMIN: "admin",
    Role.CHAIR_OF_GOVERNORS: "chair",
}
TRUST_ADMIN_USERNAME = "trustadmin"

_T, _TT, _TH = (Role.TEACHER,), (Role.TEACHER, Role.TUTOR), (Role.TEACHER, Role.HEAD_OF_YEAR)
_S = (Role.SUPPORT_STAFF,)

TRUSTS: tuple[TrustPlan, ...] = (
    TrustPlan(
        key="northgate",
        name="Northgate Learning Trust",
        slug="demo-northgate",
        is_standalone=False,
        staff_ref_prefix="NLT",
        town="Northgate",
        postcode_districts=(1, 2, 3, 4, 5, 6),
        two_children=0.27,
        three_children=0.07,
        schools=(
            SchoolPlan(
                key="primary",
                name="Fernhollow Primary Academy",
                urn="990101",
                phase=Phase.PRIMARY,
                establishment="2101",
                pupils_per_year=dict.fromkeys(range(7), 30),
                other_staff=(_T,) * 6 + (_S,) * 4,
            ),
            SchoolPlan(
                key="secondary",
                name="Northgate Vale Academy",
                urn="990102",
                phase=Phase.SECONDARY,
                establishment="4101",
                pupils_per_year={7: 54, 8: 52, 9: 52, 10: 50, 11: 50, 12: 36, 13: 34},
                other_staff=(
                    (_T,) * 9 + (_TT,) * 5 + (_TH,) * 2 + (_S,) * 3 + ((Role.SEN_STAFF,),)
                ),
            ),
        ),
    ),
    TrustPlan(
        key="quillbrook",
        name="Quillbrook College Ltd",
        slug="demo-quillbrook",
        is_standalone=True,
        staff_ref_prefix="QC",
        town="Osierford",
        postcode_districts=(7, 8, 9),
        two_children=0.18,
        three_children=0.03,
        schools=(
            SchoolPlan(
                key="independent",
                name="Quillbrook College",
                urn="990201",
                phase=Phase.SECONDARY,
                establishment="6101",
                pupils_per_year={7: 26, 8: 26, 9: 25, 10: 25, 11: 24, 12: 18, 13: 17},
                other_staff=(_T,) * 5 + (_TT,) * 2 + ((Role.TEACHER, Role.HOUSEMASTER),) + (_S,),
            ),
        ),
    ),
)

#: Share of a tenant's pupils with each flag (whole households for CP and CIN).
SHARES = {
    "ehcp": 0.03,
    "sen": 0.12,
    "cp": 0.02,
    "cin": 0.04,
    "looked_after": 0.01,
    "unofficial": 0.015,
}


# --- what is generated ----------------------------------------------------------------------------


@dataclass
class ContactData:
    first_name: str
    last_name: str
    relationship: str
    has_parental_responsibility: bool
    email: str
    phone: str
    preferred_channel: str
    language: str
    priority: int


@dataclass
class HouseholdData:
    trust_key: str
    reference: str
    name: str
    address: str
    postcode: str
    contacts: list[ContactData] = field(default_factory=list)


@dataclass
class PupilData:
    school_key: str
    household: int  # index into DemoData.households
    upn: str
    first_name: str
    last_name: str
    preferred_name: str
    date_of_birth: dt.date
    year_group: int
    is_vulnerable: bool = False
    has_ehcp: bool = False
    has_sen: bool = False
    social_care_status: str = SocialCareStatus.NONE
    is_looked_after: bool = False


@dataclass
class StaffData:
    trust_key: str
    staff_ref: str
    title: str
    first_name: str
    last_name: str
    email: str
    phone: str
    dbs_checked_on: dt.date
    code_of_conduct_acknowledged_at: dt.datetime | None
    #: (school key, or None for a trust role; role)
    assignments: list[tuple[str | None, str]]
    username: str | None = None


@dataclass
class DemoData:
    households: list[HouseholdData]
    pupils: list[PupilData]
    staff: list[StaffData]


# --- dates ----------------------------------------------------------------------------------------


def birth_range(year_group: int, school_year: int = SCHOOL_YEAR) -> tuple[dt.date, dt.date]:
    """Earliest and latest birthday for a year group in the school year starting ``school_year``.

    An English school year takes children born from 1 September to 31 August; Reception children
    turn five during their Reception year, so a Year N pupil is N + 4 on 31 August before it starts.
    """
    first = dt.date(school_year - 5 - year_group, 9, 1)
    last = dt.date(school_year - 4 - year_group, 8, 31)
    return first, last


def year_group_for(date_of_birth: dt.date, school_year: int = SCHOOL_YEAR) -> int:
    """The year group a child born on ``date_of_birth`` is in during ``school_year``."""
    cohort_start = date_of_birth.year if date_of_birth.month >= 9 else date_of_birth.year - 1
    return school_year - 5 - cohort_start


# --- the generator --------------------------------------------------------------------------------


def _weighted(rng: random.Random, options: Sequence[tuple[T, float]]) -> T:
    values = [v for v, _ in options]
    weights = [w for _, w in options]
    return rng.choices(values, weights=weights, k=1)[0]


class _Phones:
    """Unique numbers from Ofcom's ranges kept for drama: mobiles 07700 900000-900999 and Leeds
    landlines 0113 496 0000-0999. None of them can ring a real person."""

    def __init__(self, rng: random.Random) -> None:
        self.mobiles = [f"+447700900{n:03d}" for n in rng.sample(range(1000), 1000)]
        self.landlines = [f"+441134960{n:03d}" for n in rng.sample(range(1000), 1000)]

    def mobile(self) -> str:
        return self.mobiles.pop() if self.mobiles else self.landline()

    def landline(self) -> str:
        return self.landlines.pop()


class _Emails:
    def __init__(self) -> None:
        self.used: set[str] = set()

    def make(self, first: str, last: str, domain: str) -> str:
        local = names.email_local(first, last)
        candidate, n = f"{local}@{domain}", 1
        while candidate in self.used:
            n += 1
            candidate = f"{local}{n}@{domain}"
        self.used.add(candidate)
        return candidate


@dataclass
class _Family:
    heritage: names.Heritage
    surname: str
    slots: list[tuple[str, int]]  # (school key, year group)
    language: str = "English"
    looked_after: bool = False


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 (made-up data, not secrets)
        self.phones = _Phones(self.rng)
        self.emails = _Emails()
        self.upn_serials: dict[tuple[str, int], int] = {}
        self.data = DemoData(households=[], pupils=[], staff=[])

    # people ---------------------------------------------------------------------------------------

    def heritage(self) -> names.Heritage:
        return _weighted(self.rng, [(h, h.weight) for h in names.HERITAGES])

    def adult(self, heritage: names.Heritage, *, woman: bool) -> str:
        return self.rng.choice(heritage.women if woman else heritage.men)

    # households and pupils ------------------------------------------------------------------------

    def families(self, trust: TrustPlan) -> list[_Family]:
        """Group every pupil place of the trust into families, with siblings a few years apart."""
        rng = self.rng
        slots = [
            (school.key, year)
            for school in trust.schools
            for year, count in sorted(school.pupils_per_year.items())
            for _ in range(count)
        ]
        school_of_year = {y: s.key for s in trust.schools for y in s.pupils_per_year}
        order = list(range(len(slots)))
        rng.shuffle(order)
        taken = [False] * len(slots)
        by_year: dict[int, list[int]] = {}
        for i in order:
            by_year.setdefault(slots[i][1], []).append(i)

        def take(year: int) -> int | None:
            bucket = by_year.get(year, [])
            while bucket:
                i = bucket.pop()
                if not taken[i]:
                    taken[i] = True
                    return i
            return None

        families: list[_Family] = []
        gaps = (-5, -4, -3, -3, -2, -2, -2, -1, 1, 2, 2, 2, 3, 3, 4, 5)
        for i in order:
            if taken[i]:
                continue
            taken[i] = True
            members = [slots[i]]
            r = rng.random()
            wanted = 1
            if r < trust.three_children + trust.two_children:
                wanted = 3 if r < trust.three_children else 2
            for _ in range(wanted - 1):
                for _attempt in range(6):
                    gap = 0 if rng.random() < 0.03 else rng.choice(gaps)  # now and then, twins
                    year = members[0][1] + gap
                    if year not in school_of_year or any(year == y for _, y in members[1:]):
                        continue
                    j = take(year)
                    if j is not None:
                        members.append(slots[j])
                        break
            heritage = self.heritage()
            family = _Family(
                heritage=heritage,
                surname=rng.choice(heritage.surnames),
                slots=sorted(members, key=lambda s: -s[1]),
                language=_weighted(rng, heritage.languages),
            )
            families.append(family)
        return families

    def pupil_names(self, family: _Family) -> list[tuple[str, str, str]]:
        """(first name, last name, preferred name) for each child of a family."""
        rng = self.rng
        british = names.HERITAGES[0]
        chosen: list[tuple[str, str, str]] = []
        for _ in family.slots:
            while True:
                pool = british if rng.random() < 0.08 else family.heritage
                first = rng.choice(pool.girls if rng.random() < 0.5 else pool.boys)
                if all(first != c[0] for c in chosen):
                    break
            nickname = names.NICKNAMES.get(first, "")
            preferred = nickname if nickname and rng.random() < 0.5 else ""
            chosen.append((first, family.surname, preferred))
        return chosen

    def date_of_birth(self, year_group: int) -> dt.date:
        first, last = birth_range(year_group)
        return first + dt.timedelta(days=self.rng.randrange((last - first).days + 1))

    def sibling_date_of_birth(self, year_group: int, siblings: list[dt.date]) -> dt.date:
        """A birthday in the year group at least ten months from any (non-twin) sibling's."""
        dob = self.date_of_birth(year_group)
        for _ in range(30):
            if all(abs((dob - other).days) >= 300 for other in siblings):
                break
            dob = self.date_of_birth(year_group)
        return dob

    def upn(self, establishment: str, year_group: int) -> str:
        entry_year = SCHOOL_YEAR - year_group  # the year the pupil joined Reception
        key = (establishment, entry_year)
        self.upn_serials[key] = serial = self.upn_serials.get(key, 0) + 1
        return make_upn(DEMO_LA_CODE, establishment, entry_year, serial)

    def streets(self, trust: TrustPlan, count: int) -> list[tuple[str, str]]:
        """(street name, outward code + sector) pairs; every street has one postcode sector."""
        rng = self.rng
        combos = [f"{w} {k}" for w in names.STREET_WORDS for k in names.STREET_KINDS]
        picked = rng.sample(combos, count)
        return [
            (
                street,
                f"{names.POSTCODE_AREA}{rng.choice(trust.postcode_districts)}"
                f" {rng.randrange(1, 10)}",
            )
            for street in picked
        ]

    def contacts(self, family: _Family) -> list[ContactData]:
        rng = self.rng
        if family.looked_after:
            carers = self.heritage()
            surname = rng.choice(carers.surnames)
            people = [("foster carer", True, surname, carers)]
            if rng.random() < 0.6:
                people.append(("foster carer", False, surname, carers))
            family.language = "English"
        else:
            first_rel = _weighted(
                rng, [("mother", 64), ("father", 24), ("grandmother", 5), ("aunt", 2), ("carer", 5)]
            )
            people = [(first_rel, first_rel != "father", family.surname, family.heritage)]
            if rng.random() < 0.72:
                if first_rel == "mother":
                    second = _weighted(
                        rng, [("father", 85), ("stepfather", 10), ("grandmother", 5)]
                    )
                elif first_rel == "father":
                    second = _weighted(rng, [("mother", 88), ("stepmother", 12)])
                else:
                    second = _weighted(rng, [("mother", 50), ("grandfather", 50)])
                surname = family.surname
                heritage = family.heritage
                if second.startswith("step") or rng.random() < 0.1:
                    heritage = heritage if rng.random() < 0.7 else names.HERITAGES[0]
                    surname = rng.choice(heritage.surnames)
                woman = second in {"mother", "stepmother", "grandmother"}
                people.append((second, woman, surname, heritage))
        contacts = []
        for priority, (relationship, woman, surname, heritage) in enumerate(people, start=1):
            if relationship == "carer":
                woman = rng.random() < 0.7
            first = self.adult(heritage, woman=woman)
            landline = rng.random() < 0.1
            phone = self.phones.landline() if landline else self.phones.mobile()
            email = "" if rng.random() < 0.08 else self.emails.make(first, surname, "example.com")
            if family.language == "English":
                channels = [(Channel.EMAIL, 55), (Channel.SMS, 35), (Channel.PHONE, 10)]
            else:
                channels = [(Channel.EMAIL, 20), (Channel.SMS, 40), (Channel.PHONE, 40)]
            channels = [
                (c, w)
                for c, w in channels
                if not (c == Channel.EMAIL and not email) and not (c == Channel.SMS and landline)
            ]
            contacts.append(
                ContactData(
                    first_name=first,
                    last_name=surname,
                    relationship=relationship,
                    has_parental_responsibility=relationship in {"mother", "father", "carer"}
                    or (relationship == "grandmother" and priority == 1),
                    email=email,
                    phone=phone,
                    preferred_channel=_weighted(rng, channels),
                    language=family.language,
                    priority=priority,
                )
            )
        return contacts

    def flag(
        self, pupils: list[PupilData], families: list[_Family], first_pupil: list[int]
    ) -> None:
        """Set statuses on exact shares of a tenant's pupils (CP and CIN cover whole families)."""
        rng = self.rng
        n = len(pupils)

        def target(key: str) -> int:
            return max(1, round(SHARES[key] * n))

        singles = [f for f, fam in enumerate(families) if len(fam.slots) == 1]
        for f in rng.sample(singles, target("looked_after")):
            families[f].looked_after = True
            pupils[first_pupil[f]].is_looked_after = True

        family_order = [f for f in range(len(families)) if not families[f].looked_after]
        rng.shuffle(family_order)
        for status, key in ((SocialCareStatus.CP, "cp"), (SocialCareStatus.CIN, "cin")):
            flagged = 0
            while flagged < target(key) and family_order:
                f = family_order.pop()
                for k in range(len(families[f].slots)):
                    pupils[first_pupil[f] + k].social_care_status = status
                    flagged += 1

        order = list(range(n))
        rng.shuffle(order)
        ehcp, rest = order[: target("ehcp")], order[target("ehcp") :]
        sen, rest = rest[: target("sen")], rest[target("sen") :]
        for i in ehcp:
            pupils[i].has_ehcp = True
            pupils[i].is_vulnerable = rng.random() < 0.5
        for i in sen:
            pupils[i].has_sen = True
        for p in pupils:
            if p.social_care_status or p.is_looked_after:
                p.is_vulnerable = True
        unofficial = [i for i in rest if not pupils[i].is_vulnerable]
        for i in unofficial[: target("unofficial")]:
            pupils[i].is_vulnerable = True

    def tenant_people(self, trust: TrustPlan) -> None:
        rng = self.rng
        families = self.families(trust)
        establishment = {s.key: s.establishment for s in trust.schools}
        primary_keys = {s.key for s in trust.schools if s.phase == Phase.PRIMARY}

        pupils: list[PupilData] = []
        first_pupil: list[int] = []
        household_base = len(self.data.households)
        for f, family in enumerate(families):
            first_pupil.append(len(pupils))
            had_primary = any(key in primary_keys for key, _ in family.slots)
            dobs: dict[int, dt.date] = {}
            for (school_key, year), (first, last, preferred) in zip(
                family.slots, self.pupil_names(family), strict=True
            ):
                if school_key in primary_keys or trust.is_standalone:
                    allocated_by = establishment[school_key]
                elif had_primary:
                    allocated_by = establishment[sorted(primary_keys)[0]]
                else:
                    allocated_by = rng.choice(FEEDER_ESTABLISHMENTS)
                dob = dobs.get(year) or self.sibling_date_of_birth(year, list(dobs.values()))
                dobs[year] = dob
                pupils.append(
                    PupilData(
                        school_key=school_key,
                        household=household_base + f,
                        upn=self.upn(allocated_by, year),
                        first_name=first,
                        last_name=last,
                        preferred_name=preferred,
                        date_of_birth=dob,
                        year_group=year,
                    )
                )
        self.flag(pupils, families, first_pupil)

        streets = self.streets(trust, count=max(12, len(families) // 8))
        for f, family in enumerate(families):
            street, sector = rng.choice(streets)
            contacts = self.contacts(family)
            carer_surname = contacts[0].last_name
            name = (
                f"{carer_surname} family (foster carers)"
                if family.looked_after
                else f"{family.surname} family"
            )
            unit = "".join(rng.choices(names.POSTCODE_UNIT_LETTERS, k=2))
            self.data.households.append(
                HouseholdData(
                    trust_key=trust.key,
                    reference=f"F{f + 1:05d}",
                    name=name,
                    address=f"{rng.randrange(1, 140)} {street}\n{trust.town}",
                    postcode=f"{sector}{unit}",
                    contacts=contacts,
                )
            )
        self.data.pupils.extend(pupils)

    # staff ----------------------------------------------------------------------------------------

    def staff_member(
        self,
        trust: TrustPlan,
        n: int,
        assignments: list[tuple[str | None, str]],
        *,
        username: str | None,
    ) -> StaffData:
        rng = self.rng
        heritage = self.heritage()
        woman = rng.random() < 0.7  # most school staff in England are women
        first = self.adult(heritage, woman=woman)
        last = rng.choice(heritage.surnames)
        title = rng.choice(names.STAFF_TITLES_WOMEN if woman else names.STAFF_TITLES_MEN)
        dbs = dt.date(2019, 1, 7) + dt.timedelta(days=rng.randrange(7 * 365 + 200))
        acknowledged = None
        if username is not None or rng.random() < 0.85:
            day = dt.datetime(2026, 9, 1, 8, 0, tzinfo=LONDON)
            acknowledged = day + dt.timedelta(
                days=rng.randrange(10), minutes=rng.randrange(10 * 60)
            )
        phone = self.phones.mobile() if username is not None or rng.random() < 0.5 else ""
        return StaffData(
            trust_key=trust.key,
            staff_ref=f"{trust.staff_ref_prefix}{n:04d}",
            title=title,
            first_name=first,
            last_name=last,
            email=self.emails.make(first, last, "example.org"),
            phone=phone,
            dbs_checked_on=dbs,
            code_of_conduct_acknowledged_at=acknowledged,
            assignments=assignments,
            username=username,
        )

    def tenant_staff(self, trust: TrustPlan) -> None:
        people: list[tuple[list[tuple[str | None, str]], str | None]] = []
        for school in trust.schools:
            for role in LOGIN_ROLES[school.key]:
                people.append(([(school.key, role)], f"{USERNAME_STEMS[role]}.{school.key}"))
        if not trust.is_standalone:
            people.append(([(None, Role.TRUST_ADMIN)], TRUST_ADMIN_USERNAME))
            # one counsellor works across every school of the trust
            people.append(([(s.key, Role.COUNSELLOR) for s in trust.schools], None))
        for school in trust.schools:
            for roles in school.other_staff:
                people.append(([(school.key, role) for role in roles], None))
        for n, (assignments, username) in enumerate(people, start=1):
            self.data.staff.append(self.staff_member(trust, n, assignments, username=username))

    def run(self) -> DemoData:
        for trust in TRUSTS:
            self.tenant_people(trust)
            self.tenant_staff(trust)
        return self.data


def generate_demo(seed: int) -> DemoData:
    """Every demo household, pupil and staff member for ``seed``; the same seed, the same data."""
    return _Generator(seed).run()


def login_usernames() -> list[str]:
    """Every demo login, in the order they are listed."""
    usernames = []
    for trust in TRUSTS:
        for school in trust.schools:
            usernames += [f"{USERNAME_STEMS[r]}.{school.key}" for r in LOGIN_ROLES[school.key]]
        if not trust.is_standalone:
            usernames.append(TRUST_ADMIN_USERNAME)
    return usernames
