"""Where recordings are kept: the ``recordings`` storage of ``settings.STORAGES``.

By default a private directory on the server's own disk (``CHAPERONE_RECORDINGS_DIR``), files
0600 and directories 0700, outside the static and media files so no web server ever serves
them; with ``CHAPERONE_RECORDINGS_S3_BUCKET`` set, an S3-compatible bucket through
django-storages (docs/operations.md). Chaperone serves a recording only through a short-lived
signed address (``views.recording_stream``), to someone allowed who gave a reason.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.utils import timezone

ALIAS = "recordings"


def recordings_storage() -> Storage:
    return storages[ALIAS]


def incoming_dir() -> Path:
    """Where an upload is written while it arrives (0700, never served)."""
    path = Path(settings.CHAPERONE_RECORDINGS_INCOMING_DIR)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def new_name(school_id: int, original: str) -> str:
    """A name for a new file: the school, the month, and a random part; the original name is
    kept in the register, not in storage (it may name a pupil)."""
    suffix = Path(original).suffix.lower()
    if not suffix.isascii() or not suffix[1:].isalnum() or len(suffix) > 8:
        suffix = ""
    month = timezone.now().strftime("%Y-%m")
    return f"school-{school_id}/{month}/{secrets.token_hex(16)}{suffix}"


def open_range(name: str, start: int, length: int, chunk: int = 256 * 1024) -> Iterator[bytes]:
    """The bytes ``start`` .. ``start + length - 1`` of a stored file, in chunks."""
    handle: IO[Any] = recordings_storage().open(name, "rb")
    try:
        handle.seek(start)
        left = length
        while left > 0:
            data = handle.read(min(chunk, left))
            if not data:
                break
            left -= len(data)
            yield data
    finally:
        handle.close()
