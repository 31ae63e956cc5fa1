"""The 公众号 server API the channel needs: access token (cached, refreshed) and 客服消息.

WeChat hands out one access token per 公众号 at a time: a new one retires the old after a
few minutes, so workers must not each fetch their own. The token lives in the shared state
(``foundation.shared_state``: this process's, or Redis for several workers) and is refreshed
under its lock by one worker, the others waiting and then reading what it fetched. A token
WeChat refused is refreshed only if it is still the cached one (another worker may have
replaced it already)."""

from __future__ import annotations

import httpx

from connectors.wechat.crypto import WeChatError
from foundation.logs import get_logger
from foundation.shared_state import LocalState, SharedState

log = get_logger(__name__)
TOKEN_ERRORS = {40001, 40014, 42001}  # invalid / expired access token: refresh once and retry
WINDOW_CLOSED = 45015  # 客服消息 only within 48 hours of the citizen's last message


class WeChatApi:
    def __init__(
        self, base_url: str, appid: str, secret: str, timeout: float = 5.0, state: SharedState | None = None
    ) -> None:
        self.appid, self.secret = appid, secret
        self._client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)
        self.state = state or LocalState()
        self._key = f"wechat:token:{appid}"
        self._wait = timeout * 3  # the refresh of another worker: its request, and some

    def access_token(self, *, refused: str | None = None) -> str:
        """The cached token, or a fresh one; ``refused``: WeChat just refused this token."""
        token = self.state.get(self._key)
        if token and token != refused:
            return token
        with self.state.lock(self._key, self._wait):
            token = self.state.get(self._key)
            if token and token != refused:  # another worker refreshed it while we waited
                return token
            resp = self._client.get(
                "/cgi-bin/token",
                params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
            )
            data = resp.json()
            if "access_token" not in data:
                raise WeChatError(
                    int(data.get("errcode", -1)), f"获取 access_token 失败：{data.get('errmsg', '')}"
                )
            token = str(data["access_token"])
            # refresh five minutes early; WeChat's tokens live 7200 s
            self.state.put(self._key, token, max(int(data.get("expires_in", 7200)) - 300, 60))
            log.info("wechat access token refreshed")
            return token

    def send_text(self, openid: str, content: str) -> None:
        """客服消息: a text reply sent after the 5-second window of the callback."""
        body = {"touser": openid, "msgtype": "text", "text": {"content": content}}
        refused = None
        for attempt in (1, 2):
            token = self.access_token(refused=refused)
            data = self._client.post(
                "/cgi-bin/message/custom/send", params={"access_token": token}, json=body
            ).json()
            code = int(data.get("errcode", 0))
            if code == 0:
                return
            if code not in TOKEN_ERRORS or attempt == 2:
                raise WeChatError(code, f"客服消息发送失败：{data.get('errmsg', '')}")
            log.info("wechat access token refused, refreshing", errcode=code)
            refused = token

    def close(self) -> None:
        self._client.close()
