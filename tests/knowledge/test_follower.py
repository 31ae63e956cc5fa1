"""What another worker published or retired reaches this worker's listeners, missed nudges too."""

from __future__ import annotations

from assistant.database import open_store
from knowledge.schema import ServiceGuide
from knowledge.store.follower import ContentFollower


def test_another_workers_changes_are_heard_once_and_in_order(db_url, sample_entries):
    here, elsewhere = open_store(db_url), open_store(db_url)  # two workers, one database
    guides = [e for e in sample_entries if isinstance(e, ServiceGuide)][:3]
    try:
        here.save_many(guides[:2], author="seed", publish=True)
        follower = ContentFollower(here)  # taken before this worker reads the content
        heard = []
        here.subscribe(heard.append, name="search")
        assert follower.catch_up() == 0

        first, second, third = guides
        changed = first.model_copy(update={"similar_questions": [*first.similar_questions, "红本本丢了"]})
        elsewhere.save(changed, author="editor", publish=True)  # several changes, no nudge heard
        elsewhere.retire(second.code, author="editor")
        elsewhere.save(third, author="editor", publish=True)
        assert follower.catch_up() == 3
        got = sorted((e.action, e.code, e.version, e.remote) for e in heard)
        assert got == sorted([
            ("publish", first.code, 2, True), ("retire", second.code, None, True), ("publish", third.code, 1, True),
        ])  # fmt: skip
        assert next(e for e in heard if e.code == first.code).content.similar_questions[-1] == "红本本丢了"
        assert follower.catch_up() == 0  # nothing twice

        heard.clear()
        here.save(second, author="editor", publish=True)  # this worker's own change: heard at once
        assert [(e.action, e.remote) for e in heard] == [("publish", False)]
        assert follower.catch_up() == 0
    finally:
        here.engine.dispose()
        elsewhere.engine.dispose()
