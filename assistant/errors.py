"""How refusals become HTTP responses, in one place for every route.

Store, hand-off and other ``ServiceError``s carry a kind and a Chinese message; the kind picks
the status here, the message is the ``detail``. A route raises and lets this handler answer, so
no route keeps its own table of statuses. Bad request bodies get the fields named in Chinese.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from assistant.logs import get_logger
from foundation.errors import Kind, ServiceError

log = get_logger(__name__)
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


async def _invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
    fields = "、".join(".".join(str(p) for p in e["loc"][1:]) or "请求体" for e in exc.errors())
    return JSONResponse(
        status_code=422,
        content={"detail": f"请求内容不正确，请检查：{fields}", "errors": jsonable_encoder(exc.errors())},
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _refused)
    app.add_exception_handler(RequestValidationError, _invalid_request)
