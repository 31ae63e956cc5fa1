from __future__ import annotations

import pytest

RESTAURANT = "YJS-370199-002"


@pytest.fixture
def client(app_client):
    return app_client()


def test_health_counts_published_content(client):
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["guides"] == 119 and body["bundles"] == 17


def test_list_and_filter_guides(client):
    all_guides = client.get("/api/guides").json()
    assert len(all_guides) == 119
    police = client.get("/api/guides", params={"department": "示例市公安局"}).json()
    assert police and all(g["department"] == "示例市公安局" for g in police)
    found = client.get("/api/guides", params={"q": "身份证"}).json()
    assert {g["name"] for g in found} >= {"居民身份证补领", "居民身份证换领"}


def test_get_guide_in_full(client):
    code = client.get("/api/guides", params={"q": "居民身份证补领"}).json()[0]["code"]
    body = client.get(f"/api/guides/{code}").json()
    assert body["content"]["name"] == "居民身份证补领" and body["content"]["materials"]
    assert body["version"] == 1


def test_unknown_code_is_a_404_in_chinese(client):
    resp = client.get("/api/guides/370199-000000000000-QR-000-01")
    assert resp.status_code == 404 and "没有找到" in resp.json()["detail"]
    assert client.get(f"/api/guides/{RESTAURANT}").status_code == 404  # a bundle is not a guide


def test_bundle_and_checklist(client):
    bundle = client.get(f"/api/bundles/{RESTAURANT}").json()
    assert bundle["content"]["name"] == "开办餐饮店一件事"
    resp = client.post(
        f"/api/bundles/{RESTAURANT}/checklist", json={"answers": {"entity": "个体工商户", "small_shop": "是"}}
    )
    assert resp.status_code == 200
    names = [g["name"] for g in resp.json()["guides"]]
    assert "小餐饮经营登记" in names and "食品经营许可" not in names
    bad = client.post(f"/api/bundles/{RESTAURANT}/checklist", json={"answers": {"small_shop": "大概"}})
    assert bad.status_code == 422 and "应为" in bad.json()["detail"]


def test_retired_guide_disappears_from_api(client):
    code = client.get("/api/guides", params={"q": "户口簿补领"}).json()[0]["code"]
    client.app.state.services.store.retire(code, author="test")
    assert client.get(f"/api/guides/{code}").status_code == 404
    assert len(client.get("/api/guides").json()) == 118
