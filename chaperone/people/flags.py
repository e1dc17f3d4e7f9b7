"""The safeguarding flags an import may only ask to change: how they are stored on a waiting
change (:class:`~chaperone.people.models.PendingFlagChange`) and how they are shown."""

from __future__ import annotations

from typing import Any

from chaperone.people.models import Pupil, PupilFlag, SocialCareStatus

#: the stored value of each flag on a pupil nobody has flagged
UNFLAGGED: dict[str, Any] = {
    PupilFlag.SOCIAL_CARE_STATUS: SocialCareStatus.NONE.value,
    PupilFlag.LOOKED_AFTER: False,
    PupilFlag.VULNERABLE: False,
}
#: how the preview, the audit log and the DSL's page name each flag
FLAG_LABELS: dict[str, str] = {
    PupilFlag.SOCIAL_CARE_STATUS: "social care status",
    PupilFlag.LOOKED_AFTER: "looked after",
    PupilFlag.VULNERABLE: "vulnerable",
}
#: the flags stored as yes / no
YES_NO = frozenset({PupilFlag.LOOKED_AFTER, PupilFlag.VULNERABLE})


def encode(flag: str, value: Any) -> str:
    if flag in YES_NO:
        return "yes" if value else "no"
    return str(value)


def decode(flag: str, text: str) -> Any:
    if flag in YES_NO:
        return text == "yes"
    return text


def show(flag: str, value: Any) -> str:
    if flag in YES_NO:
        return "Yes" if value else "No"
    if value in SocialCareStatus.values:
        return str(SocialCareStatus(value).label)
    return str(value)


def pupil_named(pupil: Pupil) -> str:
    """How the audit log names a pupil whose flag changes: name and UPN."""
    return f"{pupil.display_name} ({pupil.upn})"


def keep_vulnerable(pupil: Pupil) -> None:
    """A child in need, on a protection plan or looked after is always on the vulnerable list
    (whatever a confirmed change to the vulnerable flag asked)."""
    if pupil.social_care_status or pupil.is_looked_after:
        pupil.is_vulnerable = True
