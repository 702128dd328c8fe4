"""Exceptions raised to users.

    ConvItemsError                 base of everything we raise on purpose
    ├── InputError                 a file, body or option we cannot use (CLI exit code 2)
    │   └── CassetteError          a cassette we cannot read: names the file and the place
    └── UnmatchedRequestError      replay had no recorded interaction for a request

Every message names the thing (file, interaction, field), what is wrong, and what to do.
"""

from __future__ import annotations


class ConvItemsError(Exception):
    """Base class of the errors pytest-convitems raises on purpose."""


class InputError(ConvItemsError):
    """Input we cannot use: the CLI reports it and exits with status 2."""


class CassetteError(InputError):
    """A cassette that cannot be read or written; never overwritten when corrupt."""


class UnmatchedRequestError(ConvItemsError):
    """A replayed request with no recorded counterpart."""

    def __init__(self, message: str, target: str = "") -> None:
        super().__init__(message)
        self.target = target
        """`METHOD path?query` of the request, redacted."""
