"""App clients for the route tests: the sample KB published, search on a given retriever."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assistant.app import create_app
from assistant.settings import Settings


@pytest.fixture
def app_client(tmp_path, sample_entries):
    """``app_client(retriever=None, **settings)`` -> a started TestClient; all are closed afterwards."""
    opened: list[TestClient] = []

    def make(retriever=None, **overrides) -> TestClient:
        settings = Settings(var_dir=tmp_path / f"app{len(opened)}", **{"search_enabled": False, "rasa_url": "", **overrides})
        client = TestClient(create_app(settings, retriever=retriever))
        client.__enter__()
        client.app.state.services.store.save_many(sample_entries, author="seed", publish=True)
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def bearer():
    """``bearer(client, user, password)`` -> Authorization headers of a fresh log-in (no cookie kept)."""

    def login(client: TestClient, user: str, password: str) -> dict[str, str]:
        resp = client.post("/api/auth/login", json={"username": user, "password": password})
        assert resp.status_code == 200, resp.text
        client.cookies.clear()
        return {"Authorization": f"Bearer {resp.json()['token']}"}

    return login


@pytest.fixture
def staffed_client(app_client, stub_retriever):
    """A client on the stub retriever with accounts editor1 (editor) and hotline1 (staff)."""
    client = app_client(stub_retriever)
    client.app.state.services.accounts.add("editor1", "editor password 1", "editor")
    client.app.state.services.accounts.add("hotline1", "hotline password 1", "staff")
    return client
