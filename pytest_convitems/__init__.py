"""pytest-convitems: validate, record, replay and drift-check OpenAI Conversations items traffic.

The light names below import at once. The rest load on first use: the pytest plugin imports
this package in every run, and a run that replays nothing must not pay for building the
models, YAML or deepdiff.
"""

from importlib import import_module
from typing import TYPE_CHECKING

from .errors import CassetteError, ConvItemsError, InputError, UnmatchedRequestError
from .exchange import Exchange, Request, Response
from .findings import Finding
from .routes import match_route, parse_query

if TYPE_CHECKING:
    __version__: str
    from .cassette import append_to_cassette, load_cassette, write_cassette
    from .drift import DriftReport, drift_between_paths
    from .matching import ReplayIndex, request_key
    from .recording import ConvItemsCassette
    from .redact import DEFAULT_REDACTOR, RedactionRules, Redactor
    from .validation import (
        error_body,
        error_status,
        openai_param,
        validate_exchange,
        validate_request,
        validate_response,
    )

_LAZY: dict[str, str] = {
    "ConvItemsCassette": ".recording",
    "append_to_cassette": ".cassette",
    "load_cassette": ".cassette",
    "write_cassette": ".cassette",
    "DriftReport": ".drift",
    "drift_between_paths": ".drift",
    "ReplayIndex": ".matching",
    "request_key": ".matching",
    "DEFAULT_REDACTOR": ".redact",
    "RedactionRules": ".redact",
    "Redactor": ".redact",
    "error_body": ".validation",
    "error_status": ".validation",
    "openai_param": ".validation",
    "validate_exchange": ".validation",
    "validate_request": ".validation",
    "validate_response": ".validation",
}


def __getattr__(name: str) -> object:
    if name == "__version__":
        # Read on demand: package metadata costs ~1 ms, and pytest imports this package
        # in every run.
        from importlib.metadata import version

        return version("pytest-convitems")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module, __name__), name)


def __dir__() -> list[str]:
    # The lazy names too: a REPL's or an IDE's completion lists what `__all__` promises.
    return sorted({*globals(), *__all__})


__all__ = [
    "DEFAULT_REDACTOR",
    "CassetteError",
    "ConvItemsCassette",
    "ConvItemsError",
    "DriftReport",
    "Exchange",
    "Finding",
    "InputError",
    "RedactionRules",
    "Redactor",
    "ReplayIndex",
    "Request",
    "Response",
    "UnmatchedRequestError",
    "__version__",
    "append_to_cassette",
    "drift_between_paths",
    "error_body",
    "error_status",
    "load_cassette",
    "match_route",
    "openai_param",
    "parse_query",
    "request_key",
    "validate_exchange",
    "validate_request",
    "validate_response",
    "write_cassette",
]
