"""The endpoints file Rasa is started with: the app as action server, and Redis in a scale-out."""

from __future__ import annotations

import yaml

from assistant import dialogue_server as ds
from assistant.settings import Settings


def test_without_redis_only_the_action_server(tmp_path):
    written = yaml.safe_load(ds.write_endpoints(Settings(var_dir=tmp_path)).read_text(encoding="utf-8"))
    assert written == {
        "action_endpoint": {"url": "${YICHUANG_ACTION_URL}", "token": "${YICHUANG_ACTION_TOKEN}"}
    }


def test_with_redis_trackers_expire_and_locks_are_shared_and_no_secret_is_written(tmp_path):
    settings = Settings(var_dir=tmp_path, redis_url="redis://:s3cret@10.1.2.3:6380/4", conversation_ttl=900.5)
    path = ds.write_endpoints(settings)
    written = yaml.safe_load(path.read_text(encoding="utf-8"))
    tracker, lock = written["tracker_store"], written["lock_store"]
    assert tracker["type"] == lock["type"] == "redis" and tracker["url"] == lock["url"] == "10.1.2.3"
    assert (tracker["port"], tracker["db"], tracker["key_prefix"]) == (6380, 4, "yichuang")
    assert tracker["record_exp"] == 900 and isinstance(tracker["record_exp"], int)  # Rasa refuses a float
    assert "record_exp" not in lock
    assert tracker["password"] == "${YICHUANG_REDIS_PASSWORD}" and "s3cret" not in path.read_text()
    assert ds._endpoint_env(settings, "http://w/webhook")["YICHUANG_REDIS_PASSWORD"] == "s3cret"
