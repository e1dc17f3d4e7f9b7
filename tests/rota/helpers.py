"""What the rota tests share: the contract's example, a small request builder, the real command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
REPO = HERE.parents[1]
#: copies of shared/contracts/rota-examples/small.*.json
SMALL_INPUT = HERE / "contract" / "small.input.json"
SMALL_PLAN = HERE / "contract" / "small.plan.json"
WEEK = ["2027-01-04", "2027-01-05", "2027-01-06", "2027-01-07", "2027-01-08"]
FORTNIGHT = [*WEEK, "2027-01-11", "2027-01-12", "2027-01-13", "2027-01-14", "2027-01-15"]


def small_input() -> dict[str, Any]:
    return json.loads(SMALL_INPUT.read_text())


def cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """The real ``chaperone`` entry point in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "chaperone.cli", *args],
        input=stdin,
        capture_output=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def staff(sid: str, *, schools=("100001",), qualified=True, calls=5, days=None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": sid,
        "schools": list(schools),
        "qualified": qualified,
        "calls_per_day": calls,
    }
    if days is not None:
        out["days"] = list(days)
    return out


def household(hid: str, *tiers: str, school="100001", key=None, avoid=None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": hid,
        "pupils": [
            {"id": f"{hid}-p{i}", "school": school, "tier": tier} for i, tier in enumerate(tiers)
        ],
        "key_adult": key,
    }
    if avoid:
        out["avoid_days"] = list(avoid)
    return out
