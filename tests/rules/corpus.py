"""Seeded request corpora: random valid requests and every kind of malformed line.

Shared by the benchmark (``benchmarks/protocols.py``) and the equivalence tests: the fast request
path must answer exactly as pydantic does on all of them, valid or not.
"""

from __future__ import annotations

import json
import random
from typing import Any

from chaperone.rules.vocab import KINDS, PLATFORMS, PURPOSES, ROLES


def random_request(rng: random.Random) -> dict[str, Any]:
    """A valid request with every field drawn at random (times spread over a year, GMT and BST)."""
    kind = rng.choice(KINDS)
    home_alone = rng.random() < 0.1
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    hour, minute = rng.randint(7, 20), rng.randrange(0, 60, 5)
    return {
        "at": f"2026-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:00+00:00",
        "duration_minutes": rng.choice([15, 20, 30, 45, 60]),
        "kind": kind,
        "purpose": rng.choice(PURPOSES),
        "platform": rng.choice(PLATFORMS),
        "account": rng.choice(["school"] * 9 + ["personal"]),
        "device": rng.choice(["school"] * 9 + ["personal"]),
        "staff_location": rng.choice(["on_site", "off_site"]),
        "emergency": rng.random() < 0.1,
        "staff": [{"role": rng.choice(ROLES)} for _ in range(rng.choice([1, 1, 1, 2]))],
        "pupils": [
            {
                "age": rng.randint(5, 18),
                "vulnerable": rng.random() < 0.2,
                "has_ehcp": rng.random() < 0.1,
            }
            for _ in range(1 if kind != "group" else rng.randint(2, 30))
        ],
        "parent_present": (not home_alone) and rng.random() < 0.5,
        "chaperone_present": rng.random() < 0.5,
        "pupil_home_alone": home_alone,
        "second_staff_invited": rng.random() < 0.5,
        "second_staff_role": rng.choice([None, *ROLES]),
        "dsl_invited": rng.random() < 0.7,
        "recording": rng.random() < 0.5,
        "parental_consent": rng.choice(["none", "implied", "written"]),
        "slt_approved": rng.random() < 0.7,
        "risk_assessed": rng.random() < 0.7,
        "on_dsl_timetable": rng.random() < 0.7,
        "linked_to_plan": rng.random() < 0.7,
        "waiting_room": rng.random() < 0.8,
        "pupil_location": rng.choice(["common_room"] * 6 + ["bedroom_door_open", "bedroom"]),
        "parents_informed": rng.random() < 0.8,
    }


#: Values of every JSON type, dropped into fields to make them wrong (or, by luck, right).
ODD_VALUES: tuple[Any, ...] = (
    None, True, False, 0, 1, -1, 2, 25, 26, 30, 480, 481, 10**20, 1.0, 2.5, "", "x", "teams",
    "phone", "school", "teacher", "none", "written", [], [1], {}, {"role": "dsl"},
    "2026-11-23T10:00:00+00:00",
)  # fmt: skip

#: Start times in the formats pydantic accepts and refuses, and at the edges of the calendar.
ODD_TIMES: tuple[Any, ...] = (
    "2026-11-23T10:00:00Z", "2026-11-23T10:00:00z", "2026-11-23T10:00:00.5+00:00",
    "2026-11-23T10:00:00.123456+01:00", "2026-11-23T10:00+00:00", "2026-11-23 10:00:00+00:00",
    "2026-11-23T10:00:00", "2026-11-23", "2026-11-23T10:00:00+05:30", "2026-11-23T10:00:00-00:00",
    "2026-11-23T10:00:00+24:00", "2026-11-23T10:00:00+23:59", "2026-11-23T10:00:00+18:00",
    "2026-11-23T10:00:00+1:00", "2026-11-23T10:00:00+0100", "2028-02-29T10:00:00+00:00",
    "2026-02-29T10:00:00+00:00", "2026-02-30T10:00:00+00:00", "2026-04-31T10:00:00+00:00",
    "2026-13-01T10:00:00+00:00", "2026-00-10T10:00:00+00:00", "2026-11-00T10:00:00+00:00",
    "2026-11-23T24:00:00+00:00", "2026-11-23T23:60:00+00:00", "2026-11-23T23:59:60+00:00",
    "1969-12-31T23:30:00+00:00", "1970-01-01T00:00:00+00:00", "2100-03-01T10:00:00+00:00",
    "9999-12-31T23:50:00+00:00", "0001-01-01T00:30:00+01:00", "2026-03-29T00:45:00+00:00",
    "2026-10-25T00:45:00+00:00", "2026-10-25T01:30:00+01:00", "+2026-11-23T10:00:00+00:00",
    "2026-11-23T10:00:00+00:00 ", " 2026-11-23T10:00:00+00:00", "20261123T100000Z",
    "2026-W48-1T10:00:00+00:00", "2026-11-23t10:00:00+00:00", "\u0032026-11-23T10:00:00+00:00",
    "２０２６-11-23T10:00:00+00:00", 1795000000, 1795000000.5, "1795000000",
)  # fmt: skip

