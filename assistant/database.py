"""The database of the running service: engine, migrations, the content store."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, MetaData

from foundation.db import make_engine
from knowledge.store import ContentStore

MIGRATIONS = Path(__file__).parent / "migrations"


def metadata() -> MetaData:
    """Every table the project keeps, for Alembic."""
    import assistant.auth  # noqa: F401  (each import registers its tables)
    import assistant.human.tables  # noqa: F401
    import assistant.preferences  # noqa: F401
    import assistant.question_log  # noqa: F401
    import connectors.booking.tables  # noqa: F401
    import connectors.complaint.tables  # noqa: F401
    import connectors.outbox  # noqa: F401
    import knowledge.store.tables  # noqa: F401
    from foundation.db import Base

    return Base.metadata


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        # "heads": helpers add migrations side by side from the same parent (e.g. 0007 beside 0006);
        # every branch is applied. A later migration names all current heads as its down_revision.
        command.upgrade(cfg, "heads")


def open_store(url: str) -> ContentStore:
    engine = make_engine(url)
    migrate(engine)
    return ContentStore(engine)
