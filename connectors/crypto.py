"""Citizens' contact details at rest: AES-GCM ciphertext, and a keyed hash for lookups by phone.

The key comes from settings (``YICHUANG_DATA_KEY``, 32 bytes base64). With ``env=prod`` the
development placeholder key (and any weak key) is refused, so a deployment cannot run with a
key that is in the source.

Rotation: put the new key in ``DATA_KEY`` and the previous ones in ``DATA_KEYS_OLD``. New
ciphertext names its key (``v2:<key id>:…``) and is sealed with the new key; older ciphertext
opens with whichever key sealed it; phone look-ups match the keyed hash of every key.
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
PREFIX = "v1:"  # before rotation: no key id, opened by trying every key
PREFIX_V2 = "v2:"
_WEAK_WORDS = (b"change", b"dev-only", b"example", b"placeholder", b"secret", b"password", b"test")


class CryptoError(ValueError):
    """Bad key or ciphertext that does not decrypt under this key."""


def decode_key(key_b64: str) -> bytes:
    try:
        key = base64.b64decode(key_b64, validate=True)
    except ValueError as exc:
        raise CryptoError("数据加密密钥不是合法的 base64") from exc
    if len(key) != 32:
        raise CryptoError("数据加密密钥必须是 32 字节（base64 编码后 44 个字符）")
    return key


def key_problem(key_b64: str) -> str | None:
    """Why a key must not protect real contacts (None when it may): placeholder, not 32 bytes,
    readable words or too few distinct bytes (32 random bytes have about 30)."""
    if key_b64 == PLACEHOLDER_DATA_KEY:
        return "是源代码里的开发占位密钥"
    try:
        key = decode_key(key_b64)
    except CryptoError as exc:
        return str(exc)
    if any(w in key.lower() for w in _WEAK_WORDS) or len(set(key)) < 20:
        return "强度不够（请用 new_key() 生成随机密钥）"
    return None


class _Key:
    def __init__(self, key: bytes) -> None:
        self.id = hashlib.sha256(b"id:" + key).hexdigest()[:8]
        self.aead = AESGCM(key)
        self.mac_key = hashlib.sha256(b"lookup:" + key).digest()


class Sealer:
    """Seals with ``key_b64``; opens what it or any of ``old_keys`` sealed."""

    def __init__(self, key_b64: str, old_keys: list[str] | tuple[str, ...] = ()) -> None:
        self._keys = [_Key(decode_key(k)) for k in (key_b64, *old_keys)]
        self._by_id = {k.id: k for k in self._keys}

    def seal(self, value: Any) -> str:
        """Encrypt any JSON-able value with the current key; each call uses a fresh nonce."""
        key = self._keys[0]
        nonce = os.urandom(12)
        data = json.dumps(value, ensure_ascii=False).encode("utf-8")
        return f"{PREFIX_V2}{key.id}:" + base64.b64encode(nonce + key.aead.encrypt(nonce, data, None)).decode()

    def open(self, token: str) -> Any:
        if token.startswith(PREFIX_V2):
            key_id, _, body = token[len(PREFIX_V2) :].partition(":")
            keys = [self._by_id[key_id]] if key_id in self._by_id else []
            if not keys:
                raise CryptoError("数据由一个未配置的密钥加密（请把旧密钥加入 DATA_KEYS_OLD）")
        elif token.startswith(PREFIX):
            keys, body = self._keys, token[len(PREFIX) :]
        else:
            raise CryptoError("不是本系统加密的数据")
        try:
            raw = base64.b64decode(body)
        except ValueError as exc:
            raise CryptoError("不是本系统加密的数据") from exc
        for key in keys:
            try:
                data = key.aead.decrypt(raw[:12], raw[12:], None)
            except Exception:  # cryptography raises InvalidTag
                continue
            return json.loads(data.decode("utf-8"))
        raise CryptoError("数据无法用已配置的密钥解密")

    def needs_reseal(self, token: str) -> bool:
        """True when ``token`` was not sealed with the current key (rotation pending)."""
        return not token.startswith(f"{PREFIX_V2}{self._keys[0].id}:")

    def lookup_hash(self, value: str) -> str:
        """Stable keyed hash (for finding bookings by phone without storing the phone in clear)."""
        return self.lookup_hashes(value)[0]

    def lookup_hashes(self, value: str) -> list[str]:
        """The value's hash under every configured key, current first (rows hashed before a rotation)."""
        data = value.encode("utf-8")
        return [hmac.new(k.mac_key, data, hashlib.sha256).hexdigest() for k in self._keys]


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()
