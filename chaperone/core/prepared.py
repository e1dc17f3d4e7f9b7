"""Prepared reads: a queryset whose SQL Django builds once per thread, then runs with new values.

Building the SQL of a queryset (filters, joins, the select list, the ordering) costs the ORM ten
to twenty times what SQLite or PostgreSQL then take to answer it: on the dashboard, most of a
request's CPU went on compiling the same nine queries again. A :class:`PreparedRead` wraps a
function that builds a queryset from plain keyword values (ints, strings, dates, datetimes,
booleans, or tuples of them). On a thread's first call for a *shape* of values (a tuple's
length), it builds the queryset twice with two sets of stand-in values, checks that the SQL text is
the same and that the stand-ins alone account for every parameter that differs, and keeps the
compiled query. Later calls put the real values into those parameter slots and run the kept SQL
through Django's own iterables (model instances, ``values()``, ``values_list()``, select_related
and converters as usual). The SQL is exactly the ORM's, on every database.

What may not be prepared: anything the built query depends on besides its keyword values. The
builder must be a module-level function without a closure (an actor or a school captured from
the first call would be baked into every later one); tenant scoping therefore goes through the
keyword values (school ids, trust id), which the checks above follow into the SQL.
"""

from __future__ import annotations

import copy
import re
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from django.core.exceptions import EmptyResultSet, FieldError, ImproperlyConfigured
from django.db.backends.sqlite3.base import SQLiteCursorWrapper
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.asyncio import async_unsafe

T = TypeVar("T")

_SCALARS = (bool, int, str, datetime, date)


@dataclass(frozen=True)
class _Slot:
    """A parameter of the kept SQL that takes (an element of) a keyword value."""

    position: int
    name: str
    #: index in a tuple value; None for a scalar
    index: int | None
    #: how the ORM adapted the value for the database: "" (as is), "date" or "datetime"
    adapt: str


@dataclass
class _Compiled:
    query: QuerySet[Any]
    compiler: Any
    sql: str
    params: tuple[Any, ...]
    slots: tuple[_Slot, ...]
    #: what the compiler would work out again on every call (the same for every row set)
    converters: dict[int, Any]
    #: ``sql`` in the driver's own placeholder style (SQLite's ``?``), worked out once
    native_sql: str
    #: columns a row keeps (extra select columns for ordering are cut off, as the ORM does)
    col_count: int | None


def _orm_only(kind: type | tuple[type, ...]) -> bool:
    if isinstance(kind, tuple):
        return not kind or type(None) in kind
    return kind is type(None)


def _fill(
    params: tuple[Any, ...], slots: tuple[_Slot, ...], values: dict[str, Any], ops: Any
) -> tuple[Any, ...]:
    """``params`` with each slot set to its keyword's value, adapted as the ORM adapts it."""
    filled = list(params)
    for slot in slots:
        value = values[slot.name]
        if slot.index is not None:
            value = value[slot.index]
        if slot.adapt == "date":
            value = ops.adapt_datefield_value(value)
        elif slot.adapt == "datetime":
            value = ops.adapt_datetimefield_value(value)
        filled[slot.position] = value
    return tuple(filled)


def _stand_in(value: Any, name: str, index: int, variant: int) -> Any:
    """A value of the same type as ``value`` that no real call uses, different per variant."""
    # Inside a 32-bit integer, so that an IntegerField lookup keeps it as a parameter.
    number = 2_000_000_000 + variant * 100_000 + index
    if isinstance(value, bool):
        raise ImproperlyConfigured(
            f"A prepared read cannot take the boolean {name!r}: True and False build different "
            "SQL. Make it two prepared reads."
        )
    if isinstance(value, int):
        return number
    if isinstance(value, str):
        return f"\x1fprepared-{variant}-{index}"
    if isinstance(value, datetime):
        return datetime(1901, 1, 1, tzinfo=timezone.get_current_timezone()) + timedelta(
            days=number % 10_000, seconds=variant * 7 + 1
        )
    if isinstance(value, date):
        return date(1901, 1, 1) + timedelta(days=variant * 10_000 + index)
    raise ImproperlyConfigured(
        f"A prepared read cannot take {name!r} of type {type(value).__name__}; it takes ints, "
        "strings, dates, datetimes and tuples of them."
    )


