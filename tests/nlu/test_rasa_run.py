"""Rasa's log lines go through nlu.rasa_run's processor: citizens' numbers and names never reach the file."""

from __future__ import annotations

from nlu.rasa_run import mask_event


def test_a_timed_out_turn_is_logged_without_the_citizens_phone_or_id():
    event = {
        "event": "rest.message.received.timeout",
        "text": "我叫张伟，手机13812345678，身份证110101199003074514，预约换证",
        "tracker_latest_message": {"text": "联系人李娜 13987654321", "intent": {"name": "book"}},
        "sender_id": "web:abc",
    }
    line = str(mask_event(None, "error", dict(event)))
    for raw in ("13812345678", "110101199003074514", "13987654321", "张伟"):
        assert raw not in line
    assert "rest.message.received.timeout" in line and "预约换证" in line and "web:abc" in line


def test_the_launcher_replaces_rasas_first_log_processor(monkeypatch):
    import sys
    import types

    log_utils = types.ModuleType("rasa.utils.log_utils")
    log_utils._anonymizer = None
    ran = []
    main_mod = types.ModuleType("rasa.__main__")
    main_mod.main = lambda: ran.append(log_utils._anonymizer)
    for name, mod in {"rasa": types.ModuleType("rasa"), "rasa.utils": types.ModuleType("rasa.utils"),
                      "rasa.utils.log_utils": log_utils, "rasa.__main__": main_mod}.items():  # fmt: skip
        monkeypatch.setitem(sys.modules, name, mod)
    sys.modules["rasa"].utils = sys.modules["rasa.utils"]
    sys.modules["rasa.utils"].log_utils = log_utils
    from nlu import rasa_run

    rasa_run.main()
    assert ran == [rasa_run.mask_event]
