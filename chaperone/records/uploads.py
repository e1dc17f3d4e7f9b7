"""Receiving a recording without holding it in memory: :class:`RecordingUploadHandler` writes
each chunk of the request straight to a private file (0600, in a 0700 directory) and hashes it
as it goes, so a 2 GB upload costs a chunk of memory, not 2 GB. The storage then takes the file
(a rename on the same disk; a multipart upload to S3).

The view installs the handler before anything reads the request body (``csrf_exempt`` outside,
``csrf_protect`` inside, as Django's documentation describes).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopFutureHandlers, StopUpload
from django.http import HttpRequest

from chaperone.records.storage import incoming_dir

#: the form field the file comes in
FIELD = "file"
#: the largest recording accepted (10 GB; a long call in high definition)
MAX_BYTES = 10 * 1024**3


class HashedUpload(UploadedFile):
    """An uploaded file on disk with its SHA-256, computed as it arrived."""

    def __init__(self, path: str, name: str, content_type: str, charset: str | None) -> None:
        self.handle = open(path, "wb+")  # noqa: SIM115  (closed by close())
        super().__init__(self.handle, name, content_type, 0, charset)
        self.path = path
        self.digest = hashlib.sha256()
        self.sha256 = ""
        self.too_large = False

    def temporary_file_path(self) -> str:
        return self.path

    def append(self, data: bytes) -> None:
        self.handle.write(data)
        self.digest.update(data)
        self.size = (self.size or 0) + len(data)

    def finish(self) -> None:
        self.handle.flush()
        self.handle.seek(0)
        self.sha256 = self.digest.hexdigest()

    def close(self) -> None:
        with contextlib.suppress(FileNotFoundError):  # moved into storage already
            self.handle.close()

    def discard(self) -> None:
        """Remove what was received (a refused or interrupted upload)."""
        self.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


class RecordingUploadHandler(FileUploadHandler):
    """Streams the ``file`` field to a private file, hashing it; refuses more than
    :data:`MAX_BYTES`."""

    def __init__(self, request: HttpRequest | None = None, *, max_bytes: int = MAX_BYTES) -> None:
        super().__init__(request)
        self.max_bytes = max_bytes
        self.upload: HashedUpload | None = None

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        if field_name != FIELD or self.upload is not None:
            return
        fd, path = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=incoming_dir())
        os.close(fd)  # mkstemp made it 0600
        self.upload = HashedUpload(path, file_name, self.content_type or "", self.charset)
        raise StopFutureHandlers()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self.upload is None or self.field_name != FIELD:
            return None  # another file field: dropped
        if (self.upload.size or 0) + len(raw_data) > self.max_bytes:
            self.upload.too_large = True
            self.upload.discard()
            raise StopUpload(connection_reset=False)
        self.upload.append(raw_data)
        return None

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.upload is None or self.field_name != FIELD:
            return None
        self.upload.finish()
        return self.upload

    def upload_interrupted(self) -> None:
        if self.upload is not None:
            self.upload.discard()
