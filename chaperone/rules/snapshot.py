"""The shipped templates, ready to decide without TOML or pydantic: ``templates/compiled.json``.

``chaperone check --protocol <template id>`` would otherwise spend most of a short run importing
pydantic and validating the template (about 0.4 s of CPU, against a few microseconds a request).
This file keeps each shipped template's :meth:`~.protocol.Protocol.spec` (what deciding reads,
placeholders filled), and :func:`compiled_template` builds the
:class:`~.compiled.CompiledProtocol` from it, as :class:`~.protocol.Protocol` does after
validating.

The snapshot is used only while it is current: it records a fingerprint of every input of the
specs (each template and rule set file, and the modules that read them into specs), checked on
use; a stale or missing snapshot is ignored and the template is loaded as before, so it can make
a run slower but never different. ``tests/rules/test_snapshot.py`` fails while it is stale;
``python -m chaperone.rules.snapshot`` (``make protocol-snapshot``) writes it again.
"""

from __future__ import annotations

import hashlib
import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

from .compiled import CompiledProtocol

_HERE = Path(__file__).parent
SNAPSHOT = _HERE / "templates" / "compiled.json"
#: The modules that turn template files into specs (a change there can change a spec).
_SOURCES = ("conditions.py", "errors.py", "loading.py", "protocol.py", "snapshot.py", "vocab.py")


def fingerprint() -> str | None:
    """SHA-256 over every input of the templates' specs; None if one cannot be read."""
    digest = hashlib.sha256()
    try:
        for folder in ("templates", "fragments"):
            for path in sorted((_HERE / folder).glob("*.toml")):
                digest.update(f"{folder}/{path.name}\0".encode())
                digest.update(path.read_bytes() + b"\0")
        for name in _SOURCES:
            digest.update(name.encode() + b"\0" + (_HERE / name).read_bytes() + b"\0")
    except OSError:
        return None
    return digest.hexdigest()


@cache
def _current() -> dict[str, Any]:
    """The snapshot's specs by template id, or nothing if it is missing or stale."""
    try:
        data = json.loads(SNAPSHOT.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("fingerprint") != fingerprint():
        return {}
    templates: dict[str, Any] = data.get("templates") or {}
    return templates


@cache
def compiled_template(template_id: str) -> CompiledProtocol | None:
    """The compiled form of shipped template ``template_id`` from a current snapshot, or None
    (not a shipped template, or no current snapshot: load it with :mod:`.loading`)."""
    spec = _current().get(template_id)
    return CompiledProtocol(spec) if spec is not None else None


def build() -> dict[str, Any]:
    """The snapshot of the templates as they are now."""
    from .loading import load_template, template_ids

    return {
        "fingerprint": fingerprint(),
        "templates": {tid: load_template(tid).spec() for tid in template_ids()},
    }


def main() -> int:
    SNAPSHOT.write_text(json.dumps(build(), indent=1, ensure_ascii=False) + "\n", "utf-8")
    sys.stdout.write(f"wrote {SNAPSHOT}\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
