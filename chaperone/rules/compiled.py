"""A protocol compiled for deciding: conditions as bits, rules as bit masks, decisions memoised.

Built once per loaded :class:`~chaperone.rules.protocol.Protocol` (see
:mod:`chaperone.rules.conditions` for atoms and sources). Deciding a request means:

1. OR together the atom bits each request field sets (precomputed tables over each field's
   closed vocabulary; staff, pupils and timing through small caches keyed by what they read);
2. look the combined bits up in the decision cache; on a miss, test each rule's three masks
   (``when`` all set, no ``unless`` bit set, not every ``require`` bit set -> the rule fires);
3. return the shared, immutable :class:`~chaperone.rules.decision.Decision` for the rules fired.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from .conditions import (
    Conditions,
    KeyFn,
    Predicate,
    atom_id,
    atom_predicate,
    compile_windows,
    home_adult,
    key_fn,
    second_adult,
    source_of,
)
from .decision import Decision, Finding
from .request import ContactRequest
from .vocab import (
    CONSENTS,
    EFFECT_RANK,
    HOLDERS,
    KINDS,
    OUTCOME_FOR_EFFECT,
    PLATFORMS,
    PUPIL_LOCATIONS,
    PURPOSES,
    STAFF_LOCATIONS,
)

if TYPE_CHECKING:
    from .protocol import Protocol, Rule

#: Entries kept per cache (source keys, bit patterns, fired sets); beyond it, results are not kept.
_MAX_CACHED = 1 << 16


class _Source:
    """A derived source (staff, pupils, timing) whose keys are too varied to enumerate."""

    __slots__ = ("atoms", "cache", "key")

    def __init__(self, key: KeyFn, atoms: list[tuple[int, Predicate]]) -> None:
        self.key = key
        self.atoms = atoms
        self.cache: dict[Any, int] = {}

    def __call__(self, request: ContactRequest) -> int:
        key = self.key(request)
        bits = self.cache.get(key)
        if bits is None:
            bits = 0
            for bit, predicate in self.atoms:
                if predicate(key):
                    bits |= bit
            if len(self.cache) < _MAX_CACHED:
                self.cache[key] = bits
        return bits


def _none(request: ContactRequest) -> int:
    return 0


class _Tables:
    """For every enumerable source, the atom bits each possible value sets.

    Fields a protocol never mentions get all-zero tables, so :meth:`CompiledProtocol.bits` can
    read every field unconditionally in one expression.
    """

    def __init__(self, atoms: dict[str, list[tuple[int, Predicate]]]) -> None:
        def table(source: str, domain: tuple[Any, ...]) -> dict[Any, int]:
            out = {}
            for value in domain:
                bits = 0
                for bit, predicate in atoms.get(source, ()):
                    if predicate(value):
                        bits |= bit
                out[value] = bits
            return out

        def flag(source: str) -> tuple[int, int]:
            t = table(source, (False, True))
            return (t[False], t[True])

        self.kind = table("kind", KINDS)
        self.purpose = table("purpose", PURPOSES)
        self.platform = table("platform", PLATFORMS)
        self.account = table("account", HOLDERS)
        self.device = table("device", HOLDERS)
        self.staff_location = table("staff_location", STAFF_LOCATIONS)
        self.pupil_location = table("pupil_location", PUPIL_LOCATIONS)
        self.parental_consent = table("parental_consent", CONSENTS)
        self.parent_present = flag("parent_present")
        self.chaperone_present = flag("chaperone_present")
        self.pupil_home_alone = flag("pupil_home_alone")
        self.second_staff_invited = flag("second_staff_invited")
        self.dsl_invited = flag("dsl_invited")
        self.recording = flag("recording")
        self.slt_approved = flag("slt_approved")
        self.risk_assessed = flag("risk_assessed")
        self.on_dsl_timetable = flag("on_dsl_timetable")
        self.linked_to_plan = flag("linked_to_plan")
        self.waiting_room = flag("waiting_room")
        self.parents_informed = flag("parents_informed")
        self.emergency = flag("emergency")
        self.second_adult = flag("second_adult")
        self.home_adult = flag("home_adult")


class CompiledProtocol:
    """The executable form of one protocol."""

    def __init__(self, protocol: Protocol) -> None:
        self.id = protocol.id
        self.version = protocol.version
        tz = ZoneInfo(protocol.time_zone)
        approved = frozenset(protocol.platforms)
        windows = compile_windows(protocol.windows)
        rules: list[Rule] = list(protocol.rules)
        # Evaluate in output order (refuse, pending, info; then file order) so the rules that
        # fire come out already sorted.
        order = sorted(range(len(rules)), key=lambda i: (-EFFECT_RANK[rules[i].effect], i))
        self.findings = tuple(_finding(rules[i]) for i in order)
        atoms: dict[tuple[str, Any], int] = {}
        by_source: dict[str, list[tuple[int, Predicate]]] = {}

        def mask(table: Conditions) -> int:
            bits = 0
            for name, value in table.given().items():
                ident = atom_id(name, value)
                bit = atoms.get(ident)
                if bit is None:
                    bit = atoms[ident] = 1 << len(atoms)
                    predicate = atom_predicate(name, value, windows, approved)
                    by_source.setdefault(source_of(name), []).append((bit, predicate))
                bits |= bit
            return bits

        # Rules sharing a ``when`` mask are tested together, after one applicability check.
        groups: dict[int, list[tuple[int, int, int]]] = {}
        for position, i in enumerate(order):
            rule = rules[i]
            groups.setdefault(mask(rule.when), []).append(
                (position, mask(rule.unless), mask(rule.require))
            )
        self._groups = tuple((when, tuple(members)) for when, members in groups.items())
        self._tables = _Tables(by_source)

        def derived(source: str) -> Callable[[ContactRequest], int]:
            if source not in by_source:
                return _none
            return _Source(key_fn(source, tz), by_source[source])

        self._staff = derived("staff")
        self._pupils = derived("pupils")
        self._time = derived("time")
        self._by_bits: dict[int, Decision] = {}
        self._by_fired: dict[tuple[int, ...], Decision] = {}

    def bits(self, r: ContactRequest) -> int:
        """The atoms (conditions) that hold for request ``r``, as an integer bit set."""
        t = self._tables
        return (
            t.kind[r.kind]
            | t.purpose[r.purpose]
            | t.platform[r.platform]
            | t.account[r.account]
            | t.device[r.device]
            | t.staff_location[r.staff_location]
            | t.pupil_location[r.pupil_location]
            | t.parental_consent[r.parental_consent]
            | t.parent_present[r.parent_present]
            | t.chaperone_present[r.chaperone_present]
            | t.pupil_home_alone[r.pupil_home_alone]
            | t.second_staff_invited[r.second_staff_invited]
            | t.dsl_invited[r.dsl_invited]
            | t.recording[r.recording]
            | t.slt_approved[r.slt_approved]
            | t.risk_assessed[r.risk_assessed]
            | t.on_dsl_timetable[r.on_dsl_timetable]
            | t.linked_to_plan[r.linked_to_plan]
            | t.waiting_room[r.waiting_room]
            | t.parents_informed[r.parents_informed]
            | t.emergency[r.emergency]
            | t.second_adult[second_adult(r)]
            | t.home_adult[home_adult(r)]
            | self._staff(r)
            | self._pupils(r)
            | self._time(r)
        )

    def fired(self, bits: int) -> tuple[int, ...]:
        """Positions (in output order) of the rules that fire for ``bits``."""
        out = []
        for when, members in self._groups:
            if bits & when == when:
                for position, unless, require in members:
                    if not bits & unless and (not require or bits & require != require):
                        out.append(position)
        out.sort()
        return tuple(out)

    def decide(self, request: ContactRequest) -> Decision:
        bits = self.bits(request)
        decision = self._by_bits.get(bits)
        if decision is None:
            fired = self.fired(bits)
            decision = self._by_fired.get(fired)
            if decision is None:
                decision = self._build(fired)
                if len(self._by_fired) < _MAX_CACHED:
                    self._by_fired[fired] = decision
            if len(self._by_bits) < _MAX_CACHED:
                self._by_bits[bits] = decision
        return decision

    def _build(self, fired: tuple[int, ...]) -> Decision:
        findings = tuple(self.findings[i] for i in fired)
        # Findings are in severity order, so the first one carries the outcome.
        outcome = OUTCOME_FOR_EFFECT[findings[0].effect] if findings else "allowed"
        return Decision(outcome, self.id, self.version, findings)


def _finding(rule: Rule) -> Finding:
    return Finding(
        code=rule.code,
        effect=rule.effect,
        rule=rule.text,
        remedy=rule.remedy,
        rule_id=rule.id,
        label=rule.label,
        why=rule.why,
    )
