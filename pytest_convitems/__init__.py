"""pytest-convitems: validate, record, replay and drift-check OpenAI Conversations items traffic."""

from importlib.metadata import version as _version
from typing import TYPE_CHECKING

from .errors import CassetteError, ConvItemsError, InputError, UnmatchedRequestError
from .exchange import Exchange, Request, Response
from .findings import Finding
from .routes import match_route, parse_query

if TYPE_CHECKING:
    from .recording import ConvItemsCassette


def __getattr__(name: str) -> object:
    # The fixture class pulls in the cassette machinery: imported on first use only.
    if name == "ConvItemsCassette":
        from .recording import ConvItemsCassette

        return ConvItemsCassette
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__version__ = _version("pytest-convitems")

__all__ = [
    "CassetteError",
    "ConvItemsCassette",
    "ConvItemsError",
    "Exchange",
    "Finding",
    "InputError",
    "Request",
    "Response",
    "UnmatchedRequestError",
    "__version__",
    "match_route",
    "parse_query",
]
