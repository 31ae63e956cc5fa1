"""How refusals and failures become HTTP responses, in one place for every route, each shape
declared in ``/openapi.json``.

Store, hand-off and other ``ServiceError``s carry a kind and a Chinese message; the kind picks
the status here, the message is the ``detail``. A route raises and lets this handler answer, so
no route keeps its own table of statuses.

- 422: ``{"detail": "请求内容不正确，请检查：q", "errors": [{"loc", "msg", "type"}]}`` — the
  citizen's input is never echoed back (a lone surrogate in it made the echo itself fail, and
  echoes carry PII into clients' logs); editors' content problems come as
  ``{"detail": {"message", "problems": [{"field", "message", …}]}}``.
- 401/403/404/409/413/429/503: ``{"detail": "…"}`` in Chinese.
- 500: logged once (no local variables, PII and tokens scrubbed) with an error id the reply
  carries, so an operator can find the line without the citizen's words being in it.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.logs import get_logger
from foundation.errors import Kind, ServiceError

log = get_logger("assistant.errors")
STATUS: dict[Kind, int] = {
    "invalid": 422,
    "not_found": 404,
    "conflict": 409,
    "unsupported": 501,
    "unavailable": 503,
}


def status_of(exc: ServiceError) -> int:
    return STATUS.get(exc.kind, 422)


async def _refused(request: Request, exc: ServiceError) -> JSONResponse:
    status = status_of(exc)
    log.info("request refused", path=request.url.path, error=type(exc).__name__, status=status)
    return JSONResponse(status_code=status, content={"detail": exc.user_message})


class FieldErrorOut(BaseModel):
    loc: list[str | int] = Field(description="where: body / query / path, then the field")
    msg: str
    type: str


class ProblemOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    field: str | None = None
    message: str


class ProblemsOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    message: str
    problems: list[ProblemOut] = []


class ValidationErrorOut(BaseModel):
    """422: what was wrong with the request, without echoing it."""

    detail: str | ProblemsOut
    errors: list[FieldErrorOut] = []


class ActionErrorOut(BaseModel):
    """The action server's refusals, in the shape Rasa's action protocol reads."""

    error: str
    action_name: str = ""


class ErrorOut(BaseModel):
    """Any refusal: a message in Chinese for the person in front of the screen."""

    detail: str
    error_id: str | None = None


def clean(value: str) -> str:
    """Text that can always be encoded (lone surrogates become U+FFFD)."""
    return value.encode("utf-8", "replace").decode("utf-8") if isinstance(value, str) else value


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for e in exc.errors():
        loc = [p if isinstance(p, int) else clean(str(p))[:100] for p in e.get("loc", ())]
        out.append({"loc": loc, "msg": clean(str(e.get("msg", "")))[:300], "type": str(e.get("type", ""))})
    return out


async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = _field_errors(exc)
    fields = "、".join(".".join(str(p) for p in e["loc"][1:]) or "请求体" for e in errors)
    return JSONResponse(status_code=422, content={"detail": f"请求内容不正确，请检查：{fields}", "errors": errors})


_UNREADABLE = "There was an error parsing the body"


async def http_refusal(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """FastAPI's own answer, with its one English message (a body that is not JSON) in Chinese."""
    detail = "请求内容无法解析（应为 UTF-8 编码的 JSON）" if exc.detail == _UNREADABLE else exc.detail
    return JSONResponse(status_code=exc.status_code, content={"detail": detail}, headers=exc.headers)


SERVER_ERROR = "服务暂时出了点问题，请稍后再试，或拨打 12345 咨询。"


class ServerErrorMiddleware:
    """Outermost: an unexpected exception becomes one scrubbed log line and a polite 500.

    Starlette's own handler would re-raise it for the server to log a second time.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            error_id = uuid.uuid4().hex[:12]
            log.error(
                "request failed",
                error_id=error_id,
                method=scope.get("method"),
                path=scope.get("path"),  # without the query string (tokens live there)
                error=type(exc).__name__,
                exc_info=exc,
            )
            if started:
                return
            body = ErrorOut(detail=f"{SERVER_ERROR}（错误编号 {error_id}）", error_id=error_id)
            await JSONResponse(status_code=500, content=body.model_dump())(scope, receive, send)


# which refusals each operation can give, besides 422 (FastAPI declares that one itself)
SESSION_PREFIXES = ("/api/staff", "/api/admin", "/api/desk", "/api/auth/logout", "/api/auth/me")
RATE_LIMITED = ("/api/search", "/api/chat", "/api/tickets", "/api/bookings", "/api/halls", "/api/auth/login")
DESCRIPTIONS = {
    "400": "请求内容无法解析",
    "401": "未登录或登录已过期",
    "403": "没有权限（或缺少 CSRF 令牌）",
    "404": "没有找到",
    "409": "与当前状态冲突（已存在、已约满、状态不允许）",
    "413": "请求内容太大",
    "429": "请求太频繁",
    "501": "外部系统不支持这个操作",
    "503": "服务暂时不可用",
}


def _statuses(path: str, method: str, operation: dict) -> set[str]:
    found: set[str] = set()
    has_body = "requestBody" in operation
    if path.startswith(SESSION_PREFIXES):
        found |= {"401", "403"}
    if path in ("/webhook", "/wechat"):
        found.add("403")
    if path == "/api/auth/login":
        found.add("401")
    if path.startswith("/api/") or path == "/webhook":
        if "{" in path or method in ("post", "put", "delete"):
            found.add("404")
        if method in ("post", "put"):
            found.add("409")
    if has_body or method in ("post", "put"):
        found |= {"400", "413"}
    if path.startswith(RATE_LIMITED):
        found.add("429")
    if path.startswith(("/api/search", "/api/chat", "/api/staff", "/webhook", "/api/bookings", "/api/halls")):
        found.add("503")
    if path.startswith(("/api/staff", "/api/bookings", "/api/halls", "/api/tickets", "/api/desk")):
        found.add("501")  # an external booking / 12345 system that does not offer this
    return found


def document_errors(app: FastAPI) -> None:
    """Declare the error bodies in ``/openapi.json``: the 422 the handler really sends, and
    401/403/404/409/413/429/503 where an operation can answer them."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (ValidationErrorOut, ErrorOut, ActionErrorOut):
            spec = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(spec.pop("$defs", {}))
            components[model.__name__] = spec
        components["HTTPValidationError"] = {"$ref": "#/components/schemas/ValidationErrorOut"}
        components.pop("ValidationError", None)
        for path, item in schema.get("paths", {}).items():
            for method, operation in item.items():
                responses = operation.setdefault("responses", {})
                if "422" in responses:
                    responses["422"]["content"] = {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ValidationErrorOut"}}
                    }
                wanted = _statuses(path, method, operation)
                for status in sorted(wanted - set(responses)):
                    model = "ActionErrorOut" if path == "/webhook" and status in ("404", "503") else "ErrorOut"
                    responses[status] = {
                        "description": DESCRIPTIONS[status],
                        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model}"}}},
                    }
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install(app: FastAPI) -> None:
    """The handlers, the outermost middleware (add it after every other) and the documentation."""
    app.add_exception_handler(ServiceError, _refused)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_refusal)  # type: ignore[arg-type]
    app.add_middleware(ServerErrorMiddleware)  # outermost: nothing escapes unlogged or unanswered
    document_errors(app)
