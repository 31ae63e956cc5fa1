"""A failing store listener neither undoes the publish nor keeps the others from hearing of it."""

from __future__ import annotations

from knowledge.schema import ServiceGuide


def _guide(entries):
    return next(e for e in entries if isinstance(e, ServiceGuide))


def test_failing_listener_is_isolated_and_catches_up_in_order(store, sample_entries):
    heard, flaky = [], []
    broken = True

    def search(event):
        if broken:
            raise RuntimeError("index unavailable")
        flaky.append((event.action, event.code))

    store.subscribe(search, name="search")
    store.subscribe(heard.append, name="bookable services")
    g = _guide(sample_entries)
    store.save(g, author="a", publish=True)  # must not raise: the commit stands
    store.retire(g.code, author="a")
    assert store.get(g.code, published=False).status == "retired"
    assert [(e.action, e.code) for e in heard] == [("publish", g.code), ("retire", g.code)]
    assert store.listeners.behind() == {"search": 2}
    assert store.listeners.catch_up() == {"search": 2}  # still failing: nothing lost, nothing skipped
    broken = False
    assert store.listeners.catch_up() == {}
    assert flaky == [("publish", g.code), ("retire", g.code)]


def test_a_backlog_is_delivered_before_newer_events(store, sample_entries):
    seen, fail = [], [True]

    def listener(event):
        if fail[0]:
            fail[0] = False
            raise RuntimeError("once")
        seen.append(event.action)

    store.subscribe(listener)
    g = _guide(sample_entries)
    store.save(g, author="a", publish=True)
    store.retire(g.code, author="a")  # the waiting publish goes first
    assert seen == ["publish", "retire"] and store.listeners.behind() == {}
