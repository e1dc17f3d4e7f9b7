"""Files kept with a concern: checked before they are stored.

A file is refused, with a message naming it, when it is larger than the limit
(``CONCERNS_ATTACHMENT_MAX_BYTES``, 10 MB by default), empty, of a kind the school does not keep
(photos, PDFs, Word documents, plain text), or not what its name says: its first bytes must be
those of the kind its extension names (a ``.pdf`` that is really a program is refused).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from chaperone.audit.log import record as audit_record
from chaperone.concerns.models import Concern, ConcernAttachment, ConcernDraft
from chaperone.concerns.selectors import may_manage
from chaperone.concerns.services import ConcernProblem
from chaperone.tenancy.policies import Actor

MAX_BYTES_DEFAULT = 10 * 1024 * 1024
MAX_FILES = 10


def max_bytes() -> int:
    return int(getattr(settings, "CONCERNS_ATTACHMENT_MAX_BYTES", MAX_BYTES_DEFAULT))


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the end of the sample is still text
        return exc.start >= len(head) - 3
    return True


def _is_docx(head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04")


#: extension -> (content type, check of the file's first bytes, what people call it)
KINDS: dict[str, tuple[str, Callable[[bytes], bool], str]] = {
    "pdf": ("application/pdf", lambda h: h.startswith(b"%PDF-"), "a PDF"),
    "png": ("image/png", lambda h: h.startswith(b"\x89PNG\r\n\x1a\n"), "a PNG image"),
    "jpg": ("image/jpeg", lambda h: h.startswith(b"\xff\xd8\xff"), "a JPEG photo"),
    "jpeg": ("image/jpeg", lambda h: h.startswith(b"\xff\xd8\xff"), "a JPEG photo"),
    "gif": ("image/gif", lambda h: h[:6] in (b"GIF87a", b"GIF89a"), "a GIF image"),
    "webp": ("image/webp", lambda h: h[:4] == b"RIFF" and h[8:12] == b"WEBP", "a WebP image"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _is_docx,
        "a Word document",
    ),
    "txt": ("text/plain", _is_text, "a text file"),
}


def sniff(name: str, head: bytes) -> str:
    """The content type of a file called ``name`` starting with ``head``, or ConcernProblem."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in KINDS:
        raise ConcernProblem(
            "attachments",
            f"Files: {name} is not a kind kept with a concern "
            "(photos, PDFs, Word documents or text files).",
        )
    content_type, check, called = KINDS[extension]
    if not check(head):
        raise ConcernProblem(
            "attachments",
            f"Files: {name} is not {called}, whatever its name says. Choose the real file.",
        )
    return content_type


def _checked(upload: UploadedFile) -> tuple[str, str, str]:
    name = (upload.name or "file").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]
    size = upload.size or 0
    if size > max_bytes():
        limit = max_bytes() // (1024 * 1024)
        raise ConcernProblem(
            "attachments", f"Files: {name} is larger than {limit} MB. Choose a smaller file."
        )
    if size == 0:
        raise ConcernProblem("attachments", f"Files: {name} is empty.")
    upload.seek(0)
    head = upload.read(64)
    upload.seek(0)
    content_type = sniff(name, head)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return name, content_type, digest.hexdigest()


def attachment_add(
    *,
    actor: Actor,
    upload: UploadedFile,
    draft: ConcernDraft | None = None,
    concern: Concern | None = None,
) -> ConcernAttachment:
    """Keep a file with the actor's draft, or with a submitted concern (its raiser or handler).
    A refused file is recorded (``concern.attachment_refused``) and raises ConcernProblem."""
    staff_id = actor.staff_id
    if staff_id is None:
        raise PermissionDenied("Only a member of staff adds files.")
    if (draft is None) == (concern is None):
        raise ValueError("A file goes with a draft or with a concern.")
    if draft is not None:
        if draft.author_id != actor.staff_id:
            raise PermissionDenied("Not your draft.")
        school_id, held = draft.school_id, ConcernAttachment.objects.filter(draft=draft)
    else:
        assert concern is not None
        if concern.raised_by_id != actor.staff_id and not may_manage(actor, concern):
            raise PermissionDenied("You cannot add files to this concern.")
        school_id, held = concern.school_id, ConcernAttachment.objects.filter(concern=concern)
    target = draft if draft is not None else concern
    assert target is not None
    try:
        if held.count() >= MAX_FILES:
            raise ConcernProblem("attachments", f"Files: at most {MAX_FILES} files.")
        name, content_type, digest = _checked(upload)
    except ConcernProblem as problem:
        audit_record(
            "concern.attachment_refused",
            actor=actor,
            target=target,
            details={"reason": problem.message[:200], "size": upload.size or 0},
        )
        raise
    with transaction.atomic():
        attachment = ConcernAttachment(
            school_id=school_id,
            draft=draft,
            concern=concern,
            original_name=name,
            content_type=content_type,
            size=upload.size or 0,
            sha256=digest,
            uploaded_by_id=staff_id,
        )
        attachment.file.save(name, upload, save=False)
        attachment.save()
        if concern is not None:
            audit_record(
                "concern.addendum_added",
                actor=actor,
                target=concern,
                details={"attachment": attachment.pk},
            )
    return attachment
