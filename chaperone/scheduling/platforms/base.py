"""What every platform adapter shares: the meeting's rules in platform-neutral terms, taken
from the plan and the school's protocol, and the shape of what an adapter returns.

:func:`meeting_rules` reads the session and asks the protocol, through the engine, which of
the plan's meeting settings it insists on: it judges the stored request again with the
waiting room switched off and with recording switched on and off, and a setting whose change
would break a rule is locked. So the settings an adapter writes come from the protocol every
time, not from the host's memory. Pupils never reach a meeting before the host, whatever the
plan says: every adapter keeps them out until the host lets them in.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from django.conf import settings

from chaperone import rules

if TYPE_CHECKING:
    from chaperone.protocols.effective import EffectiveProtocol
    from chaperone.protocols.models import ProtocolDecision
    from chaperone.scheduling.models import Session


class PlatformError(RuntimeError):
    """A platform's API refused a request or could not be reached; the message says which."""


class PlatformNotConfigured(PlatformError):
    """The platform has no credentials here: the host uses the session's own link."""


@dataclass(frozen=True)
class MeetingRules:
    """The settings a meeting must have, whatever the platform."""

    title: str
    starts_at: datetime
    duration_minutes: int
    time_zone: str
    group: bool
    host_email: str
    host_name: str
    #: the second member of staff: presents with the host (never a pupil)
    co_hosts: tuple[tuple[str, str], ...]
    join_url: str
    #: the call is recorded from the start
    record: bool
    #: every attendee, adults included, waits to be let in (pupils always wait for the host)
    everyone_waits: bool
    #: what the protocol insists on, in words (empty: nothing beyond the plan)
    locked: Mapping[str, str] = field(default_factory=dict)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)


