"""A small JSON-over-HTTP client for the external systems: timeouts, retries with backoff on
network errors and 5xx, an Idempotency-Key on writes, and errors that carry a user message."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from connectors.errors import HandoffError
from foundation.logs import get_logger

log = get_logger(__name__)


class ExternalError(Exception):
    """The external system refused or could not be reached; ``user_message`` is for citizens."""

    def __init__(
        self,
        message: str,
        user_message: str,
        status: int | None = None,
        retryable: bool = False,
        code: str | None = None,
    ):
        super().__init__(message)
        self.user_message = user_message
        self.status = status
        self.retryable = retryable
        self.code = code  # the far side's own error code, when it gives one


@dataclass
class RetryPolicy:
    attempts: int = 4
    backoff: float = 0.2  # seconds, doubled each retry
    max_backoff: float = 3.0


class JsonClient:
    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        timeout: float = 5.0,
        retry: RetryPolicy | None = None,
        system: str = "外部系统",
    ) -> None:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.system = system
        self.retry = retry or RetryPolicy()
        self._client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def call(
        self,
        method: str,
        path: str,
        errors: dict[str, type[HandoffError]],
        base: type[HandoffError],
        not_found: type[HandoffError],
        **kw: Any,
    ) -> Any:
        """``request`` with the far side's error codes turned into the Protocol's errors."""
        try:
            return self.request(method, path, **kw)
        except ExternalError as exc:
            error = errors.get(exc.code or "", base)
            if exc.status == 404 and exc.code is None:
                error = not_found
            raise error(str(exc), exc.user_message if error is base else None) from exc

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        delay = self.retry.backoff
        last: ExternalError | None = None
        for attempt in range(1, self.retry.attempts + 1):
            try:
                resp = self._client.request(method, path, json=json, params=params, headers=headers)
            except httpx.HTTPError as exc:
                last = ExternalError(
                    f"{self.system} {method} {path}: {type(exc).__name__}",
                    f"{self.system}暂时无法连接，请稍后再试。",
                    retryable=True,
                )
            else:
                if resp.status_code < 400:
                    return resp.json() if resp.content else None
                detail, code = _detail(resp)
                if resp.status_code >= 500 or resp.status_code == 429:
                    last = ExternalError(
                        f"{self.system} {method} {path}: HTTP {resp.status_code} {detail}",
                        f"{self.system}暂时繁忙，请稍后再试。",
                        resp.status_code,
                        retryable=True,
                    )
                else:
                    raise ExternalError(
                        f"{self.system} {method} {path}: HTTP {resp.status_code} {detail}",
                        detail or f"{self.system}拒绝了这个请求。",
                        resp.status_code,
                        code=code,
                    )
            log.warning(
                "external call failed", system=self.system, path=path, attempt=attempt, error=str(last)
            )
            if attempt < self.retry.attempts:
                time.sleep(delay)
                delay = min(delay * 2, self.retry.max_backoff)
        assert last is not None
        raise last


def _detail(resp: httpx.Response) -> tuple[str, str | None]:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200], None
    if isinstance(body, dict):
        return str(body.get("message") or body.get("detail") or ""), body.get("code")
    return "", None
