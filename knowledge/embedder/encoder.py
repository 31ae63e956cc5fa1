"""The embedding component: ``warm_up()`` loads the model once; ``embed_*`` return L2-normalised float32."""

from __future__ import annotations

import os

import numpy as np

from knowledge.embedder.models import ModelError, ModelSpec


class Embedder:
    def __init__(self, spec: ModelSpec, threads: int | None = None, batch_size: int = 64) -> None:
        self.spec = spec
        self.threads = threads
        self.batch_size = batch_size
        self._model = None
        self.dim = 0

    @property
    def name(self) -> str:
        return self.spec.name

    def warm_up(self) -> None:
        if self._model is not None:
            return
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        if not self.spec.folder.exists():
            raise ModelError(f"向量模型目录 {self.spec.folder} 不存在：请先运行 yichuang model prepare")
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        if self.threads:
            torch.set_num_threads(self.threads)
        self._model = SentenceTransformer(str(self.spec.folder), device="cpu", local_files_only=True)
        self._model.eval()
        self.dim = int(self._model.get_embedding_dimension())

    def _encode(self, texts: list[str], prefix: str) -> np.ndarray:
        if self._model is None:
            self.warm_up()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        import torch

        with torch.inference_mode():
            vectors = self._model.encode(  # type: ignore[union-attr]
                [prefix + t for t in texts],
                batch_size=self.batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.spec.query_prefix)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.spec.passage_prefix)
