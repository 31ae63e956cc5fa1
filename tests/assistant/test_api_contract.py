"""Issue 14, done-when: a bounded schemathesis run over every operation, as an anonymous
caller, a hotline operator and an admin: no server error, no response that breaks the schema
``/openapi.json`` declares, no undeclared status code. In-process (ASGI), offline, seeded."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

NOT_JSON = {"/", "/staff", "/admin", "/desk", "/wechat", "/api/admin/export", "/api/admin/stats.csv",
            "/api/admin/import"}  # multipart upload: tests/assistant/test_import_limit.py  # fmt: skip
MAX_EXAMPLES = 6  # per operation and role; ~70 operations x 3 roles stay within a minute or two


@pytest.fixture(scope="module")
def contract_client(tmp_path_factory, sample_entries, stub_index_dir):
    from fastapi.testclient import TestClient

    from assistant.app import create_app
    from assistant.settings import Settings
    from knowledge.retrieval import Retriever
    from nlu.synonyms import SynonymTable
    from nlu.tokenizer import ChineseTokenizer
    from tests.stubs import STUB_THRESHOLDS, HashEmbedder

    retriever = Retriever(
        HashEmbedder(), ChineseTokenizer(), SynonymTable.load(), STUB_THRESHOLDS, index_dir=stub_index_dir
    )
    retriever.warm_up(sample_entries)
    var = tmp_path_factory.mktemp("contract")
    app = create_app(Settings(var_dir=var, search_enabled=False, rasa_url="", rate_limit_per_minute=1e9,
                              rate_limit_burst=1_000_000), retriever=retriever)  # fmt: skip
    client = TestClient(app, raise_server_exceptions=False)
    client.__enter__()
    services = app.state.services
    services.store.save_many(sample_entries, author="seed", publish=True)
    services.accounts.add("hotline1", "hotline password 1", "staff")
    services.accounts.add("admin1", "admin password 1", "admin")
    tokens = {"anonymous": {}}
    for role, user, password in (("staff", "hotline1", "hotline password 1"), ("admin", "admin1", "admin password 1")):
        resp = client.post("/api/auth/login", json={"username": user, "password": password})
        tokens[role] = {"Authorization": f"Bearer {resp.json()['token']}"}
    client.cookies.clear()
    client.tokens = tokens
    yield client
    client.__exit__(None, None, None)


def _spec() -> dict:
    """The schema of an app that is not started (building it loads nothing)."""
    import tempfile

    from assistant.app import create_app
    from assistant.settings import Settings

    spec = create_app(Settings(var_dir=tempfile.mkdtemp(), search_enabled=False, rasa_url="")).openapi()
    return {**spec, "paths": {p: ops for p, ops in spec["paths"].items() if p not in NOT_JSON}}


schema = schemathesis.openapi.from_dict(_spec())


def _send(client, case, headers):
    kw = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
    method, url = kw.pop("method"), kw.pop("url")
    body = {}
    if "json" in kw:
        body["json"] = kw.pop("json")
    if "data" in kw:
        data = kw.pop("data")
        body["content" if isinstance(data, bytes | str) else "data"] = data
    if "files" in kw:
        body["files"] = kw.pop("files")
    client.cookies.clear()
    return client.request(method, url, headers=kw.get("headers"), params=kw.get("params"), **body)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))  # fmt: skip
def test_every_operation_keeps_its_contract(case, contract_client):
    for role, headers in contract_client.tokens.items():
        response = _send(contract_client, case, headers)
        case.validate_response(
            response, checks=[not_a_server_error, response_schema_conformance, status_code_conformance]
        )
