"""The migrations build exactly the tables the models declare (a model changed without its
migration, or a migration forgotten in ``assistant/migrations/versions``, shows here), on SQLite
and, where it answers, PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from assistant.database import metadata, migrate
from foundation.db import make_engine


def test_migrated_schema_matches_the_models(db_url):
    engine = make_engine(db_url)
    try:
        migrate(engine)
        migrate(engine)  # idempotent
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata())
        assert diff == [], diff
    finally:
        engine.dispose()