class PreparedRead(Generic[T]):
    """``read(**values)`` is ``list(build(**values))``, without building the SQL each time."""

    def __init__(self, build: Callable[..., QuerySet[Any]]) -> None:
        if getattr(build, "__closure__", None) or "<locals>" in getattr(build, "__qualname__", ""):
            raise ImproperlyConfigured(
                f"{build!r} is not a module-level function: whatever it captures would be built "
                "into every later call's SQL."
            )
        self.build = build
        self._local = threading.local()

    def __call__(self, **values: Any) -> list[T]:
        normal: dict[str, Any] = {}
        for name, value in values.items():
            if isinstance(value, set | frozenset):
                value = tuple(sorted(value))
            elif isinstance(value, list):
                value = tuple(value)
            normal[name] = value
        shape = tuple(
            (name, tuple(type(e) for e in v) if isinstance(v, tuple) else type(v))
            for name, v in sorted(normal.items())
        )
        if any(_orm_only(kind) for _, kind in shape):
            # An empty tuple often makes the query answer nothing without asking the database,
            # and None builds ``IS NULL``: the ORM knows best.
            return list(self.build(**normal))
        cache: dict[Any, _Compiled] = self._local.__dict__.setdefault("compiled", {})
        compiled = cache.get(shape)
        if compiled is None:
            compiled = cache[shape] = self._compile(normal)
        params = _fill(compiled.params, compiled.slots, normal, compiled.compiler.connection.ops)
        return self._run(compiled, params)

    def _built(self, values: dict[str, Any], variant: int) -> tuple[QuerySet[Any], Any, Any]:
        # Every stand-in differs from every other (across keywords too), so that each parameter
        # slot can be traced to one keyword.
        stand_ins: dict[str, Any] = {}
        serial = 0
        for name, value in values.items():
            if isinstance(value, tuple):
                stand_ins[name] = tuple(
                    _stand_in(v, name, serial + i, variant) for i, v in enumerate(value)
                )
                serial += len(value)
            else:
                stand_ins[name] = _stand_in(value, name, serial, variant)
                serial += 1
        try:
            query = self.build(**stand_ins)
            compiler = query.query.get_compiler(using=query.db)
            sql, params = compiler.as_sql()
        except (EmptyResultSet, FieldError) as exc:
            raise ImproperlyConfigured(
                f"{self.build.__qualname__} cannot be prepared: stand-in values for its keywords "
                f"do not build a query ({exc.__class__.__name__}: {exc})."
            ) from exc
        if query._prefetch_related_lookups:  # type: ignore[attr-defined]
            raise ImproperlyConfigured("A prepared read cannot prefetch_related.")
        return query, compiler, (sql, tuple(params), stand_ins)

    def _compile(self, values: dict[str, Any]) -> _Compiled:
        query, compiler, (sql, params, first) = self._built(values, 1)
        _, _, (other_sql, other_params, second) = self._built(values, 2)
        if sql != other_sql or len(params) != len(other_params):
            raise ImproperlyConfigured(
                f"{self.build.__qualname__} builds different SQL for different values; it "
                "cannot be prepared."
            )
        ops = compiler.connection.ops
        found: dict[int, _Slot] = {}
        for name, value in first.items():
            elements = value if isinstance(value, tuple) else (value,)
            for index, element in enumerate(elements):
                forms = {"": element}
                if isinstance(element, datetime):
                    forms["datetime"] = ops.adapt_datetimefield_value(element)
                elif isinstance(element, date):
                    forms["date"] = ops.adapt_datefield_value(element)
                # PostgreSQL takes dates and datetimes as they are: one form, not two.
                forms = {
                    adapt: form
                    for adapt, form in forms.items()
                    if adapt == "" or type(form) is not type(element) or form != element
                }
                hits = [
                    _Slot(i, name, index if isinstance(value, tuple) else None, adapt)
                    for i, p in enumerate(params)
                    for adapt, form in forms.items()
                    if type(p) is type(form) and p == form
                ]
                if not hits:
                    raise ImproperlyConfigured(
                        f"{self.build.__qualname__} does not pass {name!r} to the database as a "
                        "parameter; it cannot be prepared."
                    )
                for hit in hits:
                    if found.setdefault(hit.position, hit) != hit:
                        raise ImproperlyConfigured(
                            f"{self.build.__qualname__}: one parameter takes two keywords."
                        )
        slots = tuple(found.values())
        # The proof: the kept parameters, filled with the second set of stand-ins, are exactly
        # the parameters the ORM built for them.
        if _fill(params, slots, second, ops) != other_params:
            raise ImproperlyConfigured(
                f"{self.build.__qualname__}'s parameters change in ways its values do not explain;"
                " it cannot be prepared."
            )
        converters = compiler.get_converters(
            [column[0] for column in compiler.select[0 : compiler.col_count]]
        )
        native_sql = sql
        if compiler.connection.vendor == "sqlite":
            # What Django's SQLite cursor does to the text on every execute.
            native_sql = _QMARK.sub("?", sql).replace("%%", "%")
        col_count = compiler.col_count if compiler.has_extra_select else None
        return _Compiled(query, compiler, sql, params, slots, converters, native_sql, col_count)

    def _run(self, compiled: _Compiled, params: tuple[Any, ...]) -> list[T]:
        # The kept queryset is this thread's alone, and each call reads all its rows before
        # returning: its query may hand out this call's compiler. Django's own iterable then
        # makes the model instances, dicts or tuples from the rows.
        compiler = copy.copy(compiled.compiler)
        sql = compiled.sql
        compiler.as_sql = lambda *args, **kwargs: (sql, params)
        converters = compiled.converters
        compiler.get_converters = lambda expressions: converters
        db = compiler.connection
        if not db.queries_logged and not db.execute_wrappers:
            # Nobody watches this connection's queries: fetch the rows on the driver's cursor
            # and hand them to the iterable as the compiler's one block of rows.
            fetched = _fetch(db, compiled.native_sql, params, compiled.col_count)
            compiler.execute_sql = lambda *args, **kwargs: (fetched,)
        queryset = compiled.query
        queryset.query.get_compiler = lambda *args, **kwargs: compiler  # type: ignore[method-assign]
        rows: Any = queryset._iterable_class(queryset)
        return list(rows)


