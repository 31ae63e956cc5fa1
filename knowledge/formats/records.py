"""A record as read from a file, before validation, with the location of each of its parts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from knowledge.schema import Kind

Loc = tuple[str | int, ...]


@dataclass
class RawRecord:
    kind: Kind
    data: dict[str, Any]
    file: str
    # field path (as in pydantic error locations) -> "line 12" / "sheet guides, row 5"
    places: dict[Loc, str] = field(default_factory=dict)

    def where(self, loc: Loc = ()) -> str:
        """The most precise known place for ``loc`` (the longest recorded prefix)."""
        for n in range(len(loc), -1, -1):
            place = self.places.get(tuple(loc[:n]))
            if place:
                return place
        return ""

    @property
    def label(self) -> str:
        code = self.data.get("code") if isinstance(self.data, dict) else None
        name = self.data.get("name") if isinstance(self.data, dict) else None
        return f"{name or '?'}（{code or '无编码'}）"
