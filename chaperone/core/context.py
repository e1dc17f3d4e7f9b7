"""Per-request context (who, from where) available to services without passing the request."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip_address: str | None = None
    user_agent: str = ""
    user_id: int | None = None
    via: str = "web"  # "web", "cli", "task"


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "chaperone_request_context",
    default=RequestContext(via="cli"),  # noqa: B039 - a frozen dataclass cannot be mutated
)


def current_context() -> RequestContext:
    return _current.get()


@contextmanager
def use_context(ctx: RequestContext) -> Iterator[RequestContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
