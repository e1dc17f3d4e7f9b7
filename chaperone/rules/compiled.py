"""A protocol compiled for deciding: conditions as bits, rules as bit sets, decisions memoised.

Built once per loaded :class:`~chaperone.rules.protocol.Protocol`, from its plain-data
:meth:`~chaperone.rules.protocol.Protocol.spec` (so it needs neither pydantic nor the TOML:
``chaperone check`` builds the shipped templates from the specs kept by :mod:`.snapshot`). See
:mod:`chaperone.rules.conditions` for atoms and sources. Every distinct condition becomes an atom
(a bit) read from one source; every rule, three atom masks (``when`` all hold, no ``unless``
holds, not every ``require`` holds -> it fires). Those masks are then split by source and
tabulated, so that deciding a request means:

1. AND together, for every source a rule reads, the packed rule bit sets of the request's value:
   the closed-vocabulary fields in two groups (the choices, the flags), each looked up at once
   by the tuple of the request's values, filled on first sight from per-field tables; staff,
   pupils and timing through small caches keyed by what they read. The result says which rules
   fire, with no loop over rules;
2. look those rules up in the decision cache; on a miss, keep one rule per finding code and
   build the :class:`~chaperone.rules.decision.Decision` (its JSON, for ``--jsonl``, is joined
   from the findings' JSON made at load, when first asked for);
3. return the shared, immutable decision.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from string import Formatter
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from .atoms import (
    DERIVED_FLAGS,
    ENUM_FIELDS,
    FLAG_FIELDS,
    KEPT_STARTS,
    KEY_CODE,
    KEY_NAMES,
    KEYED_SOURCES,
    MODEL_KEY_CODE,
    Predicate,
    atom_id,
    atom_predicate,
    compile_windows,
    domain,
    source_of,
    tested_key,
    time_deriver,
)
from .decision import Decision, Finding
from .vocab import EFFECT_RANK, OUTCOME_FOR_EFFECT

if TYPE_CHECKING:
    from .request import ContactRequest

#: Entries kept per cache (source keys, bit patterns, fired sets); beyond it, results are not kept.
_MAX_CACHED = 1 << 16
#: Every tabulated source, in the order the generated readers test them.
_TABULATED = (*ENUM_FIELDS, *FLAG_FIELDS, *DERIVED_FLAGS)


class _Source:
    """A keyed source (staff, pupils, timing) whose keys are too varied to enumerate.

    ``masks(key)`` is the source's share of the rule masks for ``key`` (see
    :class:`CompiledProtocol`), cached per key. Keys are plain tuples; ``typed`` makes the
    NamedTuple the atoms test from one, on a cache miss only.
    """

    __slots__ = ("atoms", "by_derived", "cache", "combine", "derive", "typed")

    def __init__(
        self,
        atoms: list[tuple[int, Predicate]],
        combine: Callable[[int], int],
        typed: Callable[[Any], Any],
        derive: Callable[[Any], Any] | None = None,
    ):
        self.atoms = atoms
        self.combine = combine
        self.typed = typed
        self.derive = derive
        self.cache: dict[Any, int] = {}
        self.by_derived: dict[Any, int] = {}

    def masks(self, key: Any) -> int:
        found = self.cache.get(key)
        if found is None:
            if self.derive is None:
                found = self.tested(key)
            else:  # many keys share one derived key (many instants, one local time of day)
                derived = self.derive(key)
                found = self.by_derived.get(derived)
                if found is None:
                    found = self.tested(derived)
                    if len(self.by_derived) < _MAX_CACHED:
                        self.by_derived[derived] = found
            if len(self.cache) < _MAX_CACHED:
                self.cache[key] = found
        return found

    def tested(self, key: Any) -> int:
        tested = self.typed(key)
        held = 0
        for bit, predicate in self.atoms:
            if predicate(tested):
                held |= bit
        return self.combine(held)


class CompiledProtocol:
    """The executable form of one protocol.

    Every rule's three masks are split by source: for each source (a field, a derived flag, a
    keyed source) and each of its values, the engine knows which rules that value leaves
    *applicable* (all of the rule's ``when`` atoms on this source hold, none of its ``unless``
    atoms) and which rules it *satisfies* (all of its ``require`` atoms on this source hold).
    Both are rule bit sets (bit ``i`` = the ``i``-th rule in output order), packed in one integer
    (applicable in the low bits, satisfied above them), so ANDing the packed integers of a
    request's values gives, at once, the rules applicable to the request and the rules whose
    requirements it meets: a rule fires if applicable and not satisfied (or requiring nothing).
    """

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.id = spec["id"]
        self.version = spec["version"]
        tz = ZoneInfo(spec["time_zone"])
        approved = frozenset(spec["platforms"])
        windows = compile_windows(spec["windows"])
        rules: list[Mapping[str, Any]] = list(spec["rules"])
        # Evaluate in output order (refuse, pending, info; then file order) so the rules that
        # fire come out already sorted.
        effect = [rule["finding"]["effect"] for rule in rules]
        order = sorted(range(len(rules)), key=lambda i: (-EFFECT_RANK[effect[i]], i))
        self.findings = tuple(Finding(**rules[i]["finding"]) for i in order)
        atoms: dict[tuple[str, Any], int] = {}
        by_source: dict[str, list[tuple[int, Predicate]]] = {}

        def mask(table: Mapping[str, Any]) -> int:
            bits = 0
            for name, value in table.items():
                ident = atom_id(name, value)
                bit = atoms.get(ident)
                if bit is None:
                    bit = atoms[ident] = 1 << len(atoms)
                    predicate = atom_predicate(name, value, windows, approved)
                    by_source.setdefault(source_of(name), []).append((bit, predicate))
                bits |= bit
            return bits

        masks = [
            (mask(r["when"]), mask(r["unless"]), mask(r["require"]))
            for r in (rules[i] for i in order)
        ]
        self.atoms = atoms
        self.sources = frozenset(by_source)
        n = len(masks)
        self._n = n

        def combiner(source: str) -> Callable[[int], int]:
            """``held atom bits of source -> its packed rule bit sets``, cached per pattern."""
            on_source = 0
            for bit, _ in by_source[source]:
                on_source |= bit
            mine = [(w & on_source, u & on_source, q & on_source) for w, u, q in masks]
            cache: dict[int, int] = {}

            def combine(held: int) -> int:
                found = cache.get(held)
                if found is None:
                    applicable = satisfied = 0
                    for i, (w, u, q) in enumerate(mine):
                        if held & w == w and not held & u:
                            applicable |= 1 << i
                        if held & q == q:
                            satisfied |= 1 << i
                    found = cache[held] = applicable | satisfied << n
                return found

            return combine

        def tabulate(source: str) -> Any:
            combine = combiner(source)
            table = {}
            for value in domain(source):
                held = 0
                for bit, predicate in by_source[source]:
                    if predicate(value):
                        held |= bit
                table[value] = combine(held)
            return table if source in ENUM_FIELDS else (table[False], table[True])

        tables = {source: tabulate(source) for source in _TABULATED if source in by_source}
        #: UTC day -> the zone's offset throughout it and the next day, or None (see atoms.py)
        self._steady: dict[int, int | None] = {}
        derive_time = time_deriver(tz, windows, self._steady)
        keyed = {
            source: _Source(
                by_source[source],
                combiner(source),
                tested_key(source),
                derive_time if source == "time" else None,
            )
            for source in KEYED_SOURCES
            if source in by_source
        }
        self._fire = fire_reader(tables, keyed, n, _requiring(masks), self._steady, posix=False)
        #: The same for ``--jsonl``'s requests, whose start is a POSIX timestamp (an ``int``).
        self._bulk_fire = fire_reader(tables, keyed, n, _requiring(masks), self._steady)
        self._shared_codes = _shared_codes(self.findings)
        self._by_fired: dict[int, Decision] = {}
        self._by_kept: dict[int, Decision] = {}
        #: Output lines by fired rules, for ``--jsonl`` (see :meth:`line_of`).
        self._lines: dict[int, bytes] = {}
        #: Each finding's JSON, encoded once: a decision's JSON line is joined from them.
        self._fragments = [
            json.dumps(f.to_dict(), ensure_ascii=False).encode("utf-8") for f in self.findings
        ]
        head = {"id": self.id, "version": self.version}
        self._head = (
            ', "protocol": ' + json.dumps(head, ensure_ascii=False) + ', "findings": ['
        ).encode("utf-8")
        self._outcomes = {
            outcome: b'{"outcome": "' + outcome.encode() + b'"'
            for outcome in ("allowed", "pending", "refused")
        }

    def fired(self, request: ContactRequest) -> int:
        """The rules that fire for ``request``: bit ``i`` set = the ``i``-th in output order."""
        return self._fire(request)

    def decide(self, request: ContactRequest) -> Decision:
        fired = self._fire(request)
        decision = self._by_fired.get(fired)
        if decision is None:
            decision = self._decision(fired)
        return decision

    def line_of(self, fired: int) -> bytes:
        """:meth:`Decision.json_line` of the decision for the rules ``fired``, kept per set.

        Joined from the findings' JSON encoded at load (``tests/rules/test_output_bytes.py``
        holds it to ``json.dumps`` of the decision, byte for byte).
        """
        positions = _positions(self._kept(fired))
        fragments = self._fragments
        first = self.findings[positions[0]].effect if positions else "info"
        line = b"".join(
            (
                self._outcomes[OUTCOME_FOR_EFFECT[first]],
                self._head,
                b", ".join([fragments[i] for i in positions]),
                b"]}\n",
            )
        )
        if len(self._lines) < _MAX_CACHED:
            self._lines[fired] = line
        return line

    def _kept(self, fired: int) -> int:
        """``fired`` less repeated codes: where several rules give the same code (SLT approval
        for the time of day and for the kind of call), the first in output order speaks."""
        kept = fired
        for same in self._shared_codes:
            several = kept & same
            if several & (several - 1):
                kept ^= several ^ (several & -several)  # keep only the lowest (first) of them
        return kept

    def _decision(self, fired: int) -> Decision:
        found = self._by_fired.get(fired)
        if found is not None:
            return found
        kept = self._kept(fired)
        decision = self._by_kept.get(kept)
        if decision is None:
            decision = self._build(kept)
            if len(self._by_kept) < _MAX_CACHED:
                self._by_kept[kept] = decision
        if len(self._by_fired) < _MAX_CACHED:
            self._by_fired[fired] = decision
        return decision

    def _build(self, kept: int) -> Decision:
        every = self.findings
        findings = tuple([every[i] for i in _positions(kept)])
        # Findings are in severity order, so the first one carries the outcome.
        outcome = OUTCOME_FOR_EFFECT[findings[0].effect] if findings else "allowed"
        return Decision(outcome, self.id, self.version, findings)


#: The positions of the set bits of each byte value, lowest first.
_BYTE_BITS = tuple(tuple(i for i in range(8) if value >> i & 1) for value in range(256))


def _positions(rules: int) -> list[int]:
    """The positions of the set bits of ``rules``, lowest first (a byte at a time: a decision
    cache miss costs one short loop instead of one big-integer step per finding)."""
    positions: list[int] = []
    extend = positions.extend
    for index, byte in enumerate(rules.to_bytes((rules.bit_length() + 7) // 8, "little")):
        if byte:
            base = index * 8
            extend([base + i for i in _BYTE_BITS[byte]])
    return positions


def _requiring(masks: list[tuple[int, int, int]]) -> int:
    """The rules with a ``require`` part: only they can be satisfied (and so not fire)."""
    out = 0
    for i, (_, _, require) in enumerate(masks):
        if require:
            out |= 1 << i
    return out


def _shared_codes(findings: tuple[Finding, ...]) -> tuple[int, ...]:
    """For each code given by more than one rule, the bit set of those rules."""
    by_code: dict[str, int] = {}
    for i, finding in enumerate(findings):
        by_code[finding.code] = by_code.get(finding.code, 0) | 1 << i
    return tuple(m for m in by_code.values() if m & (m - 1))


def _value_expr(source: str, field: str) -> str:
    """The Python expression reading tabulated ``source`` from a request, each of its fields read
    as ``field`` shows (``"r.{}"`` or ``"d['{}']"``)."""
    if source not in DERIVED_FLAGS:
        return field.format(source)
    template = DERIVED_FLAGS[source]
    names = [name for _, name, _, _ in Formatter().parse(template) if name]
    return "(" + template.format(**{name: field.format(name) for name in names}) + ")"


def _group(tables: list[Any]) -> tuple[dict[tuple[Any, ...], int], Callable[[Any], int]]:
    """A cache of ``tuple of values -> AND of their tables' packed bit sets``, and its filler.

    The tuples range over closed vocabularies (a few thousand at most), so the cache is bounded
    and soon complete: one tuple lookup then stands for a lookup and an AND per field.
    """
    cache: dict[tuple[Any, ...], int] = {}

    def fill(values: tuple[Any, ...]) -> int:
        packed = -1
        for table, value in zip(tables, values, strict=True):
            packed &= table[value]
        if len(cache) < _MAX_CACHED:
            cache[values] = packed
        return packed

    return cache, fill


_DAY = 86_400


def _local_times(
    source: _Source,
) -> tuple[Callable[[Any], int | None], Callable[[Any, int, int], int]]:
    """The lookup and the filler of a time source's bit sets by local time of day (the key:
    local second of the day at the start, minutes, days since 1970 modulo 7), for starts on a
    day of one zone offset: then those three fix the call's local timing."""
    cache: dict[tuple[int, int, int], int] = {}
    masks = source.masks

    def fill(key: tuple[int, int, int], start: int, minutes: int) -> int:
        found = masks((start, minutes))
        if len(cache) < _MAX_CACHED:
            cache[key] = found
        return found

    return cache.get, fill


