"""Moved to ``foundation.db`` (shared by every layer's tables); kept so older imports still work."""

from foundation.db import NAMING, Base, make_engine, session_factory

__all__ = ["NAMING", "Base", "make_engine", "session_factory"]
