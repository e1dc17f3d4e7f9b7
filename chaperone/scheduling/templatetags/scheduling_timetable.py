"""The rows of the DSL timetable, written out in Python.

A week of a large school holds thousands of sessions; the template language costs a few
microseconds per variable, so the table's rows (the one loop that grows with the school) are
written here with the standard library's ``html.escape`` on every value instead (what
Django's ``escape`` does, without its lazy-string wrapper), from the display
values the selector has already worked out. The markup is the same as a template would give.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from chaperone.scheduling.selectors import TimetableRow

register = template.Library()


def _row(s: TimetableRow) -> str:
    hint = f"{escape(s.kind_label)}, {escape(s.platform_label)}"
    if s.dsl_invited:
        hint += "; DSL invited"
    host = escape(s.host_name)
    if s.second_name:
        host += f'<br><span class="govuk-hint">with {escape(s.second_name)}</span>'
    flags = (
        "".join(
            f'<strong class="govuk-tag govuk-tag--yellow app-flag">{escape(f.label)}</strong>'
            f'<span class="govuk-hint app-flag__detail">{escape(f.detail)}</span>'
            for f in s.flags
        )
        or '<span class="govuk-visually-hidden">None</span>'
    )
    return (
        f"<tr><td>{escape(s.when)}</td>"
        f'<td><a href="{escape(s.url)}" class="govuk-link">{escape(s.title)}</a><br>'
        f'<span class="govuk-hint">{hint}</span></td>'
        f"<td>{host}</td><td>{escape(s.pupils)}</td>"
        f'<td><strong class="govuk-tag govuk-tag--{escape(s.state_colour)}">'
        f"{escape(s.state_label)}</strong></td><td>{flags}</td></tr>\n"
    )


@register.simple_tag
def timetable_rows(sessions: Sequence[TimetableRow]) -> SafeString:
    """The ``<tr>`` of every session, each value escaped."""
    # every value in the rows is escaped by _row
    return mark_safe("".join(_row(s) for s in sessions))
