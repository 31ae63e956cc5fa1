"""The search lock: searches share it, a change has it alone, and a waiting change goes first."""

from __future__ import annotations

import threading
import time

from knowledge.index.locks import SearchLock


def test_searches_share_the_lock():
    lock, inside, both = SearchLock(), [], threading.Barrier(2, timeout=5)

    def search():
        with lock.shared():
            inside.append(1)
            both.wait()  # both searches are inside at once, or this times out

    threads = [threading.Thread(target=search) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert inside == [1, 1]


def test_a_waiting_change_goes_before_later_searches():
    lock, order = SearchLock(), []
    first_in, release = threading.Event(), threading.Event()

    def first_search():
        with lock.shared():
            first_in.set()
            release.wait(5)
        order.append("first search")

    def change():
        with lock.exclusive():
            order.append("change")

    def later_search():
        with lock.shared():
            order.append("later search")

    a = threading.Thread(target=first_search)
    a.start()
    assert first_in.wait(5)
    w = threading.Thread(target=change)
    w.start()
    while lock._waiting == 0:
        time.sleep(0.001)
    b = threading.Thread(target=later_search)
    b.start()
    time.sleep(0.05)
    assert order == []  # the change waits for the first search, the later search for the change
    release.set()
    for t in (a, w, b):
        t.join(5)
    assert order.index("change") < order.index("later search")


def test_a_stream_of_searches_does_not_starve_a_change():
    lock, stop, waited = SearchLock(), threading.Event(), []

    def searches():
        while not stop.is_set():
            with lock.shared():
                time.sleep(0.001)

    readers = [threading.Thread(target=searches) for _ in range(3)]
    for t in readers:
        t.start()
    time.sleep(0.05)
    start = time.perf_counter()
    with lock.exclusive():
        waited.append(time.perf_counter() - start)
    stop.set()
    for t in readers:
        t.join(5)
    assert waited[0] < 1.0


def test_the_change_may_take_it_again_and_search_its_own_state():
    lock = SearchLock()
    with lock.exclusive():
        with lock.exclusive():
            with lock.shared():
                pass
        assert lock._writer == threading.get_ident()
    assert lock._writer is None and lock._readers == 0
