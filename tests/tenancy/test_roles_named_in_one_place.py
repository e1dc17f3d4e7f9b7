"""The policy is the one place that says which role does what: elsewhere, code asks it
(``Actor.can``, ``roles_with``, the people selectors ``staff_to_tell``/``holders_at_school``)
instead of naming a role. Walks the source and fails on a ``Role.<NAME>`` outside the places
whose job is to name roles."""

from __future__ import annotations

import ast
from pathlib import Path

import chaperone

ROOT = Path(chaperone.__file__).parent

#: Files whose job is to name roles: the policy and the role list, the one seam that turns
#: people's roles into the rule engine's, the import's aliases for role names in a spreadsheet,
#: the demo's cast and a form's example value.
ALLOWED = {
    "tenancy/policies.py",
    "tenancy/roles.py",
    "protocols/requests.py",
    "protocols/forms.py",
    "people/importers/values.py",
}
ALLOWED_DIRS = ("site/demo/", "tenancy/", "migrations/")


def _named_roles(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        f"{path.relative_to(ROOT)}:{node.lineno} Role.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "Role"
        and node.attr.isupper()
    ]


def test_only_the_policy_and_its_seams_name_roles() -> None:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in ALLOWED or any(part in rel for part in ALLOWED_DIRS):
            continue
        found += _named_roles(path)
    assert found == [], "ask the policy instead of naming a role:\n" + "\n".join(found)
