"""Files kept with a concern: the limit, and content that is not what the name says."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chaperone.audit.models import AuditEvent
from chaperone.concerns.attachments import attachment_add, sniff
from chaperone.concerns.services import ConcernProblem, draft_save

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 40


@pytest.mark.parametrize(
    ("name", "head", "ok"),
    [
        ("photo.png", PNG, True),
        ("letter.pdf", PDF, True),
        ("letter.pdf", EXE, False),
        ("photo.jpg", PNG, False),
        ("notes.txt", "Zoë said…".encode(), True),
        ("notes.txt", EXE, False),
        ("program.exe", EXE, False),
        ("noextension", PDF, False),
    ],
)
def test_the_content_must_be_what_the_name_says(name, head, ok) -> None:  # type: ignore[no-untyped-def]
    if ok:
        assert sniff(name, head)
    else:
        with pytest.raises(ConcernProblem) as problem:
            sniff(name, head)
        assert problem.value.field == "attachments" and name in problem.value.message


def test_a_file_over_the_limit_is_refused_and_recorded(cast, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CONCERNS_ATTACHMENT_MAX_BYTES = 1024
    teacher = cast.actor(cast.teacher)
    draft = draft_save(actor=teacher, school=cast.school, data={"summary": "so far"})
    with pytest.raises(ConcernProblem) as problem:
        attachment_add(
            actor=teacher, draft=draft, upload=SimpleUploadedFile("big.pdf", PDF + b"0" * 2000)
        )
    assert "larger than" in problem.value.message
    assert AuditEvent.objects.filter(action="concern.attachment_refused").count() == 1
    assert not draft.attachments.exists()
