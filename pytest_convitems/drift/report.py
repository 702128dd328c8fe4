"""A drift report: the changes that count, the ones ignored on purpose, and the summary."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError
from .changes import RANK, SEVERITIES, Change, FailOn
from .compare import Comparison
from .ignore import IgnoreList

FAIL_ON_CHOICES: tuple[FailOn, ...] = ("breaking", "warning", "info", "never")


@dataclass
class DriftReport:
    changes: list[Change] = field(default_factory=list)
    ignored: list[tuple[Change, str]] = field(default_factory=list)
    """(change, reason from the ignore file)."""
    compared: list[str] = field(default_factory=list)
    only_old: list[str] = field(default_factory=list)
    only_new: list[str] = field(default_factory=list)
    stale_ignores: list[str] = field(default_factory=list)
    """Fingerprints in the ignore file that matched nothing (safe to delete once reviewed)."""

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for c in self.changes if c.severity == s) for s in SEVERITIES}

    def failing(self, fail_on: FailOn = "breaking") -> list[Change]:
        threshold = RANK[fail_on]
        return [c for c in self.changes if RANK[c.severity] >= threshold]

    def exit_code(self, fail_on: FailOn = "breaking") -> int:
        """DESIGN §2: 0 nothing at or above the failing severity, 1 otherwise."""
        return 1 if self.failing(fail_on) else 0

    def summary(self) -> dict[str, Any]:
        return {
            **self.counts(),
            "total": len(self.changes),
            "ignored": [{"fingerprint": c.fingerprint, "reason": r} for c, r in self.ignored],
            "stale_ignores": self.stale_ignores,
            "contexts_compared": self.compared,
            "contexts_only_old": self.only_old,
            "contexts_only_new": self.only_new,
        }

    def to_dict(self) -> dict[str, Any]:
        return {"changes": [c.to_dict() for c in self.changes], "summary": self.summary()}


def check_fail_on(value: str) -> FailOn:
    for choice in FAIL_ON_CHOICES:
        if value == choice:
            return choice
    raise InputError(f"--fail-on {value!r}: use one of {', '.join(FAIL_ON_CHOICES)}")


def build_report(
    comparison: Comparison,
    *,
    ignore: IgnoreList | None = None,
    extra: Iterable[Change] = (),
) -> DriftReport:
    """Split changes into counted and ignored (the ignore file's reason kept with each)."""
    report = DriftReport(
        compared=list(comparison.compared),
        only_old=list(comparison.only_old),
        only_new=list(comparison.only_new),
    )
    used: set[str] = set()
    for change in [*comparison.changes, *extra]:
        reason = ignore.reason_for(change.fingerprint) if ignore else None
        if reason is None:
            report.changes.append(change)
        else:
            used.add(change.fingerprint)
            report.ignored.append((change, reason))
    report.changes.sort(key=Change.sort_key)
    if ignore is not None:
        report.stale_ignores = sorted(ignore.fingerprints - used)
    return report
