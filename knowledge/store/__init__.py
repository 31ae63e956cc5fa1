"""The content store: versioned guides and bundles with publish/retire/restore and an audit log."""

from knowledge.store.content import ContentStore, EntrySummary, StoredEntry, VersionInfo
from knowledge.store.errors import (
    DuplicateEntryError,
    InvalidTransitionError,
    MissingEntryError,
    StoreError,
)

__all__ = [
    "ContentStore",
    "DuplicateEntryError",
    "EntrySummary",
    "InvalidTransitionError",
    "MissingEntryError",
    "StoreError",
    "StoredEntry",
    "VersionInfo",
]
