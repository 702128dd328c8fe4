"""Sub-shapes of the shell items (`local_shell_call`, `shell_call`, `shell_call_output`)
and of `apply_patch_call`.

Same pattern as `content.py`: shared `_...Fields` mixin, `...Param` for requests, plain
name for responses.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ._base import MAX_10MB, RequestModel, ResponseModel, omitted

# --- local_shell_call / shell_call / shell_call_output -----------------------------------


class _LocalShellActionFields(BaseModel):
    type: Literal["exec"]
    command: list[str]
    env: dict[str, str]
    timeout_ms: int | None = None
    user: str | None = None
    working_directory: str | None = None


class LocalShellActionParam(_LocalShellActionFields, RequestModel):
    pass


class LocalShellAction(_LocalShellActionFields, ResponseModel):
    pass


class _ShellActionFields(BaseModel):
    commands: list[str]
    # OAS makes these two required-nullable on responses; the SDK (the reference's
    # authority) keeps them optional on both sides.
    timeout_ms: int | None = None
    max_output_length: int | None = None


class ShellActionParam(_ShellActionFields, RequestModel):
    pass


class ShellAction(_ShellActionFields, ResponseModel):
    pass


class LocalSkillParam(RequestModel):
    name: str
    description: str
    path: str


class LocalEnvironmentParam(RequestModel):
    type: Literal["local"]
    skills: list[LocalSkillParam] = omitted()


class LocalEnvironment(ResponseModel):
    """On responses the SDK's local environment carries no skills."""

    type: Literal["local"]


class _ContainerReferenceFields(BaseModel):
    type: Literal["container_reference"]
    container_id: str


class ContainerReferenceParam(_ContainerReferenceFields, RequestModel):
    pass


class ContainerReference(_ContainerReferenceFields, ResponseModel):
    pass


ShellEnvironmentParam = Annotated[
    LocalEnvironmentParam | ContainerReferenceParam, Field(discriminator="type")
]
ShellEnvironment = Annotated[LocalEnvironment | ContainerReference, Field(discriminator="type")]


class _OutcomeExitFields(BaseModel):
    type: Literal["exit"]
    exit_code: int


class OutcomeExitParam(_OutcomeExitFields, RequestModel):
    pass


class OutcomeExit(_OutcomeExitFields, ResponseModel):
    pass


class _OutcomeTimeoutFields(BaseModel):
    type: Literal["timeout"]


class OutcomeTimeoutParam(_OutcomeTimeoutFields, RequestModel):
    pass


class OutcomeTimeout(_OutcomeTimeoutFields, ResponseModel):
    pass


OutcomeParam = Annotated[OutcomeExitParam | OutcomeTimeoutParam, Field(discriminator="type")]
Outcome = Annotated[OutcomeExit | OutcomeTimeout, Field(discriminator="type")]


class _ShellOutputChunkFields(BaseModel):
    stdout: Annotated[str, Field(max_length=MAX_10MB)]
    stderr: Annotated[str, Field(max_length=MAX_10MB)]


class ShellOutputChunkParam(_ShellOutputChunkFields, RequestModel):
    outcome: OutcomeParam


class ShellOutputChunk(_ShellOutputChunkFields, ResponseModel):
    outcome: Outcome
    created_by: str = omitted()


# --- apply_patch_call operations ---------------------------------------------------------

PatchPath = Annotated[str, Field(min_length=1)]
PatchDiff = Annotated[str, Field(max_length=MAX_10MB)]


class _CreateFileFields(BaseModel):
    type: Literal["create_file"]
    path: PatchPath
    diff: PatchDiff


class CreateFileParam(_CreateFileFields, RequestModel):
    pass


class CreateFile(_CreateFileFields, ResponseModel):
    pass


class _UpdateFileFields(BaseModel):
    type: Literal["update_file"]
    path: PatchPath
    diff: PatchDiff


class UpdateFileParam(_UpdateFileFields, RequestModel):
    pass


class UpdateFile(_UpdateFileFields, ResponseModel):
    pass


class _DeleteFileFields(BaseModel):
    type: Literal["delete_file"]
    path: PatchPath


class DeleteFileParam(_DeleteFileFields, RequestModel):
    pass


class DeleteFile(_DeleteFileFields, ResponseModel):
    pass


PatchOperationParam = Annotated[
    CreateFileParam | UpdateFileParam | DeleteFileParam, Field(discriminator="type")
]
PatchOperation = Annotated[CreateFile | UpdateFile | DeleteFile, Field(discriminator="type")]
