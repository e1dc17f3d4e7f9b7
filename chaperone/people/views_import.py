"""Importing an MIS export in the browser: upload -> preview -> confirm -> result.

The uploaded file waits under ``MEDIA_ROOT/imports/<uuid>.csv``; the uuid is kept in the
uploader's session with the school it is for, so only that person, in that school, can preview or
confirm it. Anyone else (or a stale link) gets a 404, like a missing import.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from chaperone.core.http import ChaperoneRequest
from chaperone.people.forms import KIND_HINTS, ImportConfirmForm, ImportUploadForm
from chaperone.people.importers import COLUMNS_BY_KIND, KINDS, FileProblem, ImportPreview, reading
from chaperone.people.services import (
    ImportRejected,
    PreviewOutdated,
    people_import,
    people_import_preview,
)
from chaperone.tenancy.models import School
from chaperone.tenancy.schools import active_school, school_for

SESSION_KEY = "people_imports"
#: uploads older than this are removed when someone next uploads
STALE_SECONDS = 24 * 60 * 60
#: previews list this many records per table; counts cover them all
SHOWN = 200
KEEP_PER_SESSION = 5


def _upload_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def _path(batch: uuid.UUID) -> Path:
    return _upload_dir() / f"{batch}.csv"


def _stored_upload(batch: uuid.UUID) -> bytes:
    try:
        return _path(batch).read_bytes()
    except OSError as exc:
        raise Http404("This upload has expired; upload the file again.") from exc


def _entries(request: ChaperoneRequest) -> dict[str, dict[str, Any]]:
    return dict(request.session.get(SESSION_KEY, {}))


def _save_entries(request: ChaperoneRequest, entries: dict[str, dict[str, Any]]) -> None:
    request.session[SESSION_KEY] = entries


def _batch(request: ChaperoneRequest, batch: uuid.UUID) -> tuple[School, dict[str, Any]]:
    """The school and session entry of an upload. Anything not uploaded in this session, for the
    school being worked in, is a 404 like a missing upload (checked before any permission, so
    nobody can tell whether someone else's upload exists)."""
    entry = _entries(request).get(str(batch))
    if entry is None:
        raise Http404("No such import.")
    school = active_school(request)
    if school is None or entry.get("school_id") != school.id:
        raise Http404("No such import.")
    return school_for(request, "people.import"), entry


def _remove_stale_uploads() -> None:
    folder = _upload_dir()
    if not folder.is_dir():
        return
    cutoff = time.time() - STALE_SECONDS
    for path in folder.glob("*.csv"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue


@require_http_methods(["GET", "POST"])
def import_start(request: ChaperoneRequest) -> HttpResponse:
    school = school_for(request, "people.import")
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"].read()
        kind = form.cleaned_data["kind"]
        try:
            preview = people_import_preview(
                actor=request.actor,
                school=school,
                kind=kind,
                data=data,
                max_rows=reading.WEB_MAX_ROWS,
            )
        except FileProblem as exc:
            form.add_error("file", exc.message)
        else:
            _remove_stale_uploads()
            batch = uuid.uuid4()
            _upload_dir().mkdir(parents=True, exist_ok=True)
            _path(batch).write_bytes(data)
            _path(batch).chmod(0o600)
            entries = _entries(request)
            for old in list(entries)[: -KEEP_PER_SESSION + 1]:
                _path(uuid.UUID(old)).unlink(missing_ok=True)
                entries.pop(old)
            entries[str(batch)] = {
                "kind": kind,
                "school_id": school.id,
                "filename": form.cleaned_data["file"].name[:200],
                "fingerprint": preview.fingerprint(),
            }
            _save_entries(request, entries)
            return redirect("people:import_preview", batch=batch)
    return render(
        request,
        "people/import_start.html",
        {
            "form": form,
            "school": school,
            "kind_hints": KIND_HINTS,
            "column_sets": [(label, COLUMNS_BY_KIND[kind]) for kind, label in KINDS.items()],
        },
        status=400 if form.errors else 200,
    )


def _render_preview(
    request: ChaperoneRequest,
    school: School,
    batch: uuid.UUID,
    entry: dict[str, Any],
    preview: ImportPreview,
    form: ImportConfirmForm,
    *,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "people/import_preview.html",
        {
            "school": school,
            "batch": batch,
            "entry": entry,
            "kind_label": KINDS[entry["kind"]],
            "preview": preview,
            "form": form,
            "notice": notice,
            "shown": SHOWN,
            "problems_shown": preview.problems[:1000],
        },
        status=status,
    )


@require_http_methods(["GET"])
def import_preview(request: ChaperoneRequest, batch: uuid.UUID) -> HttpResponse:
    school, entry = _batch(request, batch)
    if "result" in entry:
        return render(
            request,
            "people/import_result.html",
            {
                "school": school,
                "entry": entry,
                "kind_label": KINDS[entry["kind"]],
                "result": entry["result"],
            },
        )
    preview = _fresh_preview(request, school, batch, entry)
    return _render_preview(request, school, batch, entry, preview, ImportConfirmForm())


def _fresh_preview(
    request: ChaperoneRequest, school: School, batch: uuid.UUID, entry: dict[str, Any]
) -> ImportPreview:
    try:
        preview = people_import_preview(
            actor=request.actor,
            school=school,
            kind=entry["kind"],
            data=_stored_upload(batch),
            max_rows=reading.WEB_MAX_ROWS,
        )
    except FileProblem as exc:  # the stored file was read once already; only if replaced
        raise Http404(exc.message) from exc
    entries = _entries(request)
    entries[str(batch)] = {**entry, "fingerprint": preview.fingerprint()}
    _save_entries(request, entries)
    return preview


@require_POST
def import_confirm(request: ChaperoneRequest, batch: uuid.UUID) -> HttpResponse:
    school, entry = _batch(request, batch)
    if "result" in entry:
        return redirect("people:import_preview", batch=batch)
    form = ImportConfirmForm(request.POST)
    form.is_valid()
    try:
        preview = people_import(
            actor=request.actor,
            school=school,
            kind=entry["kind"],
            data=_stored_upload(batch),
            skip_invalid=bool(form.cleaned_data.get("skip_invalid")),
            expected_fingerprint=entry["fingerprint"],
            max_rows=reading.WEB_MAX_ROWS,
        )
    except FileProblem as exc:
        raise Http404(exc.message) from exc
    except ImportRejected as exc:
        form.add_error(
            "skip_invalid",
            "Some rows have problems, so nothing was imported. Fix the file and upload it "
            "again, or tick this box to import only the valid rows.",
        )
        return _render_preview(request, school, batch, entry, exc.preview, form, status=400)
    except PreviewOutdated:
        preview = _fresh_preview(request, school, batch, entry)
        return _render_preview(
            request,
            school,
            batch,
            entry,
            preview,
            ImportConfirmForm(),
            notice="Records changed since you opened the preview, so nothing was imported. "
            "Check the updated preview and confirm again.",
            status=409,
        )
    _path(batch).unlink(missing_ok=True)
    entries = _entries(request)
    entries[str(batch)] = {
        **entry,
        "result": {
            "summary": preview.summary_lines(),
            "skipped": [[p.line, p.column, p.message] for p in preview.problems[:1000]],
            "skipped_rows": preview.skipped_rows,
            "rows": preview.rows,
        },
    }
    _save_entries(request, entries)
    return redirect(reverse("people:import_preview", kwargs={"batch": batch}))
