"""Query parameters of the four endpoints.

Query values arrive as text, so these models are not strict: `limit="20"` becomes 20
before the range check. Unknown parameters are errors, as the API rejects them.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from ._base import QUERY_CONFIG, ResponseIncludable


def _decimal(value: Any) -> Any:
    """Text that is an integer in decimal digits, as the API reads it. Pydantic's lax mode
    would also take `5.0`, `1_0`, `+5` and ` 5 ` (Python's number syntax)."""
    if isinstance(value, str) and not re.fullmatch(r"-?[0-9]+", value):
        raise PydanticCustomError(
            "int_parsing", "Input should be a valid integer, unable to parse string as an integer"
        )
    return value


class _QueryModel(BaseModel):
    model_config = QUERY_CONFIG


class ItemCreateQuery(_QueryModel):
    include: list[ResponseIncludable] | None = None


class ItemListQuery(_QueryModel):
    after: str | None = None
    include: list[ResponseIncludable] | None = None
    limit: Annotated[int, BeforeValidator(_decimal), Field(ge=1, le=100)] = 20
    order: Literal["asc", "desc"] = "desc"


class ItemRetrieveQuery(_QueryModel):
    include: list[ResponseIncludable] | None = None


class ItemDeleteQuery(_QueryModel):
    """Delete takes no query parameters: any key is unknown."""
