"""The action server Rasa calls (``action_endpoint`` in assistant/rasa/endpoints.yml).

Async, with a bounded thread pool of its own for the actions (``action_threads``): Rasa's
call back never waits for threads the chat path or search hold. A call for a turn the app
has already answered on its own (see ``assistant.conversation``) runs no action. With several
workers, a call for a turn another worker asked about is handed over to that worker (it holds
the turn); when that worker is gone, the action runs here.
"""

from __future__ import annotations

import hmac
from ipaddress import ip_address
from typing import Any

import anyio
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from assistant.actions import UnknownAction
from assistant.actions.service import context_after
from assistant.deps import ActionPoolDep, ActionsDep, ConversationDep, MetricsDep, SettingsDep
from assistant.logs import get_logger
from assistant.observability import Timer, bind_request_id
from assistant.schemas import Out

router = APIRouter(tags=["dialogue"])
log = get_logger(__name__)
SKIPPED = {"events": [], "responses": []}


def _allowed(request: Request, token: str) -> bool:
    if token:
        return hmac.compare_digest(request.query_params.get("token", ""), token)
    host = request.client.host if request.client else ""
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return host == "testclient"


class ActionOut(Out):
    events: list[dict[str, Any]] = Field(description="Rasa events: slots set, forms ended…")
    responses: list[dict[str, Any]] = Field(description="messages for the citizen, in Rasa's shape")


@router.post("/webhook", include_in_schema=True, response_model=ActionOut)
async def run_action(
    body: dict,
    request: Request,
    actions: ActionsDep,
    settings: SettingsDep,
    conversation: ConversationDep,
    metrics: MetricsDep,
    pool: ActionPoolDep,
) -> JSONResponse:
    """Rasa's action-server protocol: ``next_action`` + tracker in, events + responses out."""
    if not _allowed(request, settings.action_token):
        raise HTTPException(status_code=403, detail="forbidden")
    name = str(body.get("next_action") or "")
    tracker = body.get("tracker") or {}
    metadata = (tracker.get("latest_message") or {}).get("metadata") or {}
    request_id = str(metadata.get("request_id") or "")
    if request_id:
        bind_request_id(request_id)  # the chat turn's id: its lines and this action's share it
    if actions is None:
        return JSONResponse(status_code=503, content={"error": "actions unavailable", "action_name": name})
    sender = str(body.get("sender_id") or tracker.get("sender_id") or "")
    turn = conversation.turn_for(sender, request_id or None)
    owner = conversation.asked_by(metadata) if turn is None and isinstance(metadata, dict) else None
    if owner is not None:
        relayed = await conversation.relay_action(owner, body, settings.action_token)
        if relayed is not None:
            log.info("action handed to the worker that asked", action=name, status=relayed.status_code)
            try:
                return JSONResponse(status_code=relayed.status_code, content=relayed.json())
            except ValueError:
                return JSONResponse(status_code=502, content={"error": "bad answer", "action_name": name})
    if turn is not None:
        if turn.state == "pending":  # the turn's first action: count what Rasa took it to be
            intent = str(((tracker.get("latest_message") or {}).get("intent") or {}).get("name") or "none")
            metrics.decisions.labels(decision=intent).inc()
        if not turn.begin_action():
            log.info("action skipped: the app already answered this turn", action=name)
            metrics.actions.labels(action=name, outcome="skipped").inc()
            return JSONResponse(SKIPPED)
        turn.restore(body)
        turn.actions.append(name)  # a form's actions tell the question log it was a form turn

    def run_and_mirror() -> dict:
        result = actions.run(body)
        # in the action's thread: with Redis, the fallback's memory is a network round trip
        conversation.mirror(sender, context_after(body, result))
        return result

    timer = Timer()
    try:
        result = await anyio.to_thread.run_sync(run_and_mirror, limiter=pool)
    except UnknownAction:
        log.warning("unknown action", action=name)
        return JSONResponse(status_code=404, content={"error": f"no action {name}", "action_name": name})
    if turn is not None:
        turn.responses.extend(result["responses"])
    metrics.actions.labels(action=name, outcome="ok").inc()
    metrics.action_seconds.observe(timer.seconds)
    log.info(
        "action", action=name, events=len(result["events"]), responses=len(result["responses"]),
        ms=round(timer.seconds * 1000),
    )  # fmt: skip
    return JSONResponse(result)
