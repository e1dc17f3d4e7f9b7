"""Gunicorn settings for every Chaperone web server: production, ``make serve`` and the ``web``
benchmark all start ``gunicorn -c python:chaperone.config.gunicorn`` (see docs/operations.md).

Threaded workers (gthread): a worker's main thread waits on every open connection with a
selector and hands a connection to a thread only once it has sent something, so idle and
kept-alive connections cost no thread, and a slow client holds at most one thread of many. The
sync worker blocked a whole process per connection: two idle sockets stalled the server for 30 s.
Our subclass (``chaperone/config/gunicorn_worker.py``) takes new connections only while a thread
is free, so they spread over the workers instead of piling onto the one that woke first.
Request headers that trickle in for minutes are the TLS proxy's to cut off (docs/operations.md).

Command-line flags and ``GUNICORN_CMD_ARGS`` override anything here (``--bind``, ``--workers``).
"""

import os

wsgi_app = "chaperone.config.wsgi:application"
bind = ["127.0.0.1:8000"]

#: gthread that accepts only with a thread free (16 benchmark clients: evenly over the workers,
#: 4/4/4/4 on four, where gunicorn's own gthread left them 16/0/0/0 or 11/3/1/1).
worker_class = "chaperone.config.gunicorn_worker.BalancedThreadWorker"
#: One process per core, eight threads each; threads overlap database and network waits inside
#: a process, and one interpreter per core is what the cores can run at once. Measured with the
#: ``web`` benchmark on 2 cores, 16 kept-alive clients, the two alternated three times on the
#: same machine (2026-12-02): 2 x 8 gave a dashboard p99 of 96-104 ms at 4.2-4.6 ms of server
#: CPU a request, 4 x 4 gave 128-151 ms at 5.0-5.8 ms (four interpreters time-sliced on two
#: cores, each switch costing cache). Before the balanced worker, 2 x 8 was the slower (kept-alive
#: connections piled onto one process); with it they sit 8/8. Either way sixteen threads are
#: there for slow clients.
workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2
threads = 8
#: Open connections a worker keeps at once (idle keep-alive ones included).
worker_connections = 1000

#: A worker whose main loop stops answering for this long is restarted.
timeout = 30
graceful_timeout = 20
#: Seconds a kept-alive connection may sit idle between requests before it is closed.
keepalive = 5

#: Bounded request head: a long line or many headers is refused with 4xx, not buffered.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

#: No runtime control socket: by default every gunicorn on the host would share
#: ``$HOME/.gunicorn/gunicorn.ctl``; Chaperone is controlled by signals and its service manager.
control_socket_disable = True
