"""A finding: one validation result, in the shape of DESIGN §2."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["error", "drift"]
Endpoint = Literal["create", "list", "retrieve", "delete", "other"]
"""`other` only for checks that cover all traffic (a secret in a conversation call)."""
Direction = Literal["request", "response"]
Part = Literal["path", "query", "headers", "body"]
"""`headers` only for the `secret` rule: a credential left in a stored header."""


@dataclass(frozen=True)
class Finding:
    severity: Severity
    endpoint: Endpoint
    direction: Direction
    part: Part
    pointer: str
    """RFC 6901 JSON pointer inside `part` ("" is the whole part)."""
    rule: str
    """Short machine id, e.g. `missing`, `literal_error`, `too_long`, `unknown_field`."""
    message: str
    """One sentence a person understands."""
    source: dict[str, Any] | None = None
    """{"cassette": path, "interaction": index} when read from a cassette."""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "severity": self.severity,
            "endpoint": self.endpoint,
            "direction": self.direction,
            "part": self.part,
            "pointer": self.pointer,
            "rule": self.rule,
            "message": self.message,
        }
        if self.source is not None:
            data["source"] = self.source
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            severity=data["severity"],
            endpoint=data["endpoint"],
            direction=data["direction"],
            part=data["part"],
            pointer=data["pointer"],
            rule=data["rule"],
            message=data["message"],
            source=data.get("source"),
        )

    def text(self) -> str:
        """One line for a terminal: pointer first, then the sentence."""
        where = f"{self.part}:{self.pointer or '/'}"
        origin = ""
        if self.source is not None:
            origin = f"{self.source.get('cassette')}#{self.source.get('interaction')} "
        return f"{origin}{where} {self.message} [{self.severity}: {self.rule}, {self.endpoint} {self.direction}]"


def escape_pointer_token(token: str | int) -> str:
    """RFC 6901 escaping of one reference token."""
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str | int) -> str:
    return "".join("/" + escape_pointer_token(t) for t in tokens)
