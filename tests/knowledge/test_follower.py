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


def test_what_citizens_see_is_read_once_and_follows_every_change(db_url, sample_entries):
    """``published()`` is kept between changes (a booking reads it every turn) and is never stale:
    this worker's publish and another worker's retire, once followed, show at the next read."""
    from sqlalchemy import event

    here, elsewhere = open_store(db_url), open_store(db_url)
    first, second = [e for e in sample_entries if isinstance(e, ServiceGuide)][:2]
    reads = []
    event.listen(here.engine, "before_cursor_execute", lambda *args: reads.append(1))
    try:
        here.save(first, author="seed", publish=True)
        follower = ContentFollower(here)
        assert [g.code for g in here.published("guide")] == [first.code]
        before = len(reads)
        assert [g.code for g in here.published("guide")] == [first.code]
        assert len(reads) == before  # kept: no query the second time

        here.save(second, author="editor", publish=True)  # this worker's own change
        assert {g.code for g in here.published("guide")} == {first.code, second.code}
        elsewhere.retire(first.code, author="editor")  # another worker's
        follower.catch_up()
        assert [g.code for g in here.published("guide")] == [second.code]
        assert [g.code for g in here.published()] == [second.code]  # every kind's list was dropped
    finally:
        here.engine.dispose()
        elsewhere.engine.dispose()
