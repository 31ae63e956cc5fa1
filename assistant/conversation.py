"""One chat turn: the dialogue server (Rasa) first, the app's own conversation when it cannot.

Rasa answers everything it can (forms for booking and complaints included). A turn waits for
it at most ``timeout`` seconds; then that turn, and only that conversation, is answered by
``RetrievalDialogue`` instead. Other conversations go on through Rasa.

Many at once, without waiting on each other:

- the call to Rasa is async (no thread is held while Rasa works, so Rasa's call back to the
  action webhook always finds threads; the webhook has a bounded pool of its own);
- the fallback runs in its own bounded thread pool;
- one message per conversation is with Rasa at a time (a per-sender gate). A turn the app
  answered on its own is *abandoned*: the webhook refuses its actions (no booking or ticket is
  made behind the citizen's back) and the app hangs up (Rasa's Sanic cancels the handler, so an
  overloaded Rasa drops the turns nobody waits for instead of working through them); if Rasa's
  tracker still holds the turn as its latest message, it is rewound (``rewind`` +
  ``action_listen``), so Rasa never keeps a turn the citizen was answered for by someone else.
  Meanwhile the conversation's next message is answered by the fallback (never queued behind);
- a turn whose action already started (a booking may be in progress) is waited for up to
  ``commit_wait`` more seconds; if Rasa is later still, the citizen gets what its actions said
  (and Rasa keeps the turn), or, when they said nothing yet, the fallback (and the turn is
  rewound once Rasa is done; what the action did, a booking made, stays and can be looked up);
- at most ``concurrency`` turns are with Rasa at once (Rasa works on one message at a time in
  one event loop: under a burst, more in flight only make every one of them late);
- Rasa that refuses connections is down for everyone: it is left alone for ``retry_after``;
- several dialogue servers (a scale-out, their trackers and locks in Redis): a worker that
  started a server of its own sends its turns there (``home``; Rasa's action calls then come
  straight back to it); a worker without one, or whose own is down, sends each conversation to
  one picked by rendezvous hashing of its sender among those up, so it stays on one server while
  that one is up and moves to the next when it is not; a server that refuses the connection
  (nothing was sent) is marked down and the turn goes to the next one at once;
- Rasa calls back the worker that started it, which may not be the one that asked: the message's
  metadata names the asking worker (signed), and the webhook hands the call over to it, whose
  turn it is (``asked_by``, ``relay_action``), so its guard above holds across workers;
- long messages reach Rasa condensed to ``max_chars`` (intent and entities come from the
  start of a message); the actions read the citizen's whole words (``Turn.restore``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

import anyio
import httpx

from assistant.actions.protocol import from_rasa
from assistant.dialogue.context import Context
from assistant.dialogue.safety import RECENT, EmergencyMemory, safety_replies
from assistant.logs import get_logger
from assistant.question_log import FORM_ACTION, QuestionLog, decision_of, reply_start
from assistant.replies import Reply, unavailable
from assistant.retrieval_dialogue import RetrievalDialogue
from nlu.safety import default_check

log = get_logger(__name__)
Mode = Literal["rasa", "retrieval", "unavailable", "safety"]
TurnState = Literal["pending", "acting", "abandoned", "done"]
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout)  # the request never reached the server
_SENTENCE_END = re.compile(r"[。！？!?；;\n]")


def condense(text: str, max_chars: int) -> str:
    """The start of a long message, cut after a sentence where one ends in the last third."""
    if len(text) <= max_chars:
        return text
    head = text[:max_chars]
    ends = [m.end() for m in _SENTENCE_END.finditer(head) if m.end() >= max_chars * 2 // 3]
    return head[: ends[-1]] if ends else head


@dataclass
class Turn:
    """One message on its way through Rasa; the webhook reads it from other threads."""

    sender: str
    text: str  # what the citizen wrote
    sent: str  # what Rasa got (condensed when long)
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    server: str = ""  # the dialogue server it went to
    state: TurnState = "pending"
    responses: list[dict[str, Any]] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)  # the custom actions Rasa ran for it
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def begin_action(self) -> bool:
        """The webhook may run an action for this turn (False: the app answered it already)."""
        with self._lock:
            if self.state == "abandoned":
                return False
            self.state = "acting"
            return True

    def abandon(self) -> bool:
        """Give the turn up unless an action already runs for it."""
        with self._lock:
            if self.state != "pending":
                return False
            self.state = "abandoned"
            return True

    def restore(self, body: dict[str, Any]) -> None:
        """Put the citizen's whole message back where Rasa only had the condensed one."""
        if self.sent == self.text:
            return
        tracker = body.get("tracker") or {}
        latest = tracker.get("latest_message") or {}
        if latest.get("text") == self.sent:
            latest["text"] = self.text
        for name, value in (tracker.get("slots") or {}).items():
            if value == self.sent:
                tracker["slots"][name] = self.text
        for event in reversed(tracker.get("events") or []):
            if event.get("event") == "user":
                if event.get("text") == self.sent:
                    event["text"] = self.text
                break
            if event.get("event") == "slot" and event.get("value") == self.sent:
                event["value"] = self.text


