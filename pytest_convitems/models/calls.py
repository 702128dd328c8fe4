"""Sub-shapes of the tool-call items: caller, safety checks, web/file search, shell,
apply_patch, MCP, code interpreter and image generation details.

Same pattern as `content.py`: shared `_...Fields` mixin, `...Param` for requests, plain
name for responses.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ._base import RequestModel, ResponseModel

# --- caller: who invoked a tool ----------------------------------------------------------


class _CallerDirectFields(BaseModel):
    type: Literal["direct"]


class CallerDirectParam(_CallerDirectFields, RequestModel):
    pass


class CallerDirect(_CallerDirectFields, ResponseModel):
    pass


class _CallerProgramFields(BaseModel):
    type: Literal["program"]
    caller_id: Annotated[str, Field(min_length=1, max_length=64)]


class CallerProgramParam(_CallerProgramFields, RequestModel):
    pass


class CallerProgram(_CallerProgramFields, ResponseModel):
    pass


CallerParam = Annotated[CallerDirectParam | CallerProgramParam, Field(discriminator="type")]
Caller = Annotated[CallerDirect | CallerProgram, Field(discriminator="type")]
