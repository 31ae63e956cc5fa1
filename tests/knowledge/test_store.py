"""Versions, publish/retire/restore and the audit log, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from knowledge.schema import EntryStatus, ServiceGuide
from knowledge.store import DuplicateEntryError, InvalidTransitionError, MissingEntryError


def _guide(sample_entries, name="居民身份证补领") -> ServiceGuide:
    return next(e for e in sample_entries if e.name == name)


def test_save_creates_draft_invisible_to_citizens(store, sample_entries):
    g = _guide(sample_entries)
    stored = store.save(g, author="editor-a", note="first")
    assert stored.status == EntryStatus.DRAFT and stored.version == 1
    with pytest.raises(MissingEntryError):
        store.get(g.code)
    assert store.published() == []


def test_publish_then_edit_keeps_published_version_until_republished(store, sample_entries):
    g = _guide(sample_entries)
    store.save(g, author="a", publish=True)
    edited = g.model_copy(update={"fee": "工本费40元（另收加急费）"})
    draft = store.save(edited, author="b", note="费用调整")
    assert draft.version == 2 and draft.published_version == 1
    assert store.get(g.code).content.fee == g.fee  # citizens still see v1
    store.publish(g.code, author="c")
    assert store.get(g.code).content.fee == "工本费40元（另收加急费）"
    assert [v.version for v in store.history(g.code)] == [1, 2]


def test_unchanged_content_makes_no_new_version(store, sample_entries):
    g = _guide(sample_entries)
    store.save(g, author="a")
    store.save(g, author="a")
    assert len(store.history(g.code)) == 1


def test_restore_brings_back_old_content_as_new_version(store, sample_entries):
    g = _guide(sample_entries)
    store.save(g, author="a", publish=True)
    store.save(g.model_copy(update={"fee": "错误的收费"}), author="b", publish=True)
    restored = store.restore(g.code, 1, author="c", publish=True)
    assert restored.version == 3
    assert store.get(g.code).content == g
    assert store.history(g.code)[-1].note == "恢复自版本 1"


def test_retire_hides_entry_and_can_be_republished(store, sample_entries):
    g = _guide(sample_entries)
    store.save(g, author="a", publish=True)
    store.retire(g.code, author="b", note="事项取消")
    with pytest.raises(MissingEntryError):
        store.get(g.code)
    with pytest.raises(InvalidTransitionError):
        store.retire(g.code, author="b")
    store.publish(g.code, author="c")
    assert store.get(g.code).status == EntryStatus.PUBLISHED


def test_audit_log_records_who_did_what(store, sample_entries):
    g = _guide(sample_entries)
    store.save(g, author="alice", note="新建")
    store.publish(g.code, author="bob")
    store.retire(g.code, author="carol")
    actions = [(r["actor"], r["action"]) for r in reversed(store.audit(g.code))]
    assert actions == [("alice", "create"), ("bob", "publish"), ("carol", "retire")]


def test_duplicate_name_under_other_code_is_refused_and_nothing_written(store, sample_entries):
    g = _guide(sample_entries)
    other = _guide(sample_entries, "户口簿补领")
    clash = other.model_copy(update={"name": g.name})
    with pytest.raises(DuplicateEntryError):
        store.save_many([g, clash], author="a", publish=True)
    assert store.count() == 0  # the whole batch was rolled back


def test_missing_version_is_reported(store, sample_entries):
    g = _guide(sample_entries)
    store.save(g, author="a")
    with pytest.raises(MissingEntryError):
        store.publish(g.code, author="a", version=9)


def test_publish_notifies_listeners_after_commit(store, sample_entries):
    events = []
    store.subscribe(events.append)
    g = _guide(sample_entries)
    store.save(g, author="a", publish=True)
    store.retire(g.code, author="a")
    assert [(e.action, e.code) for e in events] == [("publish", g.code), ("retire", g.code)]


def test_whole_sample_loads_and_publishes(loaded_store):
    assert loaded_store.count("guide", EntryStatus.PUBLISHED) == 119
    assert loaded_store.count("bundle", EntryStatus.PUBLISHED) == 17
