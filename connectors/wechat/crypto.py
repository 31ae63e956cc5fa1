"""The 公众号 callback protocol's signatures and safe mode (AES-256-CBC with the EncodingAESKey).

- URL signature: SHA1 of the sorted ``token, timestamp, nonce``.
- Safe mode: the body is ``random(16) + len(4, big-endian) + message + appid``, PKCS#7-padded to
  32-byte blocks, AES-256-CBC with key = base64(EncodingAESKey + "=") and IV = key[:16];
  ``msg_signature`` = SHA1 of the sorted ``token, timestamp, nonce, Encrypt``.
Errors carry the protocol's own codes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
import time

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32


class WeChatError(Exception):
    """A protocol error with WeChat's own code (e.g. -40001 for a bad signature)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


INVALID_SIGNATURE = -40001
PARSE_XML = -40002
ILLEGAL_AES_KEY = -40004
INVALID_APPID = -40005
DECRYPT_AES = -40007


def signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8", "replace")).hexdigest()


def check_signature(token: str, sig: str, timestamp: str, nonce: str, *extra: str) -> None:
    try:
        good = bool(sig) and hmac.compare_digest(signature(token, timestamp, nonce, *extra), sig)
    except TypeError:  # a non-ASCII signature: compare_digest refuses to compare it
        good = False
    if not good:
        raise WeChatError(INVALID_SIGNATURE, "签名校验失败")


def check_fresh(timestamp: str, max_skew: float, now: float | None = None) -> None:
    """Refuse a replayed callback: its timestamp must be within ``max_skew`` seconds of now."""
    now = time.time() if now is None else now
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise WeChatError(INVALID_SIGNATURE, "时间戳不合法")
    if abs(now - int(timestamp)) > max_skew:
        raise WeChatError(INVALID_SIGNATURE, "时间戳已过期（疑似重放）")


class MessageCrypto:
    def __init__(self, token: str, encoding_aes_key: str, appid: str) -> None:
        try:
            key = base64.b64decode(encoding_aes_key + "=")
        except ValueError as exc:
            raise WeChatError(ILLEGAL_AES_KEY, "EncodingAESKey 不合法") from exc
        if len(key) != 32:
            raise WeChatError(ILLEGAL_AES_KEY, "EncodingAESKey 应为 43 个字符")
        self.token, self.key, self.appid = token, key, appid

    def encrypt(self, message: str, nonce: str, timestamp: str) -> tuple[str, str]:
        """(Encrypt, msg_signature) for a reply."""
        raw = message.encode("utf-8")
        body = os.urandom(16) + struct.pack(">I", len(raw)) + raw + self.appid.encode("utf-8")
        pad = BLOCK - len(body) % BLOCK
        body += bytes([pad]) * pad
        enc = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).encryptor()
        token = base64.b64encode(enc.update(body) + enc.finalize()).decode()
        return token, signature(self.token, timestamp, nonce, token)

    def decrypt(self, encrypted: str, msg_signature: str, timestamp: str, nonce: str) -> str:
        check_signature(self.token, msg_signature, timestamp, nonce, encrypted)
        try:
            dec = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).decryptor()
            body = dec.update(base64.b64decode(encrypted)) + dec.finalize()
            pad = body[-1]
            if not 1 <= pad <= BLOCK or body[-pad:] != bytes([pad]) * pad:
                raise ValueError("bad padding")
            body = body[:-pad]
            (length,) = struct.unpack(">I", body[16:20])
            if 20 + length > len(body):  # garbage decrypts to a length beyond the message
                raise ValueError("bad length")
            message, appid = body[20 : 20 + length], body[20 + length :]
        except (ValueError, struct.error, IndexError) as exc:
            raise WeChatError(DECRYPT_AES, "消息解密失败") from exc
        if appid.decode("utf-8", "replace") != self.appid:
            raise WeChatError(INVALID_APPID, "AppID 不匹配")
        try:
            return message.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WeChatError(PARSE_XML, "解密后的消息不是 UTF-8 编码") from exc
