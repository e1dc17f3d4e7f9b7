"""A protocol compiled for deciding: rules as closures, decisions memoised by the rules that fired.

Built once per loaded :class:`~chaperone.rules.protocol.Protocol`. Deciding a request then means
building one :class:`~chaperone.rules.conditions.Facts`, running each rule's closures and looking up
the (immutable, shared) :class:`~chaperone.rules.decision.Decision` for the set of rules that fired.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from .conditions import Check, CompiledWindow, Facts, compile_table
from .decision import Decision, Finding
from .request import ContactRequest
from .vocab import EFFECT_RANK, OUTCOME_FOR_EFFECT

if TYPE_CHECKING:
    from .protocol import Protocol, Rule


#: Distinct sets of fired rules remembered per protocol (a handful in practice).
_MAX_CACHED = 4096


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


class CompiledRule:
    __slots__ = ("index", "require", "unless", "when")

    def __init__(
        self, index: int, when: Sequence[Check], unless: Sequence[Check], require: Sequence[Check]
    ) -> None:
        self.index = index
        self.when = tuple(when)
        self.unless = tuple(unless)
        self.require = tuple(require)

    def fires(self, f: Facts) -> bool:
        for check in self.when:
            if not check(f):
                return False
        for check in self.unless:
            if check(f):
                return False
        if not self.require:
            return True
        return not all(check(f) for check in self.require)


class CompiledProtocol:
    """The executable form of one protocol."""

    def __init__(self, protocol: Protocol) -> None:
        self.id = protocol.id
        self.version = protocol.version
        self.tz = ZoneInfo(protocol.time_zone)
        self.approved = frozenset(protocol.platforms)
        windows = {
            name: CompiledWindow(_minutes(w.start) * 60, _minutes(w.end) * 60, frozenset(w.days))
            for name, w in protocol.windows.items()
        }
        rules: list[Rule] = list(protocol.rules)
        # Evaluate in output order (refuse, pending, info; then file order) so the indices that
        # fire are already sorted and need no per-call sort.
        order = sorted(range(len(rules)), key=lambda i: (-EFFECT_RANK[rules[i].effect], i))
        self.findings = tuple(_finding(rules[i]) for i in order)
        self.rules = tuple(
            CompiledRule(
                position,
                compile_table(rules[i].when, windows),
                compile_table(rules[i].unless, windows),
                compile_table(rules[i].require, windows),
            )
            for position, i in enumerate(order)
        )
        self._decisions: dict[tuple[int, ...], Decision] = {}

    def facts(self, request: ContactRequest) -> Facts:
        return Facts(request, self.tz, self.approved)

    def decide(self, request: ContactRequest) -> Decision:
        f = Facts(request, self.tz, self.approved)
        fired = tuple([rule.index for rule in self.rules if rule.fires(f)])
        decision = self._decisions.get(fired)
        if decision is None:
            decision = self._build(fired)
            if len(self._decisions) < _MAX_CACHED:
                self._decisions[fired] = decision
        return decision

    def _build(self, fired: tuple[int, ...]) -> Decision:
        findings = tuple(self.findings[i] for i in fired)
        worst = max((EFFECT_RANK[f.effect] for f in findings), default=0)
        outcome = next(o for e, o in OUTCOME_FOR_EFFECT.items() if EFFECT_RANK[e] == worst)
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
