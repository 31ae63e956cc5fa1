"""Errors the store raises; each says which entry and why (in Chinese: editors read it as it is)."""

from foundation.errors import ServiceError


class StoreError(ServiceError):
    """Base class for content store errors."""

    kind = "conflict"

    def __init__(self, message: str, user_message: str | None = None) -> None:
        super().__init__(message, user_message or message)


class MissingEntryError(StoreError, LookupError):
    """No entry (or no such version) with that code."""

    kind = "not_found"


class DuplicateEntryError(StoreError):
    """Another entry already uses that code or name."""


class InvalidTransitionError(StoreError):
    """The requested status change is not allowed from the entry's current status."""
