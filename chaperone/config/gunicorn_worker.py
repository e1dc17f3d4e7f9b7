"""The gunicorn worker class every Chaperone server runs (``chaperone/config/gunicorn.py``).

Gunicorn's threaded worker (gthread), except that a worker whose threads are all busy stops
taking new connections until one of them is free.

Every worker waits on the one listening socket; when a client connects, each of them wakes, and
the first to call ``accept()`` gets the connection, busy or not. The one already running usually
wins: the ``web`` benchmark's 16 clients came out as 16/0/0/0, 11/3/1/1 or 13/2/1/0 over four
workers. A kept-alive connection never moves, so for the whole run one process (one interpreter
lock, one core) served most of the clients with the others idle, and its thread pool queued
requests that other workers could have answered at once. With this class a worker takes a
connection only while it has a thread free for it: a new connection waits in the kernel's queue
for whichever worker frees a thread first, and the 16 clients spread over the four workers.

What a connection costs is unchanged: kept-alive connections waiting for their next request sit
in the worker's selector and hold no thread, so they do not stop a worker from accepting, and a
connection that sends nothing is handed back to the selector after gunicorn's data timeout.
"""

from __future__ import annotations

from typing import Any

from gunicorn.workers.gthread import ThreadWorker


class BalancedThreadWorker(ThreadWorker):
    """gthread that accepts only while fewer requests are in its thread pool than it has
    threads (``in_flight``, counted on the worker's main thread, where gunicorn calls these)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.in_flight = 0

    def set_accept_enabled(self, enabled: bool) -> None:
        # The main loop asks for accepting whenever the connection limit allows it; a worker
        # with every thread busy says no until a request finishes.
        super().set_accept_enabled(enabled and self.in_flight < self.cfg.threads)

    def enqueue_req(self, conn: Any) -> None:
        self.in_flight += 1
        super().enqueue_req(conn)
        if self.in_flight >= self.cfg.threads:
            self.set_accept_enabled(False)

    def finish_request(self, conn: Any, fs: Any) -> None:
        self.in_flight -= 1
        super().finish_request(conn, fs)
        self.set_accept_enabled(self.alive and self.nr_conns < self.worker_connections)