def fire_reader(
    tables: dict[str, Any],
    keyed: dict[str, _Source],
    n: int,
    requiring: int,
    steady: dict[int, int | None],
    *,
    posix: bool = True,
) -> Callable[[Any], int]:
    """A function giving the bit set of the rules that fire for a request.

    Generated as one unrolled expression ANDing the packed rule bit sets of every source the
    protocol reads (for the closed vocabularies one lookup per group, the choices and the
    flags, by the tuple of the request's values; cached keys for the rest): the fastest Python
    has for the commonest operation of the engine.

    The time source is read through ``steady`` (the days of one zone offset, see
    :func:`~.atoms.time_deriver`): on such a day its bit sets are looked up by the call's local
    second of the day, length and day of the week (a few thousand keys, where starts themselves
    seldom repeat), else through the source's own cache, keyed by the start's POSIX second and
    the length. With ``posix`` (``--jsonl``'s requests) ``at`` is that POSIX second already;
    otherwise it is a parsed request's aware datetime, and the reader takes
    ``int(at.timestamp())`` as the deriver does.
    """
    terms = []
    lines = ["def fired(r):"]
    namespace: dict[str, Any] = {}
    # A parsed request is a pydantic model: its fields are read from its __dict__ (see
    # MODEL_KEY_CODE); ``--jsonl``'s requests are msgspec structs, read by attribute.
    field = "r.{}" if posix else "d['{}']"
    key_code = KEY_CODE if posix else MODEL_KEY_CODE
    if not posix:
        lines.append("    d = r.__dict__")
    groups = {
        "choices": [source for source in tables if source in ENUM_FIELDS],
        "flags": [source for source in tables if source not in ENUM_FIELDS],
    }
    for name, sources in groups.items():
        if not sources:
            continue
        cache, fill = _group([tables[source] for source in sources])
        namespace[f"g_{name}"] = cache
        namespace[f"f_{name}"] = fill
        values = ", ".join(_value_expr(source, field) for source in sources)
        lines.append(f"    k = ({values},)")
        lines.append(f"    s_{name} = g_{name}.get(k) or f_{name}(k)")
        terms.append(f"s_{name}")
    for source, keyed_source in keyed.items():
        if source == "time":
            namespace["t_steady"] = steady.get
            namespace["t_local"], namespace["t_fill"] = _local_times(keyed_source)
            namespace["m_time"] = keyed_source.masks
            namespace["t_kept"] = KEPT_STARTS.get
            # (A kept start's POSIX second is looked up by the datetime's identity: converting
            # an aware datetime costs more than the rest of the time source's read.)
            lines.extend(
                [
                    "    a = r.at" if posix else "    a = d['at']",
                    *([] if posix else ["    a = t_kept(id(a)) or int(a.timestamp())"]),
                    f"    m = {field.format('duration_minutes')}",
                    f"    h = t_steady(a // {_DAY})",
                    "    if h is None:",
                    "        s_time = m_time((a, m))",
                    "    else:",
                    "        a += h",
                    f"        k = (a % {_DAY}, m, a // {_DAY} % 7)",
                    "        s_time = t_local(k) or t_fill(k, a - h, m)",
                ]
            )
            terms.append("s_time")
            continue
        # A cache hit costs one lookup; a miss computes the source's bit sets for the key.
        namespace[f"c_{source}"] = keyed_source.cache
        namespace[f"m_{source}"] = keyed_source.masks
        namespace.update(KEY_NAMES)
        lines.extend("    " + line for line in key_code[source])
        lines.append(f"    s_{source} = c_{source}.get(k) or m_{source}(k)")
        terms.append(f"s_{source}")
    everything = (1 << 2 * n) - 1
    body = " & ".join(terms) or str(everything)
    lines.append(f"    e = {body}")
    lines.append(f"    return e & {(1 << n) - 1} & ~(e >> {n} & {requiring})")
    # The generated text holds only the closed field names of atoms.py: no input reaches it.
    exec("\n".join(lines) + "\n", namespace)  # noqa: S102
    fired: Callable[[ContactRequest], int] = namespace["fired"]
    return fired
