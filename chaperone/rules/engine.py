"""``decide``: the pure function at the heart of the engine."""

from __future__ import annotations

from .decision import Decision
from .protocol import Protocol
from .request import ContactRequest


def decide(protocol: Protocol, request: ContactRequest) -> Decision:
    """Judge ``request`` under ``protocol``.

    Deterministic and side-effect free: the outcome is the most severe effect among the findings
    (refuse > pending > info), findings are ordered refuse, pending, info and then by their order in
    the protocol file, and every refuse/pending finding carries a remedy.
    """
    return protocol.compiled.decide(request)
