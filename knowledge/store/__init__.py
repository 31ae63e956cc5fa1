"""The content store: versioned guides and bundles with publish/retire/restore and an audit log."""

from foundation.db import Base, make_engine, session_factory
from knowledge.store.content import ContentStore, EntrySummary, StoredEntry, VersionInfo
from knowledge.store.errors import (
    DuplicateEntryError,
    InvalidTransitionError,
    MissingEntryError,
    StoreError,
)

__all__ = [
    "Base",
    "ContentStore",
    "DuplicateEntryError",
    "EntrySummary",
    "InvalidTransitionError",
    "MissingEntryError",
    "StoreError",
    "StoredEntry",
    "VersionInfo",
    "make_engine",
    "session_factory",
]
