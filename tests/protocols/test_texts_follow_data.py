"""Documents follow the data: no shipped or demo protocol writes a number of days, a window's
hours or the platform names into its texts where a placeholder would keep them in step; and a
school that lengthens retention reads the new figure in every document, never the old one."""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from typing import Any

import pytest
from django.urls import reverse

from chaperone import rules
from chaperone.protocols.demo import (
    DEMO_INDEPENDENT_PROTOCOL,
    DEMO_TRUST_PROTOCOL,
    demo_protocol_source,
    load_demo_protocols,
    primary_overlay_source,
    template_source,
)
from chaperone.protocols.uploads import protocol_version_upload
from chaperone.rules.document import PLATFORM_NAMES
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import SYSTEM
from chaperone.tenancy.roles import Role
from tests.protocols.factories import bump
from tests.protocols.test_documents import pdf_text

_TEXT_FIELDS = ("text", "label", "remedy", "parent", "why")
_DAYS = re.compile(r"\b\d+\s+days?\b", re.IGNORECASE)
_TIME = re.compile(r"\b\d{1,2}[:.]\d{2}\b")
#: the video platforms by name ("telephone" is an ordinary word, so it is not flagged)
_PLATFORM_NAMES = tuple(
    name for key, name in PLATFORM_NAMES.items() if key not in ("phone", "other")
)
#: a name in quotes (a folder, a document) is that thing's name, not the protocol's platforms
_QUOTED = re.compile(r"(?<![A-Za-z])'[^']+'(?![A-Za-z])")


def _fragment_source(fragment_id: str) -> str:
    return (
        resources.files("chaperone.rules.fragments")
        .joinpath(f"{fragment_id}.toml")
        .read_text("utf-8")
    )


def _sources() -> list[tuple[str, str]]:
    out = [(f"template {t}", template_source(t)) for t in rules.template_ids()]
    out += [(f"fragment {f}", _fragment_source(f)) for f in rules.fragment_ids()]
    out += [
        (f"demo {p}", demo_protocol_source(p))
        for p in (DEMO_TRUST_PROTOCOL, DEMO_INDEPENDENT_PROTOCOL)
    ]
    out.append(("demo school additions", primary_overlay_source(School(name="Ashby Primary"))))
    return out


SOURCES = _sources()


def _texts(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Every text of a protocol, overlay or fragment that a reader sees, naming where it is."""
    out = [("summary", data["summary"])] if data.get("summary") else []
    for rule in data.get("rules", []):
        out += [(f"rule {rule['id']!r}: {f}", rule[f]) for f in _TEXT_FIELDS if rule.get(f)]
    for rule_id, spec in data.get("raise_effect", {}).items():
        if isinstance(spec, dict) and spec.get("remedy"):
            out.append((f"raise_effect {rule_id!r}: remedy", spec["remedy"]))
    return out


def literal_data(text: str) -> list[str]:
    """What in ``text`` should have been a placeholder."""
    found = _DAYS.findall(text) + _TIME.findall(text)
    unquoted = _QUOTED.sub("", text)
    return found + [name for name in _PLATFORM_NAMES if name in unquoted]


def test_literal_data_finds_what_a_placeholder_should_hold() -> None:
    assert literal_data("Recordings are kept for 20 days.") == ["20 days"]
    assert literal_data("Calls between 08:30 and 17:30.") == ["08:30", "17:30"]
    assert literal_data("Use Microsoft Teams or Zoom.") == ["Microsoft Teams", "Zoom"]
    assert literal_data("The pupil's recording goes in the 'Zoom Sessions' folder.") == []
    assert literal_data("Kept for {retention_days} days on {platforms}, by telephone.") == []


@pytest.mark.parametrize(("where", "source"), SOURCES, ids=[w for w, _ in SOURCES])
def test_texts_take_their_numbers_and_lists_from_placeholders(where: str, source: str) -> None:
    found = [
        f"{place}: {hit}"
        for place, text in _texts(tomllib.loads(source))
        for hit in literal_data(text)
    ]
    assert not found, f"{where}: write these as placeholders: {found}"


@pytest.mark.django_db
def test_lengthened_retention_reads_the_same_everywhere(tenant_a, tenant_b, login_as) -> None:  # type: ignore[no-untyped-def]
    load_demo_protocols(
        trust=tenant_a.trust, primary_school=tenant_a.school, independent_trust=tenant_b.trust
    )
    school = tenant_a.school
    additions = bump(primary_overlay_source(school, extends=DEMO_TRUST_PROTOCOL), "2026.2")
    additions = additions.replace("deny_platforms =", "retention_days = 30\ndeny_platforms =", 1)
    version = protocol_version_upload(actor=SYSTEM, school=school, source_text=additions)
    assert version.version_label == "2026.2"
    client = login_as(school, Role.TEACHER)
    pages = {
        "staff page": client.get(reverse("protocols:current")).content.decode(),
        "parent page": client.get(reverse("protocols:parent")).content.decode(),
    }
    for audience in ("staff", "parent"):
        pdf = client.get(reverse("protocols:school_pdf", args=[school.pk, audience])).content
        pages[f"{audience} PDF"] = pdf_text(pdf)
    for name, text in pages.items():
        assert "30 days" in text, name
        assert "20 days" not in text, name
