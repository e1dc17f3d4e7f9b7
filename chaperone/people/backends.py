"""Password sign-in: Django's ``ModelBackend``, with the read of the signed-in user that every
request makes prepared (chaperone/core/prepared.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import QuerySet

from chaperone.core.prepared import prepared
from chaperone.people.models import User


@prepared
def _user(user_id: int) -> QuerySet[User]:
    return User._default_manager.filter(pk=user_id)


class PasswordBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        if not isinstance(user_id, int):
            return super().get_user(user_id)
        found = _user(user_id=user_id)
        if not found:
            return None
        user = found[0]
        return user if self.user_can_authenticate(user) else None
