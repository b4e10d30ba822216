"""Totals of a reliability run (requests, errors by code, fuzz cases), printed at its end."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Tally:
    """What the reliability tests sent and got back, summed over the run."""

    requests: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    fuzz_cases: int = 0
    property_examples: int = 0
    notes: list[str] = field(default_factory=list)

    def record(self, status: int | None, codes: tuple[str, ...] | list[str]) -> None:
        """Count one request: its HTTP status (None: no answer) and its GraphQL error codes."""
        self.requests += 1
        self.statuses["no answer" if status is None else str(status)] += 1
        self.codes.update(code or "(no code)" for code in codes)

    def lines(self) -> list[str]:
        """The summary, one fact per line."""
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items())) or "-"
        codes = ", ".join(f"{k}: {v}" for k, v in self.codes.most_common()) or "none"
        return [
            f"requests: {self.requests} ({statuses})",
            f"errors by code: {codes}",
            f"fuzz cases (schemathesis): {self.fuzz_cases}",
            f"property examples (hypothesis): {self.property_examples}",
            *self.notes,
        ]


# One per test session; the conftest prints it in the terminal summary.
TALLY = Tally()
