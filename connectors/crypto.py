"""Citizens' contact details at rest: AES-GCM ciphertext, and a keyed hash for lookups by phone.

The key comes from settings (``YICHUANG_DATA_KEY``, 32 bytes base64). Outside ``env=dev``
the development placeholder key is refused, so a deployment cannot run with a known key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PLACEHOLDER_DATA_KEY = base64.b64encode(b"dev-only-data-key-change-me-0000").decode()
PREFIX = "v1:"


class CryptoError(ValueError):
    """Bad key or ciphertext that does not decrypt under this key."""


class Sealer:
    def __init__(self, key_b64: str) -> None:
        try:
            key = base64.b64decode(key_b64, validate=True)
        except ValueError as exc:
            raise CryptoError("数据加密密钥不是合法的 base64") from exc
        if len(key) != 32:
            raise CryptoError("数据加密密钥必须是 32 字节（base64 编码后 44 个字符）")
        self._aead = AESGCM(key)
        self._mac_key = hashlib.sha256(b"lookup:" + key).digest()

    def seal(self, value: Any) -> str:
        """Encrypt any JSON-able value; each call uses a fresh nonce."""
        nonce = os.urandom(12)
        data = json.dumps(value, ensure_ascii=False).encode("utf-8")
        return PREFIX + base64.b64encode(nonce + self._aead.encrypt(nonce, data, None)).decode()

    def open(self, token: str) -> Any:
        if not token.startswith(PREFIX):
            raise CryptoError("不是本系统加密的数据")
        raw = base64.b64decode(token[len(PREFIX) :])
        try:
            data = self._aead.decrypt(raw[:12], raw[12:], None)
        except Exception as exc:  # cryptography raises InvalidTag
            raise CryptoError("数据无法用当前密钥解密") from exc
        return json.loads(data.decode("utf-8"))

    def lookup_hash(self, value: str) -> str:
        """Stable keyed hash (for finding bookings by phone without storing the phone in clear)."""
        return hmac.new(self._mac_key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()
