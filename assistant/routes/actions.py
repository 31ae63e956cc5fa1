"""The action server Rasa calls (``action_endpoint`` in assistant/rasa/endpoints.yml)."""

from __future__ import annotations

import hmac
from ipaddress import ip_address

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from assistant.actions import UnknownAction
from assistant.deps import ActionsDep, SettingsDep
from assistant.logs import get_logger

router = APIRouter(tags=["dialogue"])
log = get_logger(__name__)


def _allowed(request: Request, token: str) -> bool:
    if token:
        return hmac.compare_digest(request.query_params.get("token", ""), token)
    host = request.client.host if request.client else ""
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return host == "testclient"


@router.post("/webhook", include_in_schema=True)
def run_action(body: dict, request: Request, actions: ActionsDep, settings: SettingsDep) -> JSONResponse:
    """Rasa's action-server protocol: ``next_action`` + tracker in, events + responses out."""
    if not _allowed(request, settings.action_token):
        raise HTTPException(status_code=403, detail="forbidden")
    name = str(body.get("next_action") or "")
    if actions is None:
        return JSONResponse(status_code=503, content={"error": "actions unavailable", "action_name": name})
    try:
        result = actions.run(body)
    except UnknownAction:
        log.warning("unknown action", action=name)
        return JSONResponse(status_code=404, content={"error": f"no action {name}", "action_name": name})
    log.info("action", action=name, events=len(result["events"]), responses=len(result["responses"]))
    return JSONResponse(result)
