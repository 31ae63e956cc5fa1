"""Import content files into the store: validate everything first, then write it in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from knowledge.problems import Problem
from knowledge.schema import ServiceGuide
from knowledge.store import ContentStore
from knowledge.store.content import ImportReport
from knowledge.validation import validate_path


@dataclass
class ImportResult:
    problems: list[Problem] = field(default_factory=list)
    report: ImportReport | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def import_path(
    store: ContentStore, path: Path, *, author: str, publish: bool = True, note: str = ""
) -> ImportResult:
    """Validate ``path`` against itself and the store; on any problem nothing is written."""
    existing = store.find()
    known_guides = [e.code for e in existing if e.kind == "guide"]
    known_names = {e.name: e.code for e in existing}
    checked = validate_path(path, known_guides=known_guides, known_names=known_names)
    if not checked.ok:
        return ImportResult(problems=checked.problems)
    # guides first, so bundles published in the same run find their guides
    entries = sorted(checked.entries, key=lambda e: 0 if isinstance(e, ServiceGuide) else 1)
    report = store.save_many(entries, author=author, note=note or f"导入 {path}", publish=publish)
    return ImportResult(report=report)
