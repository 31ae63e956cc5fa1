"""The changes since the last compaction, as an append-only file beside the main index files.

Each publish or retire is one record: everything needed to apply it again without the model or
the tokenizer (ids, texts, their tokens and vectors, the texts it replaced and their tokens),
so loading main files + log gives the index exactly as it was. A record is framed by its
length and CRC-32; a torn last record (the process died while appending) is cut off when read,
and the startup check against the store (``Retriever.warm_up``) re-applies what it lacked.
"""

from __future__ import annotations

import pickle
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.index.files import write_atomic

_FRAME = struct.Struct("<II")  # payload length, CRC-32 of the payload


@dataclass(frozen=True)
class Published:
    """An entry (re)published: its old texts removed, its new ones added from ``first_id`` on."""

    seq: int
    doc: Any  # knowledge.ranking.SearchDoc
    digest: str
    removed: list[tuple[int, list[str]]]  # (text id, tokens it was indexed with)
    first_id: int
    texts: list[str]
    tokens: list[list[str]]
    vectors: np.ndarray  # float32, one row per text
    regions: dict[str, str]


@dataclass(frozen=True)
class Retired:
    seq: int
    kind: str
    code: str
    removed: list[tuple[int, list[str]]]


Change = Published | Retired


def _frame(change: Change) -> bytes:
    payload = pickle.dumps(change, protocol=pickle.HIGHEST_PROTOCOL)
    return _FRAME.pack(len(payload), zlib.crc32(payload)) + payload


class DeltaLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, changes: list[Change]) -> None:
        if changes:
            with self.path.open("ab") as fh:
                fh.write(b"".join(_frame(c) for c in changes))

    def write(self, changes: list[Change]) -> None:
        """The whole log at once (a new generation's, with the changes its main files lack)."""
        write_atomic(self.path, b"".join(_frame(c) for c in changes))

    def read(self, repair: bool = True) -> list[Change]:
        """Every whole record; with ``repair`` (the log's writer only) a damaged tail is cut off the
        file, so later appends follow good records."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        changes: list[Change] = []
        offset = 0
        while offset + _FRAME.size <= len(data):
            size, crc = _FRAME.unpack_from(data, offset)
            payload = data[offset + _FRAME.size : offset + _FRAME.size + size]
            if len(payload) < size or zlib.crc32(payload) != crc:
                break
            try:
                change = pickle.loads(payload)
            except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
                break
            changes.append(change)
            offset += _FRAME.size + size
        if repair and offset < len(data):
            with self.path.open("r+b") as fh:
                fh.truncate(offset)
        return changes
