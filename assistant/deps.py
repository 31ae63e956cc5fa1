"""Dependencies shared by the routes (Annotated aliases, one place)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from assistant.settings import Settings, get_settings
from knowledge.store import ContentStore


def get_store(request: Request) -> ContentStore:
    return request.app.state.store


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[ContentStore, Depends(get_store)]
