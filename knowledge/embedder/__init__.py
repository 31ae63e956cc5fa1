"""Sentence embeddings: model preparation (offline, at set-up time) and the encoder component."""

from knowledge.embedder.encoder import Embedder
from knowledge.embedder.models import ModelError, ModelSpec, prepare_model, resolve_model

__all__ = ["Embedder", "ModelError", "ModelSpec", "prepare_model", "resolve_model"]
