"""Shared fixtures: the sample knowledge base, stores on SQLite and (where it answers) PostgreSQL."""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "knowledge" / "data"
PG_ADMIN_URL = os.environ.get("YICHUANG_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_TEST_URL = os.environ.get("YICHUANG_TEST_REDIS", "redis://127.0.0.1:6379/13")  # a db of the tests' own


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _pg_answers() -> bool:
    return _answers(5432)


def flushed_redis(url: str) -> str:
    """``url``'s database emptied (skips when Redis does not answer); the tests' own db number."""
    import redis

    if not _answers(int(url.rsplit(":", 1)[1].split("/")[0])):
        pytest.skip("Redis does not answer on 127.0.0.1:6379")
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


@pytest.fixture
def redis_url():
    url = flushed_redis(REDIS_TEST_URL)
    yield url
    flushed_redis(url)


@pytest.fixture(scope="session")
def sample_report():
    from knowledge.validation import validate_path

    report = validate_path(DATA)
    assert report.ok, "\n".join(str(p) for p in report.problems)
    return report


@pytest.fixture(scope="session")
def sample_entries(sample_report):
    return sample_report.entries


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def postgres_url():
    if not _pg_answers():
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432")
    from sqlalchemy import create_engine, text

    name = f"yichuang_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the server answers but refuses us: say why
        admin.dispose()
        pytest.skip(f"cannot create a PostgreSQL test database: {exc}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request) -> str:
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(db_url):
    from assistant.database import open_store

    s = open_store(db_url)
    yield s
    s.engine.dispose()


@pytest.fixture
def loaded_store(store, sample_entries):
    store.save_many(sample_entries, author="test", publish=True)
    return store


MODELS_DIR = ROOT / "var" / "models"


@pytest.fixture(scope="session")
def prepared_models() -> Path:
    """The model folders `make test` prepares (yichuang model prepare); tests never build them."""
    from knowledge.embedder.models import is_prepared, resolve_model

    if not is_prepared(resolve_model("e5-small", MODELS_DIR)):
        pytest.skip("e5-small is not prepared: run `make test` (it runs `yichuang model prepare`)")
    return MODELS_DIR


@pytest.fixture(scope="session")
def real_retriever(prepared_models, sample_entries, tmp_path_factory):
    """One retriever on the real default model for the whole session."""
    from assistant.matching import build_retriever
    from assistant.settings import Settings

    var = tmp_path_factory.mktemp("var")
    settings = Settings(var_dir=var, models_dir=prepared_models, index_dir=ROOT / "var" / "index")
    return build_retriever(settings, sample_entries)


@pytest.fixture(scope="session")
def stub_index_dir(tmp_path_factory) -> Path:
    # shared: an index whose content fingerprint matches is loaded, any other is rebuilt
    return tmp_path_factory.mktemp("stub-index")


@pytest.fixture
def stub_retriever(sample_entries, stub_index_dir):
    """A fresh retriever over the sample KB with the stub embedding backend (no model)."""
    from knowledge.retrieval import Retriever
    from nlu.synonyms import SynonymTable
    from nlu.tokenizer import ChineseTokenizer
    from tests.stubs import STUB_THRESHOLDS, HashEmbedder

    r = Retriever(
        HashEmbedder(), ChineseTokenizer(), SynonymTable.load(), STUB_THRESHOLDS, index_dir=stub_index_dir
    )
    r.warm_up(sample_entries)
    return r
