"""Writing the saved index: every file through a temporary one, the manifest last."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowledge.index.vectors import Snapshot


def write_atomic(path: Path, data: bytes) -> None:
    """Write through a temporary file, so a reader never sees half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def write_index_files(folder: Path, bm25: bytes, vectors: Snapshot, meta: dict, manifest: dict) -> None:
    """The saved index: BM25, faiss and its vectors, the texts, and last the manifest that says
    which content they hold (a reader checks the manifest first)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / "bm25.pkl", bm25)
    vectors.write(folder / "vectors.faiss")
    write_atomic(folder / "texts.json", json.dumps(meta, ensure_ascii=False).encode("utf-8"))
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
