"""Importing pupils, staff and households from MIS CSV exports (SIMS, Arbor, Bromcom...).

The write entry points are in :mod:`chaperone.people.services`; this package reads, validates
and plans. See ``docs/imports.md`` for the column mapping.
"""

from chaperone.people.importers.columns import COLUMNS_BY_KIND, Column
from chaperone.people.importers.engine import KINDS
from chaperone.people.importers.preview import (
    Change,
    ImportPreview,
    PlannedRecord,
    RowProblem,
    Section,
)
from chaperone.people.importers.reading import FileProblem

__all__ = [
    "COLUMNS_BY_KIND",
    "KINDS",
    "Change",
    "Column",
    "FileProblem",
    "ImportPreview",
    "PlannedRecord",
    "RowProblem",
    "Section",
]
