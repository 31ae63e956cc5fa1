"""The bottom layer: what every package shares and nothing of the project's own.

``db`` (engine, sessions, the tables' base metadata), ``logs`` (structured logging with a
masking step) and ``errors`` (the base of refusals the surfaces show to people). It imports
no other package of the project; ``nlu``, ``knowledge`` and ``connectors`` build on it and
never on ``assistant`` (tests/test_layers.py checks the direction).
"""
