"""Colloquial words → the terms guides use (上户口 → 出生登记, 驾照 → 机动车驾驶证…).

The table is data (``nlu/data/synonyms.yaml``) that editors extend; ``expand`` appends the
formal terms to a normalised question, so both BM25 and the embedding model see them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from nlu.normalize import normalize

DEFAULT_TABLE = Path(__file__).parent / "data" / "synonyms.yaml"


@dataclass(frozen=True)
class SynonymTable:
    pairs: tuple[tuple[str, str], ...]  # (colloquial, formal), longest colloquial first

    @classmethod
    def load(cls, path: Path = DEFAULT_TABLE) -> SynonymTable:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        pairs: list[tuple[str, str]] = []
        for i, item in enumerate(data.get("synonyms", []), start=1):
            formal = item.get("formal") if isinstance(item, dict) else None
            variants = item.get("colloquial") if isinstance(item, dict) else None
            if not formal or not isinstance(variants, list) or not variants:
                raise ValueError(f"{path}: synonyms 第 {i} 项需要 formal 和非空的 colloquial 列表")
            pairs.extend((normalize(v), normalize(formal)) for v in variants)
        pairs.sort(key=lambda p: -len(p[0]))
        return cls(tuple(pairs))

    def formal_terms(self, normalized: str) -> list[str]:
        found: list[str] = []
        for colloquial, formal in self.pairs:
            if colloquial in normalized and formal not in normalized and formal not in found:
                found.append(formal)
        return found

    def expand(self, normalized: str) -> str:
        terms = self.formal_terms(normalized)
        return f"{normalized} {' '.join(terms)}" if terms else normalized

    def words(self) -> set[str]:
        return {w for pair in self.pairs for w in pair}
