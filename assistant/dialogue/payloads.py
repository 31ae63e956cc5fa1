"""Button payloads in Rasa's form, ``/intent{"slot": "value"}``, read the same way by both drivers."""

from __future__ import annotations

import json
import re

_PAYLOAD = re.compile(r"^/(\w+)(\{.*\})?$", re.S)


def parse_payload(text: str) -> tuple[str, dict] | None:
    match = _PAYLOAD.match(text.strip())
    if not match:
        return None
    try:
        slots = json.loads(match.group(2)) if match.group(2) else {}
    except json.JSONDecodeError:
        return None
    return match.group(1), slots if isinstance(slots, dict) else {}
