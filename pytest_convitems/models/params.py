"""Query parameters of the four endpoints.

Query values arrive as text, so these models are not strict: `limit="20"` becomes 20
before the range check. Unknown parameters are errors, as the API rejects them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ._base import QUERY_CONFIG, ResponseIncludable


class _QueryModel(BaseModel):
    model_config = QUERY_CONFIG


class ItemCreateQuery(_QueryModel):
    include: list[ResponseIncludable] | None = None


class ItemListQuery(_QueryModel):
    after: str | None = None
    include: list[ResponseIncludable] | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    order: Literal["asc", "desc"] = "desc"


class ItemRetrieveQuery(_QueryModel):
    include: list[ResponseIncludable] | None = None


class ItemDeleteQuery(_QueryModel):
    """Delete takes no query parameters: any key is unknown."""
