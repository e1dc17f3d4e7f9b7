"""A plain interpreter of protocols: the oracle the compiled engine is checked against.

It reads each rule's conditions afresh for every request, straight from the meaning documented
on :class:`~chaperone.rules.conditions.Conditions`, with ``datetime`` arithmetic for times. It
shares no code with the engine's compiler (``atoms.py``, ``compiled.py``): no tables, bits or
caches. The benchmark times it as the baseline of ``protocols.decision_p99_us``.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chaperone.rules import ContactRequest, Protocol
from chaperone.rules.vocab import CONSENT_RANK, EFFECT_RANK, OUTCOME_FOR_EFFECT, WEEKDAYS


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz)


def _within(r: ContactRequest, protocol: Protocol, name: str) -> bool:
    window = protocol.windows[name]
    tz = ZoneInfo(protocol.time_zone)
    start = _local(r.at.replace(microsecond=0), tz)
    end = _local(r.at.replace(microsecond=0) + timedelta(minutes=r.duration_minutes), tz)
    opens = time.fromisoformat(window.start)
    closes = time.fromisoformat(window.end)
    return (
        start.date() == end.date()
        and WEEKDAYS[start.weekday()] in window.days
        and opens <= start.time().replace(tzinfo=None)
        and end.time().replace(tzinfo=None) <= closes
    )


def holds(name: str, value: Any, r: ContactRequest, protocol: Protocol) -> bool:
    """Whether condition ``name = value`` holds for request ``r`` under ``protocol``."""
    roles = [s.role for s in r.staff]
    if name in {"kind", "purpose", "platform", "account", "device", "staff_location"} | {
        "pupil_location",
        "parental_consent",
    }:
        return getattr(r, name) in value
    if name == "second_adult":
        return (r.parent_present or r.second_staff_invited or len(r.staff) > 1) == value
    if name == "home_adult":
        return (r.parent_present or r.chaperone_present) == value
    if name == "platform_approved":
        return (r.platform in protocol.platforms) == value
    if name == "staff_role":
        return any(role in value for role in roles)
    if name == "second_staff_role":
        invited = r.second_staff_invited and r.second_staff_role in value
        return invited or (len(roles) >= 2 and any(role in value for role in roles))
    if name == "consent_at_least":
        return CONSENT_RANK[r.parental_consent] >= CONSENT_RANK[value]
    if name == "within_window":
        return any(_within(r, protocol, w) for w in value)
    if name == "weekday":
        local = _local(r.at, ZoneInfo(protocol.time_zone))
        return WEEKDAYS[local.weekday()] in value
    if name == "youngest_under":
        return min(p.age for p in r.pupils) < value
    if name == "pupils_at_least":
        return len(r.pupils) >= value
    if name == "any_pupil_vulnerable":
        return any(p.vulnerable for p in r.pupils) == value
    if name == "any_pupil_has_ehcp":
        return any(p.has_ehcp for p in r.pupils) == value
    return bool(getattr(r, name)) == value  # a flag of the request


def fired_rules(protocol: Protocol, r: ContactRequest) -> list[str]:
    """Ids of the rules that fire, in file order."""
    fired = []
    for rule in protocol.rules:
        when, unless, require = (t.given() for t in (rule.when, rule.unless, rule.require))
        if not all(holds(k, v, r, protocol) for k, v in when.items()):
            continue
        if any(holds(k, v, r, protocol) for k, v in unless.items()):
            continue
        if require and all(holds(k, v, r, protocol) for k, v in require.items()):
            continue
        fired.append(rule.id)
    return fired


def decision(protocol: Protocol, r: ContactRequest) -> dict[str, Any]:
    """The whole decision, as ``Decision.to_dict`` gives it: findings by severity, then file
    order, one finding per code (the first of them)."""
    fired = set(fired_rules(protocol, r))
    rules = [rule for rule in protocol.rules if rule.id in fired]
    rules.sort(key=lambda rule: -EFFECT_RANK[rule.effect])
    findings: list[dict[str, Any]] = []
    seen: set[str] = set()
    for rule in rules:
        if rule.code in seen:
            continue
        seen.add(rule.code)
        fill = protocol.render
        finding = {
            "code": rule.code,
            "effect": rule.effect,
            "rule": fill(rule.text),
            "remedy": fill(rule.remedy) if rule.remedy is not None else None,
            "rule_id": rule.id,
        }
        finding |= {k: fill(v) for k in ("label", "why") if (v := getattr(rule, k)) is not None}
        findings.append(finding)
    worst = findings[0]["effect"] if findings else "info"
    return {
        "outcome": OUTCOME_FOR_EFFECT[worst],
        "protocol": {"id": protocol.id, "version": protocol.version},
        "findings": findings,
    }