_QMARK = re.compile(r"(?<!%)%s")


@async_unsafe
def _fetch(db: Any, sql: str, params: tuple[Any, ...], col_count: int | None) -> list[Any]:
    """Every row of ``sql``, as Django's cursor would run it, without its wrapper.

    Django's ``connection.cursor()`` wraps the driver's cursor for execute wrappers and query
    logging (neither is on here: the caller checked), checks the thread and the transaction,
    turns driver errors into Django's, and on SQLite rewrites the placeholders on every call.
    The same checks and error translation run here; the placeholders were rewritten once.
    """
    db.close_if_health_check_failed()
    db.ensure_connection()
    db.validate_thread_sharing()
    db.validate_no_broken_transaction()
    with db.wrap_database_errors:
        cursor = db.create_cursor()
        try:
            _driver_execute(cursor, sql, params)
            rows = cursor.fetchall()
        finally:
            cursor.close()
    if col_count is not None:
        rows = [row[:col_count] for row in rows]
    return rows


def _driver_execute(cursor: Any, sql: str, params: tuple[Any, ...]) -> None:
    # SQLite's cursor class is Django's subclass of the driver's, whose execute() converts
    # the placeholders again: call the driver's own. Other backends take the text as it is.
    if isinstance(cursor, SQLiteCursorWrapper):
        sqlite3.Cursor.execute(cursor, sql, params)
    else:
        cursor.execute(sql, params)


def prepared(build: Callable[..., QuerySet[Any]]) -> PreparedRead[Any]:
    """Decorator form of :class:`PreparedRead`."""
    return PreparedRead(build)