@dataclass(frozen=True)
class MeetingSpec:
    """What an adapter would send: the exact request, and the settings in words for staff."""

    platform: str
    name: str
    #: HTTP method and path relative to the platform's API root ("" for the manual link)
    method: str
    path: str
    payload: dict[str, Any]
    shown: tuple[tuple[str, str], ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class MeetingCreated:
    meeting_id: str
    join_url: str
    #: where the meeting lives in the platform's API, for changing or removing it later
    #: (relative to the API root, like :attr:`MeetingSpec.path`)
    resource: str = ""


class Adapter(Protocol):
    platform: str
    name: str

    def build(self, meeting: MeetingRules) -> MeetingSpec: ...

    def configured(self) -> bool: ...

    def create(self, spec: MeetingSpec) -> MeetingCreated: ...

    def update(self, resource: str, spec: MeetingSpec) -> None:
        """Bring the meeting at ``resource`` into line with ``spec`` (a moved or changed
        session); raises :class:`PlatformError`."""

    def remove(self, resource: str) -> bool:
        """Take the meeting at ``resource`` off the platform (a cancelled session): True when
        it is gone, False when the platform keeps it (see the adapter); raises
        :class:`PlatformError`."""


# --- the rules of a meeting, from the plan and the protocol ------------------------------------

#: (request field, value tried, what a broken rule then locks)
_PROBES: tuple[tuple[str, bool, str], ...] = (
    ("waiting_room", False, "waiting_room"),
    ("recording", False, "record_on"),
    ("recording", True, "record_off"),
)
_LOCK_TEXT = {
    "waiting_room": "The protocol requires a waiting room for this call.",
    "record_on": "The protocol requires this call to be recorded.",
    "record_off": "The protocol does not allow this call to be recorded.",
}


def _broken(
    effective: EffectiveProtocol, base: dict[str, Any], changes: dict[str, Any]
) -> list[str]:
    """The rules (by label) the request would break with ``changes`` that it keeps now."""

    def stops(data: dict[str, Any]) -> dict[str, str]:
        decision = effective.decide(rules.parse_request(data))
        return {f.code: (f.label or f.rule) for f in decision.findings if f.effect != "info"}

    before = stops(base)
    after = stops({**base, **changes})
    return [label for code, label in after.items() if code not in before]


def protocol_locks(
    effective: EffectiveProtocol | None, request: Mapping[str, Any] | None
) -> dict[str, str]:
    """Which meeting settings the protocol insists on for ``request`` (the engine's request
    the session was last judged on), each with the reason shown to staff."""
    if effective is None or not request:
        return {}
    base = dict(request)
    locks: dict[str, str] = {}
    for name, value, lock in _PROBES:
        if base.get(name) == value:
            continue
        broken = _broken(effective, base, {name: value})
        if broken:
            locks[lock] = f"{_LOCK_TEXT[lock]} ({'; '.join(broken)})"
    return locks


def meeting_rules(
    session: Session,
    decision: ProtocolDecision | None,
    effective: EffectiveProtocol | None = None,
) -> MeetingRules:
    """The meeting settings for ``session`` as planned and judged by ``decision``."""
    locks = protocol_locks(effective, decision.request if decision is not None else None)
    record = bool(session.recording)
    if "record_on" in locks:
        record = True
    if "record_off" in locks:
        record = False
    co_hosts: tuple[tuple[str, str], ...] = ()
    if session.second_staff_id is not None and session.second_staff is not None:
        second = session.second_staff
        co_hosts = ((second.notice_email, second.full_name),)
    return MeetingRules(
        title=session.title,
        starts_at=session.starts_at,
        duration_minutes=session.duration_minutes,
        time_zone=session.school.time_zone,
        group=session.kind == "group",
        host_email=session.host.notice_email,
        host_name=session.host.full_name,
        co_hosts=co_hosts,
        join_url=session.join_url,
        record=record,
        everyone_waits=bool(session.waiting_room) or "waiting_room" in locks,
        locked=locks,
    )


# --- helpers for the adapters -------------------------------------------------------------------


def utc_text(moment: datetime) -> str:
    """An instant as the APIs take it: ISO 8601 in UTC with a ``Z``."""
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")


def presenters_in_words(meeting: MeetingRules) -> str:
    if not meeting.co_hosts:
        return f"Only the host ({meeting.host_name}); pupils cannot present"
    names = ", ".join(name for _, name in meeting.co_hosts)
    return f"The host ({meeting.host_name}) and {names}; pupils cannot present"


def recording_in_words(meeting: MeetingRules) -> str:
    text = "Starts automatically when the meeting starts" if meeting.record else "Off"
    for lock in ("record_on", "record_off"):
        if lock in meeting.locked:
            text += f". {meeting.locked[lock]}"
    return text


def platform_settings(platform: str) -> dict[str, str]:
    """The platform's settings from ``CHAPERONE_PLATFORMS`` (read from the environment)."""
    configured: Mapping[str, Mapping[str, str]] = getattr(settings, "CHAPERONE_PLATFORMS", {})
    return dict(configured.get(platform, {}))


def has_all(values: Mapping[str, str], names: Sequence[str]) -> bool:
    return all((values.get(name) or "").strip() for name in names)


def http_json(
    method: str,
    url: str,
    *,
    body: Mapping[str, Any] | None = None,
    form: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    platform: str,
    timeout: float = 15.0,
) -> dict[str, Any]:
    """One HTTPS request with the standard library; a JSON object back, or a PlatformError
    naming the platform and what it said."""
    if urllib.parse.urlsplit(url).scheme not in ("https", "http"):
        raise PlatformError(f"{platform}: the API address {url!r} is not a web address.")
    data: bytes | None = None
    sent = {"Accept": "application/json", **(headers or {})}
    if body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=data, headers=sent, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw = response.read()
    except urllib.error.HTTPError as error:
        said = error.read()[:500].decode("utf-8", "replace")
        raise PlatformError(f"{platform} answered {error.code}: {said}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise PlatformError(f"{platform} could not be reached: {error}") from None
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        raise PlatformError(f"{platform} answered with something other than JSON.") from None
    if not isinstance(answer, dict):
        raise PlatformError(f"{platform} answered with something other than a JSON object.")
    return answer


def with_token(
    *,
    name: str,
    signed_in: Mapping[str, Any],
    method: str,
    url: str,
    body: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One API call with the access token of ``signed_in`` (the sign-in's answer)."""
    token = signed_in.get("access_token")
    if not token:
        raise PlatformError(f"{name}: the sign-in gave no access token.")
    return http_json(
        method, url, body=body, headers={"Authorization": f"Bearer {token}"}, platform=name
    )


def create_with_token(
    *,
    name: str,
    signed_in: Mapping[str, Any],
    api_url: str,
    spec: MeetingSpec,
    id_key: str,
    url_key: str,
    missing: str,
    resource: Callable[[str], str],
) -> MeetingCreated:
    """The create call every API adapter makes once it has signed in: ``spec`` sent with the
    access token of ``signed_in``, and the meeting's id and join link read back from ``id_key``
    and ``url_key`` (``missing`` says what lacked, in the error); ``resource`` gives the
    meeting's own address from its id."""
    answer = with_token(
        name=name,
        signed_in=signed_in,
        method=spec.method,
        url=api_url + spec.path,
        body=spec.payload,
    )
    if not answer.get(id_key) or not answer.get(url_key):
        raise PlatformError(f"{name} answered without {missing}.")
    meeting_id = str(answer[id_key])
    return MeetingCreated(
        meeting_id=meeting_id, join_url=str(answer[url_key]), resource=resource(meeting_id)
    )
