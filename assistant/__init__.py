"""一窗导办: the running service (API, CLI, settings, dialogue glue)."""

__version__ = "0.1.0"
