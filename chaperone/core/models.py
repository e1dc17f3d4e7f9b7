"""Model building blocks every app may use (core defines no tables of its own)."""

from __future__ import annotations

from typing import Any, ClassVar, NoReturn

from django.db import models


class RewriteRefused(RuntimeError):
    """An attempt to change a row that is written once."""


class WrittenOnce(models.Model):
    """A row stored once and never rewritten: saving it again raises
    :meth:`rewrite_refused`, and so does ``update()`` on its :class:`RefusesUpdate` queryset."""

    #: the message of the refusal
    rewrite_refusal: ClassVar[str] = "This record is never changed."
    #: the error raised (a subclass of :class:`RewriteRefused`, for the app's own name)
    rewrite_error: ClassVar[type[RewriteRefused]] = RewriteRefused

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise self.rewrite_refused()
        super().save(*args, **kwargs)

    @classmethod
    def rewrite_refused(cls) -> RewriteRefused:
        """The error to raise on an attempt to rewrite a row."""
        return cls.rewrite_error(cls.rewrite_refusal)


class RefusesUpdate:
    """Queryset mixin for :class:`WrittenOnce` models: bulk ``update()`` (and so
    ``bulk_update()``) is refused too."""

    model: Any  # the queryset's model, a WrittenOnce

    def update(self, **kwargs: Any) -> NoReturn:
        raise self.model.rewrite_refused()
