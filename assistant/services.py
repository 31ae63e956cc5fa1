"""The one place that builds the running services (the composition root).

``build(settings)`` opens the database and wires the store, search, the conversation, the
hand-off connectors, the review queues, staff accounts and the channels; ``close()`` releases
them. The FastAPI lifespan, the CLI and the tests all go through here, so a service is
assembled one way only. Routes never see this module's internals: they ask ``assistant.deps``
for the one service they need.

    services = build(settings)                 # everything the settings switch on
    services = build(settings, search=False)   # the CLI's operator commands: no model loaded
    services = build(settings, retriever=r)    # tests share one retriever between apps

Several workers of one deployment (``YICHUANG_REDIS_URL``, PostgreSQL) share through
``shared_state(settings)`` what one process would keep to itself, and hear each other's
publishes through the bus (``foundation.bus``) and the ``ContentFollower``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import anyio

from assistant.actions import ActionRegistry, build_actions
from assistant.audit import AuditTrail
from assistant.auth import Accounts
from assistant.background import Periodic
from assistant.conversation import Conversation
from assistant.database import open_store
from assistant.dialogue.context import ConversationMemory
from assistant.dialogue_server import rasa_api_token
from assistant.handoff import KnownRegions, build_booking, build_complaints, build_outbox_worker, sealer
from assistant.human.relay import HumanRelay, build_relay
from assistant.login_guard import LoginGuard
from assistant.logs import get_logger
from assistant.matching import build_retriever
from assistant.observability import Metrics, store_gauges
from assistant.preferences import ReadingPreferences
from assistant.question_log import QuestionLog, pseudonym_key
from assistant.retrieval_dialogue import RetrievalDialogue
from assistant.settings import Settings
from assistant.supervisor import DialogueSupervisor
from assistant.wechat_channel import WeChatChannel
from connectors.booking.protocol import BookingService
from connectors.complaint.protocol import ComplaintService
from connectors.outbox import Outbox, OutboxWorker
from connectors.wechat.crypto import MessageCrypto
from foundation.bus import Bus, open_bus
from foundation.shared_state import SharedState, open_state
from knowledge.ratings import RatingLog
from knowledge.retrieval import Retriever
from knowledge.store import ContentStore
from knowledge.store.content import ChangeEvent
from knowledge.store.follower import ContentFollower
from knowledge.unanswered import UnansweredLog

log = get_logger(__name__)
SEARCH = "search"  # the search index's name among the store's listeners


@dataclass
class Channels:
    """Text channels besides the web page; each is None while its settings are empty."""

    wechat: WeChatChannel | None = None
    wechat_crypto: MessageCrypto | None = None  # safe mode (EncodingAESKey configured)

    def close(self) -> None:
        if self.wechat is not None:
            self.wechat.close()


@dataclass
class Services:
    settings: Settings
    store: ContentStore
    unanswered: UnansweredLog
    ratings: RatingLog
    questions: QuestionLog  # every citizen turn (masked): the statistics and the queues' context
    accounts: Accounts
    audit: AuditTrail  # the audit log beside content changes and log-ins: caller look-ups
    booking: BookingService
    complaints: ComplaintService
    outbox: Outbox
    conversation: Conversation
    metrics: Metrics
    action_pool: anyio.CapacityLimiter  # Rasa's action calls: threads of their own
    search_pool: anyio.CapacityLimiter  # /api/search: bounded, so a burst of searches leaves the chat its CPU
    relay: HumanRelay  # every turn goes through it: 转人工 and the staff inbox
    shared: SharedState  # this process's, or Redis: what every worker must see alike
    channels: Channels = field(default_factory=Channels)
    bus: Bus | None = None  # tells the other workers of a publish (Redis or PostgreSQL)
    follower: ContentFollower | None = None  # hears what the other workers published
    supervisor: DialogueSupervisor | None = None  # Rasa run beside the app (`yichuang serve`)
    retriever: Retriever | None = None  # None: search is off (or still to be built)
    dialogue: RetrievalDialogue | None = None  # the app's own conversation over search
    actions: ActionRegistry | None = None  # Rasa's custom actions (need the dialogue)
    forwarding: OutboxWorker | None = None  # None: no 12345 platform configured
    _loops: list[Periodic] = field(default_factory=list, repr=False)

    def start(self, supervise: bool = False) -> None:
        """Background work of a running service: forwarding the outbox to the 12345 platform,
        store listeners (search, bookable services) catching up after a failure, the 转人工 inbox; with
        ``supervise``, Rasa beside the app (started, watched, restarted, stopped in close)."""
        settings = self.settings
        if supervise and settings.rasa_url and settings.rasa_autostart and self.supervisor is None:
            self.supervisor = DialogueSupervisor(
                settings, f"{settings.own_url}/webhook", metrics=self.metrics
            )
            self.conversation.supervised(
                settings.rasa_url,
                lambda: self.supervisor is not None and self.supervisor.ready,
                home=bool(settings.redis_url),  # Rasa's trackers and locks are in Redis: any may go on
            )
            self.supervisor.start()
        if self._loops:
            return
        if self.bus is not None and self.follower is not None:
            self.bus.listen(lambda _message: self.follower.catch_up())  # and once on each (re)connection
        self._loops.append(Periodic("catch-up", self.catch_up, self.settings.catch_up_seconds))
        # hand-offs nobody took in time are announced (WeChat users get 客服消息), old lines forgotten
        self._loops.append(Periodic("inbox", self.relay.tick, self.relay.tick_seconds))
        self._loops.append(Periodic("question-log", self.questions.purge, 3600))  # the retention limit
        if self.forwarding is not None:
            self._loops.append(
                Periodic("outbox", self.forwarding.run_once, self.settings.outbox_interval_seconds)
            )
        for loop in self._loops:
            loop.start()

    def catch_up(self) -> dict[str, int]:
        """What the other workers published (missed nudges included), then listeners that failed."""
        if self.follower is not None:
            self.follower.catch_up()
        return self.store.listeners.catch_up()

    def behind(self) -> dict[str, int]:
        """Store listeners still catching up on publishes (name -> events waiting)."""
        return self.store.listeners.behind()

    def close(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop()
        self.channels.close()
        self.conversation.close()
        while self._loops:
            self._loops.pop().stop()
        if self.bus is not None:
            self.bus.close()
        self.shared.close()
        self.store.engine.dispose()

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


def shared_state(settings: Settings) -> SharedState:
    """Redis when ``redis_url`` is set (values sealed with the data key: citizens' words), else
    this process's own."""
    return open_state(settings.redis_url, sealer(settings) if settings.redis_url else None)


def _announce(bus: Bus):
    def announce(event: ChangeEvent) -> None:
        if not event.remote:  # what another worker made, that worker announced
            bus.publish(f"{event.action} {event.code}")

    return announce


def _channels(settings: Settings, relay: HumanRelay, engine, shared: SharedState) -> Channels:
    """The 公众号 channel when a token is configured (safe mode when an EncodingAESKey is too)."""
    if not settings.wechat_token:
        return Channels()
    from connectors.wechat.api import WeChatApi

    api = (
        WeChatApi(settings.wechat_api_base, settings.wechat_appid, settings.wechat_secret, state=shared)
        if settings.wechat_secret
        else None
    )
    crypto = (
        MessageCrypto(settings.wechat_token, settings.wechat_aes_key, settings.wechat_appid)
        if settings.wechat_aes_key
        else None
    )
    preferences = ReadingPreferences(engine, pseudonym_key(settings.secret_key))
    channel = WeChatChannel(relay, api, settings.wechat_reply_budget, preferences=preferences, state=shared)
    if api is not None:
        relay.push = channel.push  # staff replies and notices go out as 客服消息
    return Channels(channel, crypto)


def build(
    settings: Settings,
    *,
    retriever: Retriever | None = None,
    search: bool | None = None,
    store: ContentStore | None = None,
    booking: BookingService | None = None,
    complaints: ComplaintService | None = None,
    shared: SharedState | None = None,
) -> Services:
    """Every service the settings ask for. ``search`` (default: ``settings.search_enabled``)
    loads the embedding model and the index when no ``retriever`` is handed in; the other
    keywords replace one built-in service (tests, other deployments); ``shared``: the state
    the app's middleware already uses (``shared_state``)."""
    store = store or open_store(settings.database_url)
    shared = shared or shared_state(settings)
    bus = open_bus(settings.redis_url, settings.database_url)
    follower = ContentFollower(store) if bus is not None else None  # before the content is read
    if bus is not None:
        store.subscribe(_announce(bus), name="other workers")
    if retriever is None and (settings.search_enabled if search is None else search):
        retriever = build_retriever(settings, store.published())
    key = pseudonym_key(settings.secret_key)  # one conversation, one pseudonym in every log
    unanswered = UnansweredLog(store.engine, key)
    questions = QuestionLog(store.engine, key, settings.tz, settings.question_log_days)
    dialogue = None
    if retriever is not None:
        store.subscribe(retriever.apply, name=SEARCH)  # publish/retire update search in place
        memory = ConversationMemory(shared, settings.conversation_ttl)
        dialogue = RetrievalDialogue(retriever, store, memory=memory, unanswered=unanswered)
    booking = booking or build_booking(settings, store)
    complaints = complaints or build_complaints(settings, store.engine, KnownRegions(store))
    metrics = Metrics()
    metrics.on_scrape(store_gauges(store.engine))
    conversation = Conversation(
        dialogue,
        settings.dialogue_servers,
        settings.rasa_timeout,
        settings.rasa_retry_after,
        commit_wait=settings.rasa_commit_wait,
        max_chars=settings.rasa_max_chars,
        fallback_threads=settings.fallback_threads,
        concurrency=settings.rasa_concurrency,
        api_token=rasa_api_token(settings),
        worker_url=settings.own_url,
        metrics=metrics,
        questions=questions,
    )
    relay = build_relay(settings, conversation, store.engine)
    return Services(
        settings=settings,
        store=store,
        unanswered=unanswered,
        ratings=RatingLog(store.engine, key),
        questions=questions,
        accounts=Accounts(store.engine, LoginGuard(state=shared)),
        audit=AuditTrail(store.engine),
        booking=booking,
        complaints=complaints,
        outbox=Outbox(store.engine, sealer(settings)),
        conversation=conversation,
        metrics=metrics,
        action_pool=anyio.CapacityLimiter(settings.action_threads),
        search_pool=anyio.CapacityLimiter(settings.search_threads),
        relay=relay,
        shared=shared,
        channels=_channels(settings, relay, store.engine, shared),
        bus=bus,
        follower=follower,
        retriever=retriever,
        dialogue=dialogue,
        actions=build_actions(dialogue, booking, complaints) if dialogue is not None else None,
        forwarding=build_outbox_worker(settings, store.engine, complaints),
    )
