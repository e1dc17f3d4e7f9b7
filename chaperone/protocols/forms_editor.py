"""The editor's form: one field per thing a head may change, built from the protocol being
edited. It only collects values; :mod:`chaperone.protocols.editor` turns them into a protocol file
and the engine judges it, and each engine problem comes back on the field that caused it."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from chaperone import rules
from chaperone.protocols.editor import Edits, Target, rule_library
from chaperone.rules.document import DAY_NAMES, PLATFORM_NAMES

EFFECT_CHOICES = [
    ("refuse", "Stops the call"),
    ("pending", "A step before the call"),
    ("info", "A reminder"),
]
PLATFORM_CHOICES = [(value, name[:1].upper() + name[1:]) for value, name in PLATFORM_NAMES.items()]
DAY_CHOICES = list(DAY_NAMES.items())
#: the "rule 'x': effect: " style prefix of an engine problem
_LOCATION = re.compile(r"^(?:(?:rule|window) '[^']+'|[a-z_.]+)(?:: [a-z_.]+)?: ")


def _hhmm(value: Any) -> str:
    return value.strftime("%H:%M") if hasattr(value, "strftime") else str(value)


class EditorForm(forms.Form):
    version = forms.CharField(label="Version label", max_length=60)
    effective = forms.DateField(
        label="In force from", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    review = forms.DateField(
        label="Review by", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    retention_days = forms.IntegerField(
        label="Keep recordings and call logs for (days)", required=False, min_value=1
    )
    platforms = forms.MultipleChoiceField(
        label="Approved platforms",
        choices=PLATFORM_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    add = forms.MultipleChoiceField(
        label="Add rules from the library",
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, target: Target, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.target = target
        protocol = target.in_force
        for name, window in protocol.windows.items():
            title = window.description or name.replace("_", " ").capitalize()
            self.fields[f"window__{name}__start"] = forms.TimeField(
                label=f"{title}: opens",
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )
            self.fields[f"window__{name}__end"] = forms.TimeField(
                label=f"{title}: closes",
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )
            self.fields[f"window__{name}__days"] = forms.MultipleChoiceField(
                label=f"{title}: days",
                choices=DAY_CHOICES,
                widget=forms.CheckboxSelectMultiple,
            )
        own = {r.id for r in target.own_rules}
        for rule in target.editable_rules:
            self.fields[f"effect__{rule.id}"] = forms.ChoiceField(
                label=rule.label or rule.text, choices=EFFECT_CHOICES
            )
            if rule.effect == "info":
                self.fields[f"remedy__{rule.id}"] = forms.CharField(
                    label="What would fix it (if it becomes a step or stops the call)",
                    required=False,
                )
            if rule.id in own:
                self.fields[f"text__{rule.id}"] = forms.CharField(
                    label="The rule in your words",
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 2, "class": "govuk-textarea"}),
                )
                self.fields[f"drop__{rule.id}"] = forms.BooleanField(
                    label="Remove this rule", required=False
                )
        add = self.fields["add"]
        assert isinstance(add, forms.MultipleChoiceField)
        add.choices = [(lib.key, lib.rule.label or lib.rule.text) for lib in rule_library()]
        for lib in rule_library():
            self.fields[f"libtext__{lib.key}"] = forms.CharField(
                label="The rule in your words",
                required=False,
                widget=forms.Textarea(attrs={"rows": 2, "class": "govuk-textarea"}),
            )

    # --- what the template shows ------------------------------------------------------------

    def window_rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (name, [self[f"window__{name}__{part}"] for part in ("start", "end", "days")])
            for name in self.target.in_force.windows
        ]

    def rule_rows(self) -> list[dict[str, Any]]:
        rows = []
        for rule in self.target.editable_rules:
            rows.append(
                {
                    "rule": rule,
                    "effect": self[f"effect__{rule.id}"],
                    "remedy": self[f"remedy__{rule.id}"]
                    if f"remedy__{rule.id}" in self.fields
                    else None,
                    "text": self[f"text__{rule.id}"] if f"text__{rule.id}" in self.fields else None,
                    "drop": self[f"drop__{rule.id}"] if f"drop__{rule.id}" in self.fields else None,
                }
            )
        return rows

    def library_rows(self) -> list[dict[str, Any]]:
        chosen = set(self["add"].value() or [])
        groups: dict[str, dict[str, Any]] = {}
        for lib in rule_library():
            group = groups.setdefault(lib.template_id, {"title": lib.template_title, "rules": []})
            group["rules"].append(
                {"lib": lib, "chosen": lib.key in chosen, "text": self[f"libtext__{lib.key}"]}
            )
        return list(groups.values())

    # --- values -----------------------------------------------------------------------------

    @staticmethod
    def initial_from(target: Target, edits: Edits) -> dict[str, Any]:
        """Initial form values showing ``edits``."""
        initial: dict[str, Any] = {
            "version": edits.version,
            "effective": edits.effective,
            "review": edits.review,
            "retention_days": edits.retention_days,
            "platforms": list(edits.platforms),
            "add": list(edits.add),
        }
        for name, values in edits.windows.items():
            initial[f"window__{name}__start"] = values["start"]
            initial[f"window__{name}__end"] = values["end"]
            initial[f"window__{name}__days"] = list(values["days"])
        for rule in target.editable_rules:
            initial[f"effect__{rule.id}"] = edits.effects.get(rule.id, rule.effect)
            if rule.id in edits.remedies:
                initial[f"remedy__{rule.id}"] = edits.remedies[rule.id]
        for rule in target.own_rules:
            initial[f"text__{rule.id}"] = rule.text
        for lib in rule_library():
            initial[f"libtext__{lib.key}"] = lib.rule.text
        return initial

    def edits(self) -> Edits:
        """The edits (call after ``is_valid()``)."""
        d = self.cleaned_data
        protocol: rules.Protocol = self.target.in_force
        windows = {}
        for name, window in protocol.windows.items():
            values = {
                "start": _hhmm(d[f"window__{name}__start"]),
                "end": _hhmm(d[f"window__{name}__end"]),
                "days": [day for day, _ in DAY_CHOICES if day in d[f"window__{name}__days"]],
            }
            if window.description:
                values["description"] = window.description
            windows[name] = values
        own = {r.id: r for r in self.target.own_rules}
        libs = {lib.key: lib for lib in rule_library()}
        return Edits(
            version=d["version"].strip(),
            effective=d["effective"],
            review=d["review"],
            platforms=tuple(p for p, _ in PLATFORM_CHOICES if p in d["platforms"]),
            retention_days=d.get("retention_days"),
            windows=windows,
            effects={r.id: d[f"effect__{r.id}"] for r in self.target.editable_rules},
            remedies={
                r.id: d[f"remedy__{r.id}"].strip()
                for r in self.target.editable_rules
                if d.get(f"remedy__{r.id}", "").strip()
            },
            texts={
                rule_id: d[f"text__{rule_id}"]
                for rule_id, rule in own.items()
                if d.get(f"text__{rule_id}", "").strip() not in ("", rule.text)
            },
            drop=frozenset(rule_id for rule_id in own if d.get(f"drop__{rule_id}")),
            add=tuple(d["add"]),
            add_texts={
                key: d[f"libtext__{key}"]
                for key in d["add"]
                if d.get(f"libtext__{key}", "").strip() not in ("", libs[key].rule.text)
            },
        )

    def add_problems(self, problems: list[tuple[str | None, str]]) -> None:
        """Put the engine's problems on their fields, in words that fit there."""
        for name, message in problems:
            if name in self.fields:
                # "rule 'x': effect: lowering ..." beside the rule's effect: "Lowering ..."
                text = _LOCATION.sub("", message)
                self.add_error(name, text[:1].upper() + text[1:])
            else:
                self.add_error(None, message)
