"""The search lock: searches share it, a change (publish, retire, a compaction's two short steps)
takes it alone, and a waiting change goes before searches that arrive after it.

A plain lock is not fair: a stream of searches, each re-taking it as soon as it is free, kept a
compaction waiting for over a minute at 100k texts on 2 cores, and would do the same to a
publish. Searches only read the index (their caches are filled idempotently), and faiss and numpy
release the GIL, so two searches may also run at once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class SearchLock:
    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer: int | None = None  # the thread holding it alone
        self._depth = 0  # how often that thread took it (it may take it again)
        self._waiting = 0  # changes waiting: new searches let them go first

    @contextmanager
    def shared(self) -> Iterator[None]:
        me = threading.get_ident()
        if self._writer == me:  # a change that searches (the writer reads its own state)
            yield
            return
        with self._cond:
            while self._writer is not None or self._waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if self._readers == 0:
                    self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        me = threading.get_ident()
        with self._cond:
            if self._writer == me:
                self._depth += 1
            else:
                self._waiting += 1
                try:
                    while self._writer is not None or self._readers:
                        self._cond.wait()
                finally:
                    self._waiting -= 1
                self._writer, self._depth = me, 1
        try:
            yield
        finally:
            with self._cond:
                self._depth -= 1
                if self._depth == 0:
                    self._writer = None
                    self._cond.notify_all()
