"""Request builders shared by the rule-engine tests (pure: no Django, no database)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from chaperone.rules import Decision, decide, load_template, parse_request

REPO = Path(__file__).resolve().parents[2]
#: A copy of ``shared/contracts/examples.jsonl`` so the tests run without the shared folder.
EXAMPLES = Path(__file__).with_name("contract_examples.jsonl")


def shared_examples(repo: Path = REPO) -> Path | None:
    """``shared/contracts/examples.jsonl`` beside the repository (a CI clone) or one level up (a
    git worktree under ``wt/``), whichever exists first; None when neither does."""
    for root in (repo.parent, repo.parent.parent):
        path = root / "shared" / "contracts" / "examples.jsonl"
        if path.is_file():
            return path
    return None


BASE: dict[str, dict[str, Any]] = {
    # An allowed group lesson.
    "werrington-primary": {
        "at": "2026-11-24T10:00:00+00:00",
        "kind": "group",
        "purpose": "teaching",
        "platform": "teams",
        "staff": [{"role": "teacher"}],
        "pupils": [{"age": 7}, {"age": 7}],
        "waiting_room": True,
        "parent_present": True,
    },
    # Allowed academic tuition in hours.
    "habs-monmouth": {
        "at": "2026-11-24T14:00:00+00:00",
        "kind": "one_to_one",
        "purpose": "academic_tuition",
        "platform": "teams",
        "staff": [{"role": "teacher"}],
        "pupils": [{"age": 15}],
        "parents_informed": True,
    },
    # An allowed SEN one-to-one with every safeguard.
    "npat-one-to-one": {
        "at": "2026-11-24T10:00:00+00:00",
        "kind": "one_to_one",
        "purpose": "sen_support",
        "platform": "teams",
        "staff": [{"role": "sen_staff"}],
        "pupils": [{"age": 10, "vulnerable": True, "has_ehcp": True}],
        "recording": True,
        "dsl_invited": True,
        "on_dsl_timetable": True,
        "risk_assessed": True,
        "slt_approved": True,
        "linked_to_plan": True,
    },
    # An allowed group lesson for secondary pupils.
    "chaperone-recommended": {
        "at": "2026-11-24T10:00:00+00:00",
        "kind": "group",
        "purpose": "teaching",
        "platform": "teams",
        "staff": [{"role": "teacher"}],
        "pupils": [{"age": 13}, {"age": 14}],
        "waiting_room": True,
        "parents_informed": True,
    },
}

# A tutor's pastoral one-to-one at lunchtime, a head of year invited, an adult at the pupil's home.
_PASTORAL_ONE_TO_ONE: dict[str, Any] = {
    "at": "2026-11-24T12:40:00+00:00",
    "kind": "one_to_one",
    "purpose": "pastoral",
    "staff": [{"role": "tutor"}],
    "pupils": [{"age": 14}],
    "second_staff_invited": True,
    "second_staff_role": "head_of_year",
    "chaperone_present": True,
}

# Habs: allowed as it stands.
HABS_PASTORAL: dict[str, Any] = {
    **BASE["habs-monmouth"],
    **_PASTORAL_ONE_TO_ONE,
    "duration_minutes": 30,
}

# Recommended: allowed once every one-to-one safeguard is in place too.
RECOMMENDED_ONE_TO_ONE: dict[str, Any] = {
    **BASE["chaperone-recommended"],
    **_PASTORAL_ONE_TO_ONE,
    "recording": True,
    "dsl_invited": True,
    "on_dsl_timetable": True,
    "risk_assessed": True,
    "slt_approved": True,
    "linked_to_plan": True,
}


def run(protocol: str, request: dict[str, Any], **changes: Any) -> Decision:
    return decide(load_template(protocol), parse_request({**request, **changes}))


def codes(decision: Decision, effect: str | None = None) -> set[str]:
    return {f.code for f in decision.findings if effect is None or f.effect == effect}


def blocking(decision: Decision) -> set[str]:
    """Codes of refuse and pending findings."""
    return {f.code for f in decision.findings if f.effect != "info"}


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The real ``chaperone`` entry point in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "chaperone.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )


def examples() -> list[dict[str, Any]]:
    return [json.loads(line) for line in EXAMPLES.read_text().splitlines() if line.strip()]


def meets(expect: dict[str, Any], outcome: str, found: set[str]) -> bool:
    outcomes = expect["outcome"] if isinstance(expect["outcome"], list) else [expect["outcome"]]
    return (
        outcome in outcomes
        and all(c in found for c in expect.get("codes", []))
        and (not expect.get("any_codes") or any(c in found for c in expect["any_codes"]))
        and not any(c in found for c in expect.get("absent", []))
    )
