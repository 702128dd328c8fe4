"""Fields an item `type` has on both sides (create body and API response).

Each mixin holds only what is identical on the two sides; `input_items.py` and
`output_items.py` add the per-side differences (required sets, enums, nested models
with their side's config) listed in reference §4 and §5.5.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ._base import CallId, omitted

Namespace = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-zA-Z0-9_-]+$")]


class _FunctionCallFields(BaseModel):
    type: Literal["function_call"]
    arguments: str
    """A JSON-encoded string, never an object."""
    call_id: str
    name: str
    namespace: str = omitted()
    async_: bool = omitted(alias="async")


class _FunctionCallOutputFields(BaseModel):
    type: Literal["function_call_output"]
    call_id: CallId | None = None
    name: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    namespace: Namespace | None = None


class _ReasoningFields(BaseModel):
    type: Literal["reasoning"]
    id: str
    encrypted_content: str | None = None
    status: Literal["in_progress", "completed", "incomplete"] = omitted()
