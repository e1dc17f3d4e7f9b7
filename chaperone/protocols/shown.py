"""A decision as staff see it: what stops the call first, then a short checklist of steps, then
the reminders. Finding codes, engine messages and raw timestamps stay in the API and the CLI."""

from __future__ import annotations

from dataclasses import dataclass

from chaperone import rules

HEADLINES = {
    "allowed": ("Yes, this call may go ahead", "Nothing in the protocol stops it."),
    "pending": (
        "Not yet: complete these steps first",
        "Nothing stops the call, but these steps must be done before it starts.",
    ),
    "refused": (
        "No, not as planned",
        "The call cannot go ahead as described. Change what is listed below.",
    ),
}


@dataclass(frozen=True)
class ShownFinding:
    title: str
    text: str | None
    remedy: str | None
    why: str | None

    @classmethod
    def of(cls, finding: rules.Finding) -> ShownFinding:
        title = finding.label or finding.rule
        return cls(
            title=title,
            text=finding.rule if finding.label else None,
            remedy=finding.remedy,
            why=finding.why,
        )


@dataclass(frozen=True)
class StaffDecision:
    outcome: str
    headline: str
    explanation: str
    refusals: tuple[ShownFinding, ...]
    steps: tuple[ShownFinding, ...]
    reminders: tuple[ShownFinding, ...]

    @classmethod
    def of(cls, decision: rules.Decision) -> StaffDecision:
        def pick(effect: str) -> tuple[ShownFinding, ...]:
            seen: set[str] = set()
            out = []
            for finding in decision.findings:
                shown = ShownFinding.of(finding)
                if finding.effect == effect and shown.title not in seen:
                    seen.add(shown.title)
                    out.append(shown)
            return tuple(out)

        headline, explanation = HEADLINES[decision.outcome]
        return cls(
            outcome=decision.outcome,
            headline=headline,
            explanation=explanation,
            refusals=pick("refuse"),
            steps=pick("pending"),
            reminders=pick("info"),
        )
