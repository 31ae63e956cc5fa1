"""The migrations build exactly the tables the models declare (a model changed without its
migration, or a migration forgotten in ``assistant/migrations/versions``, shows here)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from assistant.database import metadata, migrate
from foundation.db import make_engine


def test_migrated_schema_matches_the_models(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'schema.db'}")
    migrate(engine)
    migrate(engine)  # idempotent
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata()) == []
    engine.dispose()
