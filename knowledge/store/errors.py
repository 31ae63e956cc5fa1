"""Errors the store raises; each says which entry and why."""


class StoreError(Exception):
    """Base class for content store errors."""


class MissingEntryError(StoreError, LookupError):
    """No entry (or no such version) with that code."""


class DuplicateEntryError(StoreError):
    """Another entry already uses that code or name."""


class InvalidTransitionError(StoreError):
    """The requested status change is not allowed from the entry's current status."""
