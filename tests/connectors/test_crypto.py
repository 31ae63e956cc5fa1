"""Issue 14 item 2: contacts at rest — key rotation, and keys too weak for production."""

from __future__ import annotations

import pytest

from connectors.crypto import PLACEHOLDER_DATA_KEY, CryptoError, Sealer, key_problem, new_key


def test_rotation_opens_old_ciphertext_and_seals_with_the_new_key():
    old, new = new_key(), new_key()
    before = Sealer(old).seal({"phone": "13812345678"})
    rotated = Sealer(new, [old])
    assert rotated.open(before) == {"phone": "13812345678"}
    assert rotated.needs_reseal(before)
    after = rotated.seal({"phone": "13900000000"})
    assert not rotated.needs_reseal(after)
    with pytest.raises(CryptoError):
        Sealer(old).open(after)  # sealed with the new key, not the old one
    assert Sealer(new).lookup_hash("13812345678") != Sealer(old).lookup_hash("13812345678")
    assert Sealer(old).lookup_hash("13812345678") in rotated.lookup_hashes("13812345678")


def test_ciphertext_from_before_key_ids_still_opens():
    import base64
    import os

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = new_key()
    nonce = os.urandom(12)
    legacy = "v1:" + base64.b64encode(nonce + AESGCM(base64.b64decode(key)).encrypt(nonce, b'"x"', None)).decode()
    assert Sealer(new_key(), [key]).open(legacy) == "x"


def test_placeholder_and_weak_keys_are_named():
    import base64

    assert key_problem(PLACEHOLDER_DATA_KEY)
    assert key_problem(base64.b64encode(b"a" * 32).decode())
    assert key_problem(base64.b64encode(b"my-secret-key-for-the-city-00000").decode())
    assert key_problem("not base64!")
    assert key_problem(new_key()) is None
