"""``rasa run`` with citizens' personal data masked in Rasa's own log lines.

Rasa logs the raw message text when a turn times out or fails (``rest.message.received.timeout``
with ``text=…``), which under load is most turns. Its structlog pipeline begins with a module
global, ``rasa.utils.log_utils._anonymizer``; this launcher replaces it with one that masks
身份证号, phone numbers and names (``nlu.pii``) in every value before Rasa configures logging.
Runs inside Rasa's own virtualenv (``python -m nlu.rasa_run run …``, the project root as cwd).

Rasa checks every action server answer against its JSON schema with ``jsonschema.validate``,
which first checks the schema itself against the draft 2020-12 meta-schema: a quarter of Rasa's
CPU under load, for a schema that never changes. ``validate_action_results_once`` keeps the same
check with the schema checked once (``check_once``).

Started by a worker (``YICHUANG_RASA_PARENT`` names it), Rasa dies with that worker, even when
the worker is killed with -9: a Rasa left behind would call a webhook nobody serves any more.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from nlu.pii import mask_pii


def masked(value: Any) -> Any:
    """``value`` with PII masked in every string it holds (dicts and lists walked)."""
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, dict):
        return {k: masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(masked(v) for v in value)
    return value


def mask_event(_logger: Any, _method: str, event_dict: dict) -> dict:
    """A structlog processor: every field but the event's own name, masked."""
    return {k: (v if k == "event" else masked(v)) for k, v in event_dict.items()}


def die_with_parent() -> None:
    """Linux: SIGTERM when the worker that started us goes (PR_SET_PDEATHSIG)."""
    parent = os.environ.get("YICHUANG_RASA_PARENT", "")
    if not parent.isdigit() or not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != int(parent):  # it went before we asked to be told
        sys.exit(0)


def check_once(schema: dict) -> Any:
    """A validator for ``schema``, the schema itself checked here once (not on every answer)."""
    from jsonschema.validators import validator_for

    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_results_once() -> None:
    """Rasa's ``RemoteAction._validate_action_result`` with its validator built once: the same
    errors (and Rasa's message about them) for a bad answer, without the meta-schema each time."""
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction

    original = RemoteAction._validate_action_result
    validator = check_once(RemoteAction.action_response_format_spec())

    def validate(self: Any, result: dict) -> bool:
        try:
            validator.validate(result)
        except ValidationError:
            return original(self, result)  # Rasa's own error, message and all
        return True

    RemoteAction._validate_action_result = validate


def main() -> None:
    die_with_parent()
    import rasa.utils.log_utils as log_utils
    from rasa.__main__ import main as rasa_main

    log_utils._anonymizer = mask_event
    validate_action_results_once()
    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
