"""Cross-cutting hooks the audit app installs at start-up: the SQLite guard. (Sign-in events are
recorded by :mod:`chaperone.people.signals`, which knows who a user is.)"""

from __future__ import annotations

from django.db import connections
from django.db.backends.signals import connection_created

from chaperone.audit.guard import register_sqlite_function


def connect() -> None:
    connection_created.connect(register_sqlite_function, dispatch_uid="chaperone.audit.sqlite")
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None:
            register_sqlite_function(connection=conn)
