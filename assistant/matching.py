"""Assembling the matching core for the running service and the CLI (one way to build it)."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

from assistant.settings import Settings
from knowledge.embedder import Embedder, ModelError, prepare_model
from knowledge.embedder.models import is_prepared, resolve_model
from knowledge.ranker import load_learned
from knowledge.retrieval import Retriever, Thresholds
from knowledge.schema import Entry
from knowledge.vocabulary import kb_words
from nlu.dictionary import write_dictionary
from nlu.synonyms import SynonymTable
from nlu.tokenizer import ChineseTokenizer

CALIBRATION = Path(__file__).resolve().parent.parent / "knowledge" / "calibration.json"


def calibrated_thresholds(model: str, overrides: dict[str, float] | None = None) -> Thresholds:
    data = json.loads(CALIBRATION.read_text(encoding="utf-8")) if CALIBRATION.exists() else {}
    values = dict(data.get(model, {}))
    values.update(overrides or {})
    known = {f.name for f in fields(Thresholds)}
    return Thresholds(**{k: float(v) for k, v in values.items() if k in known})


def dictionary_dir(settings: Settings) -> Path:
    return settings.var_dir / "nlu" / "dictionary"


def write_kb_dictionary(settings: Settings, entries: list[Entry], synonyms: SynonymTable | None = None) -> Path:
    """The jieba dictionary folder from the content: our tokenizer and Rasa's read the same one."""
    return write_dictionary(dictionary_dir(settings), kb_words(entries), synonyms or SynonymTable.load())


def embedder_for(settings: Settings, model: str | None = None, *, prepare: bool = False) -> Embedder:
    name = model or settings.embedding_model
    spec = prepare_model(name, settings.models_dir) if prepare else resolve_model(name, settings.models_dir)
    if not prepare and not is_prepared(spec):
        raise ModelError(
            f"向量模型 {name} 还没有准备好：请先运行 yichuang model prepare（make run 会自动运行）"
        )
    return Embedder(spec, threads=settings.torch_threads, native_queries=settings.native_query_engine)


def build_retriever(
    settings: Settings, entries: list[Entry], model: str | None = None, embedder: Embedder | None = None
) -> Retriever:
    """Write the jieba dictionary, load the model and the index (building it if the content changed)."""
    synonyms = SynonymTable.load()
    folder = write_kb_dictionary(settings, entries, synonyms)
    embedder = embedder or embedder_for(settings, model)
    retriever = Retriever(
        embedder,
        ChineseTokenizer(folder),
        synonyms,
        calibrated_thresholds(embedder.name, settings.retrieval_overrides),
        index_dir=settings.index_dir,
        learned=load_learned(embedder.name) if settings.learned_decision else None,
    )
    retriever.warm_up(entries)
    return retriever
