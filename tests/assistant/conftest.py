"""App clients for the route tests: the sample KB published, search on a given retriever;
the trained dialogue model and one live Rasa + app pair shared by the end-to-end modules."""

from __future__ import annotations

import os
import socket

import pytest
from fastapi.testclient import TestClient

from assistant import dialogue_server as ds
from assistant.app import create_app
from assistant.settings import Settings
from tests.connectors.fakes import serve


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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def model(sample_entries):
    """(settings, model file) of the dialogue model, trained unless its inputs are unchanged."""
    if not ds.rasa_installed():
        if os.environ.get("YICHUANG_REQUIRE_RASA"):
            pytest.fail("Rasa is not installed (.venv-rasa): `make test` installs it")
        pytest.skip("Rasa is not installed: run `make rasa-env`")
    from assistant.matching import write_kb_dictionary

    settings = Settings(var_dir=ds.ROOT / "var")
    return settings, ds.train(settings, write_kb_dictionary(settings, sample_entries)).model


@pytest.fixture(scope="session")
def live(model, real_retriever, sample_entries, tmp_path_factory):
    """(app URL, RasaProcess, app): the app served on a free port with Rasa as its dialogue server."""
    root_settings, model_file = model
    rasa_url = f"http://127.0.0.1:{_free_port()}"
    settings = Settings(
        var_dir=tmp_path_factory.mktemp("e2e"), search_enabled=False, rasa_url=rasa_url,
        rasa_retry_after=1.0, rate_limit_per_minute=10_000, rate_limit_burst=10_000,
    )  # fmt: skip
    app = create_app(settings, retriever=real_retriever)
    with serve(app) as app_url:
        app.state.services.store.save_many(sample_entries, author="seed", publish=True)
        rasa = ds.RasaProcess(root_settings.model_copy(update={"rasa_url": rasa_url}), model_file, f"{app_url}/webhook")
        rasa.start()
        try:
            yield app_url, rasa, app
        finally:
            rasa.stop()


@pytest.fixture
def ed(client, bearer):
    """An editor's bearer headers on the module's ``client`` (a staffed app)."""
    return bearer(client, "editor1", "editor password 1")
