from __future__ import annotations

import logging

from assistant.logs import flush_logs, get_logger, setup_logging


def test_no_pii_leaves_in_log_lines(capsys):
    setup_logging("INFO", "json")
    get_logger("t").info("citizen said 我的手机13812345678", sender="u1", text="身份证11010519491231002X")
    logging.getLogger("plain").warning("phone %s", "13912345678")
    flush_logs()
    err = capsys.readouterr().err
    assert "13812345678" not in err and "11010519491231002X" not in err and "13912345678" not in err
    assert "138****5678" in err and "139****5678" in err
