"""pytest-convitems: validate, record, replay and drift-check OpenAI Conversations items traffic."""

from importlib.metadata import version as _version

from .errors import CassetteError, ConvItemsError, InputError, UnmatchedRequestError
from .exchange import Exchange, Request, Response
from .findings import Finding
from .routes import match_route, parse_query

__version__ = _version("pytest-convitems")

__all__ = [
    "CassetteError",
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