_FIELDS = tuple(random_request(random.Random(0)))


def mutate(rng: random.Random, request: dict[str, Any]) -> dict[str, Any]:
    """``request`` with one thing changed, usually making it invalid."""
    r = json.loads(json.dumps(request))
    choice = rng.randrange(12)
    if choice == 0:
        del r[rng.choice(_FIELDS)]
    elif choice == 1:
        r[rng.choice(["colour", "At", "pupil", "kind "])] = rng.choice(ODD_VALUES)
    elif choice in (2, 3):
        r[rng.choice(_FIELDS)] = rng.choice(ODD_VALUES)
    elif choice in (4, 5):
        r["at"] = rng.choice(ODD_TIMES)
    elif choice == 6:
        pupil = r["pupils"][rng.randrange(len(r["pupils"]))]
        key = rng.choice(["age", "vulnerable", "has_ehcp", "shoe"])
        if rng.random() < 0.3:
            pupil.pop(key, None)
        else:
            pupil[key] = rng.choice(ODD_VALUES)
    elif choice == 7:
        r["staff"] = rng.choice(
            [[], [{}], [{"role": "janitor"}], [{"role": "dsl", "x": 1}], ["dsl"], {"role": "dsl"}]
        )
    elif choice == 8:
        r["pupils"] = rng.choice([[], [{}], [7], {"age": 7}, [{"age": 7}] * 3, None])
    elif choice == 9:
        r["kind"] = "one_to_one"
        r["pupils"] = r["pupils"] * 2
    elif choice == 10:
        r["pupil_home_alone"] = True
        r["parent_present"] = rng.random() < 0.7
    else:
        r["duration_minutes"] = rng.choice([0, 1, 480, 481, -5, True, 30.0, "30", None, 10**6])
    return r


def raw_lines(rng: random.Random, request: dict[str, Any]) -> list[bytes]:
    """``request`` written out in the ways a JSON Lines file may hold it, valid and not."""
    text = json.dumps(request)
    choice = rng.randrange(14)
    if choice < 6:
        return [text.encode()]
    if choice == 6:
        return [json.dumps(request, separators=(",", ":")).encode()]
    if choice == 7:
        keys = list(request)
        rng.shuffle(keys)
        return [(" " + json.dumps({k: request[k] for k in keys}) + "\t ").encode()]
    if choice == 8:
        return [text.replace('"kind"', '"kind": "group", "kind"', 1).encode()]  # duplicate key
    if choice == 9:
        return [json.dumps(request, ensure_ascii=False).replace("teams", "te\\u0061ms").encode()]
    if choice == 10:
        return [rng.choice([b"", b" ", b"{", b"[]", b"null", b'"x"', b"7", b"{}", b"{,}"])]
    if choice == 11:
        return [text.encode() + rng.choice([b"x", b"{}", b",", b"]"])]
    if choice == 12:
        return [text.replace('"purpose"', '"p\xffurpose"').encode("latin-1", "replace")]
    return [(text[: len(text) // 2]).encode()]


def corpus(seed: int, n: int) -> list[bytes]:
    """``n`` or more JSON Lines records: about half valid requests, half malformed or odd."""
    rng = random.Random(seed)
    out: list[bytes] = []
    while len(out) < n:
        request = random_request(rng)
        if rng.random() < 0.5:
            request = mutate(rng, request)
        out.extend(raw_lines(rng, request))
    return out
