"""Extension points: an app adds itself to the site by declaring, never by editing ``site``.

Each installed app may have any of these modules, found the way the audit registry finds
``audit_actions.py``:

* ``<app>/nav.py`` with ``NAV``: :class:`NavItem` entries of the main navigation;
* ``<app>/dashboard.py`` with ``CARDS``: :class:`DashboardCard` entries of the dashboard;
* ``<app>/demo.py`` with ``DEMO``: a :class:`DemoData`, how the app fills and empties the demo
  tenants (``chaperone demo``);
* ``<app>/jobs.py`` with ``DAILY``: :class:`DailyJob` entries the scheduler runs once a day
  (``chaperone scheduler``), and with ``EVERY_TICK``: :class:`TickJob` entries it runs at every
  check (every minute);
* ``<app>/header.py`` with ``ACTIONS``: :class:`NavItem` entries shown as buttons in the header
  of every page (e.g. "Raise a concern");
* ``<app>/pupil_panels.py`` with ``PANELS``: :class:`PupilPanel` entries included on a
  pupil's page (an app above ``people`` shows its part of the pupil there);
* ``<app>/retention.py`` with ``RETAINED``: :class:`RetainedRecords` entries, kinds of record the
  records app's schedule keeps for a set time and its daily job then deletes.

``site`` reads them with :func:`declared` and shows them in ``order`` (ties in
``INSTALLED_APPS`` order). See ``docs/development/adding-an-app.md``.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

from django.apps import AppConfig, apps
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from chaperone.core.http import ChaperoneRequest
    from chaperone.tenancy.models import School, Trust

    #: the demo tenants: each trust with its schools
    DemoTenants = Sequence[tuple[Trust, Sequence[School]]]

T = TypeVar("T")


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    #: shown only to those who may do this in the active school; None: to everyone signed in
    action: str | None
    order: int
    #: view names on which the entry is marked current; "name:" marks a whole URL namespace
    current: tuple[str, ...] = ()

    def is_current(self, view_name: str) -> bool:
        return any(
            view_name.startswith(c) if c.endswith(":") else view_name == c for c in self.current
        )


@dataclass(frozen=True)
class DashboardCard:
    """A part of the dashboard: ``template`` is included with ``card`` set to what ``context``
    returns for the request and the active school (None leaves the card out)."""

    template: str
    context: Callable[[ChaperoneRequest, School | None], Mapping[str, Any] | None]
    order: int


@dataclass(frozen=True)
class PupilPanel:
    """A part of a pupil's page: ``template`` is included with ``panel`` set to what
    ``context`` returns for the request and the pupil (None leaves the panel out)."""

    template: str
    context: Callable[[ChaperoneRequest, Any], Mapping[str, Any] | None]
    order: int


@dataclass(frozen=True)
class DemoData:
    """How an app fills the demo tenants after the people are in (``load``), and removes its
    rows before the people and schools go (``delete``; apps are emptied in reverse order)."""

    load: Callable[[DemoTenants], None]
    delete: Callable[[DemoTenants], None]


@dataclass(frozen=True)
class DailyJob:
    """A job ``chaperone scheduler`` runs once a day: ``run(day)`` enqueues the day's tasks
    (ids only; the task worker does the work). ``name`` is recorded per day, so a restarted
    scheduler does not run it twice; a ``run`` that raises is tried again on the next tick."""

    name: str
    run: Callable[[dt.date], object]


@dataclass(frozen=True)
class TickJob:
    """A job ``chaperone scheduler`` runs at every check (about once a minute): ``run(now)``
    finds what has fallen due and enqueues idempotent tasks for it (ids only), so running it
    twice, or on two schedulers at once, does nothing twice."""

    name: str
    run: Callable[[dt.datetime], object]


@dataclass(frozen=True)
class RetainedRecords:
    """A kind of record kept for a set time, then deleted by the records app's daily job
    (``chaperone.records``): ``due(school_id, cutoff)`` returns the school's rows old enough to go
    (ended, written or closed before ``cutoff``), as a queryset of the model. The job deletes them
    in batches, never one under a legal hold (held by ``key`` and the row's id), and writes a
    deletion certificate naming ``key``, the rule and a checksum of ``checksum_fields``.

    ``default_days`` is the school schedule's default and ``source`` says where it comes from;
    ``from_protocol`` lets the school's protocol (``retention_days``) set it instead."""

    key: str
    label: str
    default_days: int
    source: str
    due: Callable[[int, dt.datetime], Any]
    checksum_fields: tuple[str, ...] = ("id",)
    from_protocol: bool = False
    order: int = 100
    #: what to leave behind for each deleted row, so what it belonged to does not look as if it
    #: never had one: ``tombstone(values, certificate_id, schedule, removed_at)`` is called in the
    #: batch's transaction with each deleted row's ``tombstone_field`` value (e.g. the session
    #: of a log), the id of the certificate's audit event and the period in words
    tombstone: Callable[[list[Any], int, str, dt.datetime], None] | None = None
    tombstone_field: str = ""


def declared(module: str, attribute: str, kind: type[T]) -> list[T]:
    """Every ``<app>.<module>.<attribute>`` entry of the installed apps, in app order. A module
    of that name without the attribute is not an extension (``site.demo`` runs the demo)."""
    entries = _declared(module, attribute)
    for entry in entries:
        if not isinstance(entry, kind):
            raise ImproperlyConfigured(f"{module}.{attribute} must hold {kind.__name__} entries.")
    return [entry for entry in entries if isinstance(entry, kind)]


def app_module(app_config: AppConfig, module: str) -> ModuleType | None:
    """``<app>.<module>`` if the app has one (an import error inside it is raised, not hidden)."""
    name = f"{app_config.name}.{module}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise


@cache
def _declared(module: str, attribute: str) -> tuple[object, ...]:
    found: list[object] = []
    for app_config in apps.get_app_configs():
        value = getattr(app_module(app_config, module), attribute, None)
        if value is not None:
            found.extend(value if isinstance(value, list | tuple) else [value])
    return tuple(found)
