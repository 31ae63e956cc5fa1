"""A problem found in content, with the place an editor needs to fix it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    where: str  # "line 12" | "sheet guides, row 5" | ""
    field: str  # dotted path inside the entry, e.g. "materials[2].name"
    message: str
    entry: str = ""  # 名称（编码）

    def __str__(self) -> str:
        place = f"{self.file}:{self.where}" if self.where else self.file
        parts = [place]
        if self.entry:
            parts.append(self.entry)
        if self.field:
            parts.append(self.field)
        return ": ".join(parts) + f": {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {
            "file": self.file,
            "where": self.where,
            "field": self.field,
            "entry": self.entry,
            "message": self.message,
        }
