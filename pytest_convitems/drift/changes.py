"""One drift change, in the JSON shape of DESIGN §2, and its stable fingerprint."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Final, Literal

Severity = Literal["breaking", "warning", "info"]
FailOn = Literal["breaking", "warning", "info", "never"]

SEVERITIES: Final[tuple[Severity, ...]] = ("breaking", "warning", "info")
RANK: Final[dict[str, int]] = {"info": 1, "warning": 2, "breaking": 3, "never": 99}

CHANGE_IDS: Final[tuple[str, ...]] = (
    "field_removed",
    "field_added",
    "type_changed",
    "became_optional",
    "became_required",
    "became_nullable",
    "enum_value_added",
    "enum_value_removed",
    "variant_added",
    "variant_removed",
    "model_field_missing",
    "model_variant_missing",
    "model_value_rejected",
    "status_changed",
)


def fingerprint(
    endpoint: str,
    direction: str,
    variant: str | None,
    where: str,
    change: str,
    old: Any,
    new: Any,
    *,
    status: str | None = None,
) -> str:
    """Stable across runs: hashes what changed and where, never message text or counts.

    `where` is the path with the `<type>` of every typed object on the way, so the same
    field added to `input_text` and to `output_text` parts are two fingerprints.
    `status`: the status class, for a change whose values do not tell it (a body no longer
    JSON in 4xx answers is not the same change as in 2xx ones); left out of the hash when
    None, so the fingerprints of field changes stay what they were.
    """
    parts: list[Any] = [endpoint, direction, variant, where, change, old, new]
    if status is not None:
        parts.append(status)
    key = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(key.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Change:
    severity: Severity
    change: str
    endpoint: str
    direction: str
    variant: str | None
    path: str
    """Relative to the item when `variant` is set, else to the body; arrays as `*`."""
    old: Any
    new: Any
    message: str
    fingerprint: str
    status: str | None = field(default=None, compare=False)
    """Status class of the responses compared ("2xx"; None for requests): a change in error
    answers (`4xx`) reads differently from one in successes, so the JSON carries it too."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "change": self.change,
            "endpoint": self.endpoint,
            "direction": self.direction,
            "status": self.status,
            "variant": self.variant,
            "path": self.path,
            "old": self.old,
            "new": self.new,
            "message": self.message,
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Change:
        return cls(
            severity=data["severity"],
            change=data["change"],
            endpoint=data["endpoint"],
            direction=data["direction"],
            variant=data.get("variant"),
            path=data["path"],
            old=data.get("old"),
            new=data.get("new"),
            message=data["message"],
            fingerprint=data["fingerprint"],
            status=data.get("status"),
        )

    def sort_key(self) -> tuple[int, str, str, str, str, str, str]:
        return (
            -RANK[self.severity],
            self.endpoint,
            self.direction,
            self.variant or "",
            self.path,
            self.change,
            self.fingerprint,
        )
