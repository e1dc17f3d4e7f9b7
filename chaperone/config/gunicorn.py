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

#: gthread that accepts only with a thread free (16 benchmark clients: 4/4/4/4 over four workers
#: instead of 16/0/0/0 or 11/3/1/1 with gunicorn's own gthread).
worker_class = "chaperone.config.gunicorn_worker.BalancedThreadWorker"
#: Two processes per core, four threads each; threads overlap database and network waits inside
#: a process. Measured with the ``web`` benchmark on 2 cores, 16 clients: 2 x 8 gave 113 req/s at
#: 10 ms of CPU a request (one interpreter lock shared by eight threads, and kept-alive
#: connections piled on one process); 4 x 4 gave 264 req/s at 7 ms, 4 x 2 and 6 x 3 the same
#: within noise. 4 x 4 keeps the 16 threads that slow clients may hold.
workers = 2 * len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 4
threads = 4
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
