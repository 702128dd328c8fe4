"""The 9 computer actions (`computer_call.action` / `.actions`), discriminated on `type`.

Coordinates are integers and the wire key is `y` (the Ruby SDK renders it `y_`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ._base import RequestModel, ResponseModel


class _PointFields(BaseModel):
    x: int
    y: int


class DragPointParam(_PointFields, RequestModel):
    pass


class DragPoint(_PointFields, ResponseModel):
    pass


class _ClickFields(_PointFields):
    type: Literal["click"]
    button: Literal["left", "right", "wheel", "back", "forward"]
    keys: list[str] | None = None


class ClickParam(_ClickFields, RequestModel):
    pass


class Click(_ClickFields, ResponseModel):
    pass


class _DoubleClickFields(_PointFields):
    type: Literal["double_click"]


class DoubleClickParam(_DoubleClickFields, RequestModel):
    keys: list[str] | None
    """Required-nullable on the request side (SDK param and OAS)."""


class DoubleClick(_DoubleClickFields, ResponseModel):
    keys: list[str] | None = None


class _DragFields(BaseModel):
    type: Literal["drag"]
    keys: list[str] | None = None


class DragParam(_DragFields, RequestModel):
    path: list[DragPointParam]


class Drag(_DragFields, ResponseModel):
    path: list[DragPoint]


class _KeypressFields(BaseModel):
    type: Literal["keypress"]
    keys: list[str]


class KeypressParam(_KeypressFields, RequestModel):
    pass


class Keypress(_KeypressFields, ResponseModel):
    pass


class _MoveFields(_PointFields):
    type: Literal["move"]
    keys: list[str] | None = None


class MoveParam(_MoveFields, RequestModel):
    pass


class Move(_MoveFields, ResponseModel):
    pass


class _ScrollFields(_PointFields):
    type: Literal["scroll"]
    scroll_x: int
    scroll_y: int
    keys: list[str] | None = None


class ScrollParam(_ScrollFields, RequestModel):
    pass


class Scroll(_ScrollFields, ResponseModel):
    pass


class _TypeFields(BaseModel):
    type: Literal["type"]
    text: str


class TypeActionParam(_TypeFields, RequestModel):
    pass


class TypeAction(_TypeFields, ResponseModel):
    pass


class _WaitFields(BaseModel):
    type: Literal["wait"]


class WaitParam(_WaitFields, RequestModel):
    pass


class Wait(_WaitFields, ResponseModel):
    pass


class _ScreenshotFields(BaseModel):
    type: Literal["screenshot"]


class ScreenshotParam(_ScreenshotFields, RequestModel):
    pass


class Screenshot(_ScreenshotFields, ResponseModel):
    pass


ComputerActionParam = Annotated[
    ClickParam
    | DoubleClickParam
    | DragParam
    | KeypressParam
    | MoveParam
    | ScrollParam
    | TypeActionParam
    | WaitParam
    | ScreenshotParam,
    Field(discriminator="type"),
]
ComputerAction = Annotated[
    Click | DoubleClick | Drag | Keypress | Move | Scroll | TypeAction | Wait | Screenshot,
    Field(discriminator="type"),
]
