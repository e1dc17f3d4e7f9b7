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

from .atoms import (
    DERIVED_FLAGS,
    ENUM_FIELDS,
    FLAG_FIELDS,
    KEYED_SOURCES,
    Predicate,
    atom_id,
    atom_predicate,
    compile_windows,
    domain,
    key_fn,
    local_timing,
    source_of,
    table_reader,
)
from .conditions import Conditions
from .decision import Decision, Finding
from .request import ContactRequest
from .vocab import EFFECT_RANK, OUTCOME_FOR_EFFECT

if TYPE_CHECKING:
    from .protocol import Protocol, Rule

#: Entries kept per cache (source keys, bit patterns, fired sets); beyond it, results are not kept.
_MAX_CACHED = 1 << 16
#: Every tabulated source, in the order the generated readers test them.
_TABULATED = (*ENUM_FIELDS, *FLAG_FIELDS, *DERIVED_FLAGS)


def _attribute(name: str) -> str:
    return f"r.{name}"


class _Source:
    """A keyed source (staff, pupils, timing) whose keys are too varied to enumerate."""

    __slots__ = ("atoms", "cache", "key")

    def __init__(self, key: Callable[[ContactRequest], Any], atoms: list[tuple[int, Predicate]]):
        self.key = key
        self.atoms = atoms
        self.cache: dict[Any, int] = {}

    def __call__(self, request: ContactRequest) -> int:
        return self.lookup(self.key(request))

    def lookup(self, key: Any) -> int:
        bits = self.cache.get(key)
        if bits is None:
            bits = 0
            for bit, predicate in self.atoms:
                if predicate(key):
                    bits |= bit
            if len(self.cache) < _MAX_CACHED:
                self.cache[key] = bits
        return bits


class _Unused:
    """A keyed source no rule of the protocol reads."""

    __slots__ = ()

    def __call__(self, request: ContactRequest) -> int:
        return 0

    def lookup(self, key: Any) -> int:
        return 0


def tables(atoms: dict[str, list[tuple[int, Predicate]]]) -> dict[str, Any]:
    """For every tabulated source a rule reads, the atom bits each possible value sets.

    Enumerated fields get a dict over their vocabulary, flags a ``(false, true)`` pair; sources
    no rule reads get no table, and the generated readers skip them.
    """
    out: dict[str, Any] = {}
    for source in _TABULATED:
        if source not in atoms:
            continue
        table = {}
        for value in domain(source):
            bits = 0
            for bit, predicate in atoms[source]:
                if predicate(value):
                    bits |= bit
            table[value] = bits
        out[source] = table if source in ENUM_FIELDS else (table[False], table[True])
    return out


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
        self.findings = tuple(_finding(protocol, rules[i]) for i in order)
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
        self.atoms = atoms
        self.sources = frozenset(by_source)
        self._tables = tables(by_source)
        self._read = table_reader(self._tables, _attribute)

        timing = local_timing(tz)

        def keyed(source: str) -> _Source | _Unused:
            if source not in by_source:
                return _Unused()
            return _Source(key_fn(source, timing), by_source[source])

        self._staff, self._pupils, self._time = (keyed(s) for s in KEYED_SOURCES)
        self._by_bits: dict[int, Decision] = {}
        self._by_fired: dict[tuple[int, ...], Decision] = {}

    def bits(self, r: ContactRequest) -> int:
        """The atoms (conditions) that hold for request ``r``, as an integer bit set."""
        return self._read(r) | self._staff(r) | self._pupils(r) | self._time(r)

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
        return self._decision(self.bits(request))

    def _decision(self, bits: int) -> Decision:
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
        # One finding per code: where several rules give the same code (SLT approval for the
        # time of day and for the kind of call), the first in output order speaks for them.
        by_code: dict[str, Finding] = {}
        for i in fired:
            by_code.setdefault(self.findings[i].code, self.findings[i])
        findings = tuple(by_code.values())
        # Findings are in severity order, so the first one carries the outcome.
        outcome = OUTCOME_FOR_EFFECT[findings[0].effect] if findings else "allowed"
        return Decision(outcome, self.id, self.version, findings)


def _finding(protocol: Protocol, rule: Rule) -> Finding:
    fill = protocol.render
    return Finding(
        code=rule.code,
        effect=rule.effect,
        rule=fill(rule.text),
        remedy=fill(rule.remedy) if rule.remedy is not None else None,
        rule_id=rule.id,
        label=fill(rule.label) if rule.label is not None else None,
        why=fill(rule.why) if rule.why is not None else None,
    )
