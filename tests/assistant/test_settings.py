"""Issue 14 item 2: production refuses placeholder or weak secrets and keys."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from assistant.settings import PLACEHOLDER_SECRET, Settings
from connectors.crypto import PLACEHOLDER_DATA_KEY, new_key

STRONG = "Zq8v2Lr7Wm4Kx9Tb3Hn6Jd1Fc5Gp0YsQe7Ua"


def test_prod_refuses_the_placeholder_data_key_even_with_a_real_secret_key():
    with pytest.raises(ValidationError, match="YICHUANG_DATA_KEY"):
        Settings(env="prod", secret_key=STRONG, data_key=PLACEHOLDER_DATA_KEY)


@pytest.mark.parametrize("secret", [PLACEHOLDER_SECRET, "short", "a" * 40, "please-change-me-0123456789abcdefghij"])
def test_prod_refuses_placeholder_or_weak_secrets(secret):
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(env="prod", secret_key=secret, data_key=new_key())


def test_prod_refuses_a_placeholder_among_the_old_keys_and_weak_tokens():
    with pytest.raises(ValidationError, match="DATA_KEYS_OLD"):
        Settings(env="prod", secret_key=STRONG, data_key=new_key(), data_keys_old=[PLACEHOLDER_DATA_KEY])
    with pytest.raises(ValidationError, match="ACTION_TOKEN"):
        Settings(env="prod", secret_key=STRONG, data_key=new_key(), action_token="1234")


def test_prod_starts_with_strong_settings_and_dev_keeps_its_placeholders():
    Settings(env="prod", secret_key=STRONG, data_key=new_key(), data_keys_old=[new_key()])
    assert Settings(env="dev").data_key == PLACEHOLDER_DATA_KEY


def test_the_refusal_does_not_print_the_secrets():
    key = new_key()
    with pytest.raises(ValidationError) as err:
        Settings(env="prod", secret_key="weak-but-private", data_key=key)
    assert "weak-but-private" not in str(err.value) and key not in str(err.value)
