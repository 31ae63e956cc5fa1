"""Publishes and retires made by other workers, heard by this worker's listeners too.

Each worker's listeners (search index, bookable services, known regions) hear the changes made
through its own store at once. What other workers changed reaches them here: ``catch_up()``
compares what this worker's listeners heard (code -> published version) with the store's
``published_versions()`` and hands the difference over as events (``remote=True``), in code
order, through the same ``Listeners`` — so a listener that fails keeps them in its backlog like
any other event. ``catch_up`` runs on every nudge of the bus (``foundation.bus``), after each
(re)connection of it and on the service's catch-up round; it reads state, not messages, so a
worker that missed messages, or many, is right after one call.
"""

from __future__ import annotations

from foundation.logs import get_logger
from knowledge.store.content import ChangeEvent, ContentStore
from knowledge.store.errors import MissingEntryError

log = get_logger(__name__)


class ContentFollower:
    def __init__(self, store: ContentStore) -> None:
        """Take the store's state *before* the listeners load the content (``store.published()``):
        a change between the two is then handed over once more, never missed."""
        self.store = store
        self._heard: dict[str, tuple[str, int]] = store.published_versions()  # code -> (kind, version)
        store.subscribe(self._hear, name="follower")

    def _hear(self, event: ChangeEvent) -> None:
        if event.action == "publish" and event.version is not None:
            self._heard[event.code] = (event.kind, event.version)
        elif event.action == "retire":
            self._heard.pop(event.code, None)

    def catch_up(self) -> int:
        """Hand over what other workers changed since this worker last looked; how many events."""
        listeners = self.store.listeners
        with listeners.delivery:
            now = self.store.published_versions()
            events = [
                ChangeEvent("retire", kind, code, None, remote=True)
                for code, (kind, _) in sorted(self._heard.items())
                if code not in now
            ]
            for code, (kind, version) in sorted(now.items()):
                if self._heard.get(code) == (kind, version):
                    continue
                try:
                    stored = self.store.get(code)
                except MissingEntryError:  # retired again meanwhile: the next round sees it gone
                    continue
                events.append(ChangeEvent("publish", kind, code, stored.content, stored.version, remote=True))
            if events:
                log.info("changes made by other workers", events=len(events))
                listeners.notify(events)
            return len(events)