@dataclass
class DialogueServer:
    """One Rasa: down for a while after it refused a connection, or while its supervisor says so."""

    url: str
    down_until: float = 0.0
    ready: Callable[[], bool] = lambda: True

    def up(self, now: float) -> bool:
        return now >= self.down_until and self.ready()


def _rank(url: str, sender: str) -> bytes:
    return hashlib.blake2b(f"{url}|{sender}".encode(), digest_size=8).digest()


@dataclass
class _Gate:
    """One message per conversation with Rasa at a time; ``users`` counts who holds or waits."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


async def _acquire(lock: asyncio.Lock, timeout: float) -> bool:
    """``lock.acquire()`` with a timeout that never leaks the lock (unlike wait_for on 3.11)."""
    task = asyncio.ensure_future(lock.acquire())
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if done:
        return True
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        return False
    lock.release()  # it was acquired as we gave up
    return False


class Conversation:
    def __init__(
        self,
        fallback: RetrievalDialogue | None,
        rasa_url: str | Sequence[str] = "",
        timeout: float = 2.0,
        retry_after: float = 10.0,
        *,
        commit_wait: float = 5.0,
        late_limit: float = 30.0,
        max_chars: int = 200,
        fallback_threads: int = 4,
        concurrency: int = 4,
        api_token: str = "",
        worker_url: str = "",
        metrics=None,
        questions: QuestionLog | None = None,
    ) -> None:
        """``rasa_url``: one dialogue server or several; ``worker_url``: where Rasa and the other
        workers reach this one (set when there are several: actions come back to the asker)."""
        self.fallback = fallback
        # the emergency each sender reported, shared like the conversations (any worker's follow-up)
        self.recent: EmergencyMemory = fallback.recent if fallback is not None else RECENT
        self.questions = questions  # every turn is logged there (None: not recorded)
        default_check()  # the emergencies table is checked at start: a mistake stops it with file/line
        urls = [rasa_url] if isinstance(rasa_url, str) else list(rasa_url)
        self.servers = [DialogueServer(u.rstrip("/")) for u in urls if u]
        self.rasa_url = self.servers[0].url if self.servers else ""
        self.home: DialogueServer | None = None  # this worker's own server (``supervised``)
        self.worker_url = worker_url.rstrip("/")
        self.timeout, self.retry_after, self.commit_wait = timeout, retry_after, commit_wait
        self.max_chars, self.api_token = max_chars, api_token
        self.settle = 0.3  # seconds for Rasa to drop a turn the app hung up on
        self.sync_wait = late_limit  # how long telling Rasa about an app-answered turn may wait
        # telling Rasa where the app took a conversation never adds to an overloaded Rasa's work:
        # one such call at a time; while one is out, the others are dropped (Rasa stays a turn behind)
        self._syncing = asyncio.Semaphore(1)
        # turns with Rasa at once: more only share its one event loop, so under a burst every
        # turn would be late; beyond these, turns wait (within their budget) or go to the app
        self._slots = asyncio.Semaphore(concurrency)
        self.metrics = metrics
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(late_limit, connect=timeout),  # the turn's own wait bounds it
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        )
        self._fallback_threads = fallback_threads
        self._limiter: anyio.CapacityLimiter | None = None
        self._gates: dict[str, _Gate] = {}
        self._inflight: dict[str, Turn] = {}  # sender -> its turn with Rasa (read by the webhook)
        self._background: set[asyncio.Task] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def supervised(self, url: str, ready: Callable[[], bool], *, home: bool = False) -> None:
        """The supervisor's word on the server it runs at ``url`` (up only while it says ready).

        ``home``: conversations' trackers and locks are shared (Redis), so any server may take any
        turn; this worker's own server then takes its turns first, and Rasa's action calls come
        straight back here (no hand-over to the asking worker, one hop and one copy of the
        tracker less per action)."""
        for server in self.servers:
            if server.url == url.rstrip("/"):
                server.ready = ready
                if home:
                    self.home = server

    # -- the turn ------------------------------------------------------------------------------
    @property
    def rasa_available(self) -> bool:
        now = time.monotonic()
        return any(server.up(now) for server in self.servers)

    def servers_for(self, sender: str) -> list[DialogueServer]:
        """The servers up: this worker's own first when it has one (trackers are shared), then the
        one this conversation belongs to (rendezvous hashing), so a worker without a server of its
        own, or whose server is down, keeps each conversation on one server."""
        now = time.monotonic()
        ranked = sorted(self.servers, key=lambda server: _rank(server.url, sender), reverse=True)
        if self.home is not None:
            ranked.sort(key=lambda server: server is not self.home)  # stable: the rest keep their order
        return [server for server in ranked if server.up(now)]

    async def turn(
        self, sender: str, text: str, request_id: str | None = None, *, shown: str | None = None
    ) -> tuple[Mode, list[Reply]]:
        """One citizen turn, whichever channel it came from; recorded in the question log
        (``shown``: the title of the button whose payload ``text`` is)."""
        self._loop = self._loop or asyncio.get_running_loop()
        mode, replies, form = await self._turn(sender, text, request_id)
        if self.questions is not None:
            await self._record(sender, text, shown, mode, replies, form)
        return mode, replies

    async def _turn(self, sender: str, text: str, request_id: str | None) -> tuple[Mode, list[Reply], bool]:
        """(who answered, the replies, whether a booking or complaint form took part)."""
        # emergencies first, in every channel and mode (off the loop when Redis holds the memory)
        if self.recent.state.shared:
            urgent = await anyio.to_thread.run_sync(partial(safety_replies, text, sender, recent=self.recent))
        else:
            urgent = safety_replies(text, sender, recent=self.recent)
        if urgent:
            return "safety", urgent, False
        if self.rasa_available:
            replies, actions = await self._ask_rasa(sender, text, request_id)
            if replies is not None:
                return "rasa", replies, any(FORM_ACTION.match(a) for a in actions)
        if self.fallback is None:
            return "unavailable", [unavailable("在线咨询")], False
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self._fallback_threads)
        replies, form = await anyio.to_thread.run_sync(
            self._fallback_turn, sender, text, limiter=self._limiter
        )
        if self.rasa_available:  # Rasa was only late: it learns where the app took the conversation
            ctx = await anyio.to_thread.run_sync(self.fallback.memory.get, sender)  # Redis, maybe
            self._in_background(self._sync_back(sender, ctx))
        return "retrieval", replies, form

    def _fallback_turn(self, sender: str, text: str) -> tuple[list[Reply], bool]:
        fallback = self.fallback
        before = fallback.in_form(sender)
        replies = fallback.respond(sender, text)
        return replies, before or fallback.in_form(sender)

    async def _record(
        self, sender: str, text: str, shown: str | None, mode: Mode, replies: list[Reply], form: bool
    ) -> None:
        """The turn in the question log; a failure there is logged, never the citizen's problem."""
        decision, code = decision_of(mode, replies, form=form)
        if decision == "emergency":
            code = await anyio.to_thread.run_sync(self.recent.get, sender)  # Redis, maybe
        try:
            await anyio.to_thread.run_sync(
                partial(
                    self.questions.record,
                    sender,
                    text,
                    mode=mode,
                    decision=decision,
                    code=code,
                    reply=reply_start(replies),
                    shown=shown,
                )  # fmt: skip
            )
        except Exception as exc:  # the database is busy or gone: the answer still goes out
            log.error("question not logged", error=type(exc).__name__)

    def respond(self, sender: str, text: str) -> list[Reply]:
        """For callers in other threads (the WeChat channel's pool): the turn on the app's loop."""
        if self._loop is None or not self._loop.is_running():
            raise RuntimeError("Conversation.respond needs the app's event loop (call turn() once in it)")
        future = asyncio.run_coroutine_threadsafe(self.turn(sender, text), self._loop)
        return future.result(timeout=self.timeout + self.commit_wait + 30)[1]

    def bind_loop(self) -> None:
        self._loop = asyncio.get_running_loop()

    def mirror(self, sender: str, ctx: Context) -> None:
        """Where Rasa's tracker is after an action: the fallback goes on from there (the same
        topic, the same form at the same question) if a later turn must be answered without Rasa."""
        if self.fallback is not None and sender:
            self.fallback.memory.put(sender, ctx)

    def turn_for(self, sender: str, request_id: str | None = None) -> Turn | None:
        """The turn Rasa is working on for ``sender`` (the one the webhook's call belongs to)."""
        turn = self._inflight.get(sender)
        if turn is not None and request_id and turn.request_id != request_id:
            return None
        return turn

    async def _ask_rasa(
        self, sender: str, text: str, request_id: str | None
    ) -> tuple[list[Reply] | None, list[str]]:
        """Rasa's replies (None: the app answers this turn) and the actions Rasa ran for it."""
        started = time.monotonic()
        earlier = self._inflight.get(sender)
        if earlier is not None and earlier.state == "abandoned":  # being taken back: never queue
            self._count("busy")
            return None, []
        gate = self._gate(sender)
        try:
            if not await _acquire(gate.lock, self.timeout):
                self._count("busy")
                return None, []
        finally:
            gate.users -= 1
        if not await _acquire(self._slots, max(0.05, self.timeout - (time.monotonic() - started))):
            gate.lock.release()  # Rasa has all it can work on in time: this turn goes to the app
            self._count("queue")
            return None, []
        turn = Turn(
            sender, text, condense(text, self.max_chars), request_id=request_id or uuid.uuid4().hex[:16]
        )
        self._inflight[sender] = turn
        task = asyncio.create_task(self._post(turn))
        released = False
        try:
            budget = max(0.05, self.timeout - (time.monotonic() - started))
            done, _ = await asyncio.wait({task}, timeout=budget)
            acted = False
            if not done and not turn.abandon():  # an action runs: a booking may be in progress
                acted = True
                done, _ = await asyncio.wait({task}, timeout=self.commit_wait)
                turn.abandon()  # stops any further action of this turn
            if done:
                return self._answer(turn, task.result()), turn.actions
            log.warning(
                "dialogue server too slow for this turn, answering without it", request_id=turn.request_id
            )
            self._count("timeout")
            if not acted:  # nothing of it ran: hang up, Rasa drops it (Sanic cancels the handler)
                task.cancel()
            keep = bool(turn.responses)  # its actions' answer is what the citizen gets: Rasa keeps it
            self._in_background(self._reconcile(turn, task, gate.lock, keep))
            released = True  # the reconciliation releases the gate
            if turn.responses:  # its actions spoke (a receipt, say): tell the citizen that
                return from_rasa(turn.responses), turn.actions
            return None, []
        finally:
            if not released:
                self._finish(turn, gate.lock)

    def _in_background(self, work) -> None:
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _sync_back(self, sender: str, ctx: Context) -> None:
        """After a turn the app answered alone: set Rasa's slots (topic, 一件事 answers, the form
        and its question) to where the app left the conversation. It waits its turn at the
        conversation's gate, so it lands after the abandoned turn's rewind and before the next turn."""
        if self._syncing.locked():  # Rasa is behind already: one sync at a time, the rest dropped
            log.info("dialogue server busy: not told where the app took the conversation")
            return
        async with self._syncing:
            await self._sync_when_free(sender, ctx)

    async def _sync_when_free(self, sender: str, ctx: Context) -> None:
        gate = self._gate(sender)
        try:
            if not await _acquire(gate.lock, self.sync_wait):
                return
        finally:
            gate.users -= 1
        try:
            slots = dict(ctx.as_slots())
            events: list[dict[str, Any]] = []
            form = ctx.form or {}
            events.append({"event": "active_loop", "name": form.get("name")})
            slots.update(form.get("slots") or {})
            if not form:
                slots["requested_slot"] = None
            events += [{"event": "slot", "name": k, "value": v} for k, v in slots.items()]
            servers = self.servers_for(sender)  # the conversation's own (trackers may be in Redis)
            if not servers:
                return
            url = f"{servers[0].url}/conversations/{sender}/tracker/events"
            params = {"token": self.api_token} if self.api_token else None
            response = await self._client.post(url, params=params, json=events, timeout=self.timeout)
            response.raise_for_status()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning(
                "could not tell the dialogue server where the conversation is", error=type(exc).__name__
            )
        finally:
            gate.lock.release()

    def _gate(self, sender: str) -> _Gate:
        gate = self._gates.get(sender)
        if gate is None:
            if len(self._gates) > 10_000:  # forget idle conversations' gates
                for key in [k for k, g in self._gates.items() if g.users == 0 and not g.lock.locked()]:
                    del self._gates[key]
            gate = self._gates[sender] = _Gate()
        gate.users += 1
        return gate

    async def _post(self, turn: Turn) -> Any:
        """The turn to the conversation's server; to the next one up if it refuses the connection
        (then nothing reached it, so nothing can happen twice)."""
        result: Any = httpx.ConnectError("no dialogue server up")
        for server in self.servers_for(turn.sender):
            turn.server = server.url
            result = await self._post_to(server.url, turn)
            if not isinstance(result, NOT_SENT):
                return result
            server.down_until = time.monotonic() + self.retry_after
            log.warning(
                "dialogue server refused the connection", server=server.url, request_id=turn.request_id
            )
        return result

    async def _post_to(self, url: str, turn: Turn) -> Any:
        try:
            response = await self._client.post(
                f"{url}/webhooks/rest/webhook",
                json={"sender": turn.sender, "message": turn.sent, "metadata": self._metadata(turn)},
                headers={"X-Request-ID": turn.request_id},
            )
            response.raise_for_status()
            messages = response.json()
            if not isinstance(messages, list):
                raise ValueError("not a list of messages")
            return messages
        except (httpx.HTTPError, ValueError) as exc:
            return exc

    # -- actions that Rasa sends to another worker ------------------------------------------------
    def _signature(self, worker: str, request_id: str) -> str:
        return hmac.new(
            self.api_token.encode(), f"{worker}|{request_id}".encode(), hashlib.sha256
        ).hexdigest()[:32]

    def _metadata(self, turn: Turn) -> dict[str, str]:
        metadata = {"request_id": turn.request_id}
        if self.worker_url:
            metadata["worker"] = self.worker_url
            metadata["worker_sig"] = self._signature(self.worker_url, turn.request_id)
        return metadata

    def asked_by(self, metadata: dict) -> str | None:
        """The other worker whose turn an action call belongs to (None: ours, or nobody's)."""
        worker, request_id = str(metadata.get("worker") or ""), str(metadata.get("request_id") or "")
        if not worker or not request_id or worker == self.worker_url:
            return None
        if not hmac.compare_digest(
            str(metadata.get("worker_sig") or ""), self._signature(worker, request_id)
        ):
            log.warning(
                "action call names a worker without a valid signature; run here", request_id=request_id
            )
            return None
        return worker

    async def relay_action(self, worker: str, body: dict, token: str) -> httpx.Response | None:
        """Hand an action call over to the worker whose turn it is; None when that worker is gone
        (nothing reached it: the caller runs the action itself, as a worker alone would)."""
        try:
            return await self._client.post(
                f"{worker}/webhook", json=body, params={"token": token} if token else None, timeout=30.0
            )
        except NOT_SENT:
            log.warning("the worker that asked is gone; the action runs here", worker=worker)
            return None
        except httpx.HTTPError as exc:  # it may still be running there: never run it twice
            log.warning("handing an action over failed", worker=worker, error=type(exc).__name__)
            return httpx.Response(504, json={"error": "the worker that asked did not answer"})

    def _answer(self, turn: Turn, result: Any) -> list[Reply] | None:
        if isinstance(result, Exception):
            log.warning(
                "dialogue server unavailable, answering without it",
                error=type(result).__name__,
                request_id=turn.request_id,
            )
            self._count("error")
            return None
        return from_rasa(result)

    async def _reconcile(self, turn: Turn, task: asyncio.Task, gate: asyncio.Lock, keep: bool) -> None:
        """After an abandoned turn: take it back out of Rasa's tracker if Rasa kept it."""
        try:
            await asyncio.wait({task})
            if task.cancelled():
                await asyncio.sleep(self.settle)  # Rasa notices the hang-up between two steps
            elif isinstance(task.result(), NOT_SENT):
                return
            if keep:
                log.info("late turn kept: the citizen got its actions' answer", request_id=turn.request_id)
                return
            await self._rewind(turn)
        finally:
            self._finish(turn, gate)

    async def _rewind(self, turn: Turn) -> None:
        """Rewind the turn if Rasa's tracker holds it as its latest message (it may not: Rasa
        failed before saving it); a rewind of anything else would undo the citizen's last turn."""
        url = f"{turn.server}/conversations/{turn.sender}/tracker"
        params = {"token": self.api_token} if self.api_token else None
        headers = {"X-Request-ID": turn.request_id}
        try:
            tracker = (await self._client.get(url, params=params, headers=headers, timeout=5.0)).json()
            latest = (tracker.get("latest_message") or {}).get("metadata") or {}
            if latest.get("request_id") != turn.request_id:
                log.info("abandoned turn not in the dialogue server's tracker", request_id=turn.request_id)
                return
            response = await self._client.post(
                f"{url}/events",
                params=params,
                json=[{"event": "rewind"}, {"event": "action", "name": "action_listen"}],
                headers=headers,
                timeout=5.0,
            )
            response.raise_for_status()
            log.info("abandoned turn rewound in the dialogue server", request_id=turn.request_id)
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            log.error(
                "could not rewind an abandoned turn", error=type(exc).__name__, request_id=turn.request_id
            )

    def _finish(self, turn: Turn, gate: asyncio.Lock) -> None:
        with turn._lock:
            if turn.state != "abandoned":
                turn.state = "done"
        if self._inflight.get(turn.sender) is turn:
            del self._inflight[turn.sender]
        gate.release()
        # an abandoned turn holds its slot until its reconciliation passed through Rasa's loop
        # (the tracker look-up returns after what was queued before it): backpressure, so
        # hanging up never lets more work pile up in Rasa than ``concurrency``
        self._slots.release()

    def _count(self, reason: str) -> None:
        if self.metrics is not None:
            self.metrics.fallbacks.labels(reason=reason).inc()

    async def aclose(self) -> None:
        self.close()
        await self._client.aclose()

    def close(self) -> None:
        """Stop reconciling (the lifespan awaits ``aclose``, which also closes the client)."""
        for task in list(self._background):
            task.cancel()
