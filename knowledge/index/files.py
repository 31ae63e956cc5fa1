"""The saved index on disk: generations of main files and, beside them, a log of the changes since.

    <index dir>/manifest.json       {"format", "model", "generation", "seq"}: which generation is current
    <index dir>/gen-000007/         the main files as of change ``seq``: bm25.pkl, vectors.faiss
                                    (+ .vectors.npy, .alive.npy), texts.pkl
    <index dir>/gen-000007/delta.log  every change after ``seq``, appended on each publish or retire

A new generation is written whole in a ``.tmp`` folder, renamed, and only then named by the
manifest (written through a temporary file), so a reader sees the old generation or the new
one, never a mixture; older generations are removed afterwards.
"""

from __future__ import annotations

import json
import pickle
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

MANIFEST = "manifest.json"
LEGACY_FILES = (  # index format 2 kept its files beside the manifest
    "bm25.pkl",
    "vectors.faiss",
    "vectors.vectors.npy",
    "vectors.alive.npy",
    "texts.json",
)


def write_atomic(path: Path, data: bytes) -> None:
    """Write through a temporary file, so a reader never sees half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def write_parts(path: Path, parts: Iterable[object]) -> None:
    """Objects pickled one after another into one file, through a temporary one. Each part is a
    short C call, so searches get the GIL between parts while a compaction writes (one
    ``pickle.dumps`` of a million texts would hold it for seconds)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("wb") as fh:
        for part in parts:
            pickle.dump(part, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)


def read_parts(path: Path) -> Iterator[object]:
    with path.open("rb") as fh:
        while True:
            try:
                yield pickle.load(fh)
            except EOFError:
                return


def chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def generation_dir(folder: Path, generation: int) -> Path:
    return folder / f"gen-{generation:06d}"


def read_manifest(folder: Path) -> dict | None:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def next_generation(folder: Path) -> int:
    """A number no generation folder (finished or not) has used yet."""
    used = [0]
    for path in folder.glob("gen-*"):
        try:
            used.append(int(path.name.split("-")[1].split(".")[0]))
        except (IndexError, ValueError):
            continue
    return max(used) + 1


def new_generation_dir(folder: Path, generation: int) -> Path:
    """An empty ``.tmp`` folder to write a generation into."""
    tmp = generation_dir(folder, generation).with_suffix(".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    return tmp


def publish_generation(folder: Path, tmp: Path, manifest: dict) -> Path:
    """Make a written generation the current one: rename its folder, then point the manifest at it."""
    final = generation_dir(folder, manifest["generation"])
    tmp.replace(final)
    write_atomic(folder / MANIFEST, json.dumps(manifest).encode("utf-8"))
    return final


def remove_other_generations(folder: Path, keep: int) -> None:
    """Older generations, unfinished ones and the files of index format 2."""
    for path in folder.glob("gen-*"):
        if path.is_dir() and path.name != generation_dir(folder, keep).name:
            shutil.rmtree(path, ignore_errors=True)
    for name in LEGACY_FILES:
        (folder / name).unlink(missing_ok=True)
