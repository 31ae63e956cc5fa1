"""`yichuang serve` and the dialogue server's process: stopped on SIGTERM/SIGINT with nothing
left behind, a stale server on the port detected, a dead one restarted.

Rasa itself is replaced by ``fake_rasa.py`` (the endpoints the app uses): these tests are
about processes and ports, not dialogue.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from assistant.settings import Settings
from assistant.supervisor import DialogueSupervisor, port_in_use
from tests.stubs import until

ROOT = Path(__file__).resolve().parents[2]
FAKE = Path(__file__).with_name("fake_rasa.py")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _can_bind(port: int) -> bool:
    """A new server could listen there (as servers do, past TIME_WAIT) and nothing answers."""
    if port_in_use(port):
        return False
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] if Path(f"/proc/{pid}").exists() else "X"
    return state != "Z"


@pytest.fixture
def fake_rasa(tmp_path, monkeypatch):
    """An executable ``rasa`` (the fake) and a var folder with a 'trained model' in it."""
    exe = tmp_path / "bin" / "rasa"
    exe.parent.mkdir()
    exe.write_text(f"#!{sys.executable}\n" + FAKE.read_text(encoding="utf-8"), encoding="utf-8")
    exe.chmod(0o755)
    models = tmp_path / "var" / "rasa" / "models"
    models.mkdir(parents=True)
    (models / "ours.tar.gz").write_bytes(b"not a real model")
    monkeypatch.setenv("YICHUANG_RASA_BIN", str(exe))
    return exe, tmp_path / "var"


def _start_foreign(exe: Path, port: int, model: str, token: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [str(exe), "run", "--port", str(port), "--model", model, "--auth-token", token], start_new_session=True
    )
    assert until(lambda: port_in_use(port), 10), "the fake server did not come up"
    return proc


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_stops_rasa_on_signal_and_frees_both_ports(fake_rasa, sig):
    exe, var = fake_rasa
    app_port, rasa_port = _free_port(), _free_port()
    env = os.environ | {
        "YICHUANG_VAR_DIR": str(var), "YICHUANG_SEARCH_ENABLED": "false", "YICHUANG_PORT": str(app_port),
        "YICHUANG_RASA_URL": f"http://127.0.0.1:{rasa_port}", "YICHUANG_RASA_BIN": str(exe),
        "PYTHONPATH": str(ROOT),
    }  # fmt: skip
    serve = subprocess.Popen([sys.executable, "-m", "assistant", "serve"], cwd=ROOT, env=env)
    try:

        def dialogue():
            try:
                return httpx.get(f"http://127.0.0.1:{app_port}/health", timeout=2).json()["dialogue_server"]
            except (httpx.HTTPError, ValueError):
                return None

        status = until(lambda: (d := dialogue()) and d["state"] == "ready" and d, within=90)
        assert status, dialogue()
        rasa_pid = status["pid"]
        assert _alive(rasa_pid) and httpx.get(f"http://127.0.0.1:{app_port}/ready", timeout=5).status_code == 200
        serve.send_signal(sig)
        serve.wait(timeout=40)
    finally:
        if serve.poll() is None:
            serve.kill()
    assert until(lambda: not _alive(rasa_pid), 10), "Rasa was left running"
    assert _can_bind(app_port) and _can_bind(rasa_port)
    assert not (var / "rasa" / "rasa.pid").exists()


def _settings(var: Path, port: int) -> Settings:
    return Settings(var_dir=var, rasa_url=f"http://127.0.0.1:{port}", search_enabled=False)


def test_a_server_we_did_not_start_is_refused_and_left_alone(fake_rasa):
    from assistant.dialogue_server import rasa_api_token

    exe, var = fake_rasa
    port = _free_port()
    settings = _settings(var, port)
    foreign = _start_foreign(exe, port, "/elsewhere/someone-elses.tar.gz", rasa_api_token(settings))
    supervisor = DialogueSupervisor(settings, "http://127.0.0.1:9/webhook")
    try:
        supervisor.start()
        assert until(lambda: supervisor.state != "starting", 15)
        assert supervisor.state == "refused" and not supervisor.ready
        assert "someone-elses.tar.gz" in supervisor.detail and "ours.tar.gz" in supervisor.detail
        assert foreign.poll() is None  # not ours to stop
    finally:
        supervisor.stop()
        foreign.terminate()
        foreign.wait(timeout=10)


def test_a_server_an_earlier_run_left_is_replaced_and_a_dead_one_restarted(fake_rasa):
    from assistant.dialogue_server import rasa_api_token

    exe, var = fake_rasa
    port = _free_port()
    settings = _settings(var, port)
    stale = _start_foreign(exe, port, str(var / "rasa" / "models" / "old.tar.gz"), rasa_api_token(settings))
    (var / "rasa" / "rasa.pid").write_text(json.dumps({"pid": stale.pid, "port": port, "model": "old.tar.gz"}))
    supervisor = DialogueSupervisor(settings, "http://127.0.0.1:9/webhook")
    try:
        supervisor.start()
        assert until(lambda: supervisor.ready, 30), supervisor.status()
        assert stale.wait(timeout=5) is not None  # the earlier run's server was stopped
        first = supervisor.status()["pid"]
        assert first != stale.pid and _alive(first)
        served = httpx.get(f"http://127.0.0.1:{port}/status", params={"token": rasa_api_token(settings)}).json()
        assert served["model_file"] == "ours.tar.gz"
        os.kill(first, signal.SIGKILL)  # it dies: restarted after the first back-off step
        assert until(lambda: supervisor.restarts == 1 and supervisor.ready, 30), supervisor.status()
        assert supervisor.status()["pid"] not in (None, first)
    finally:
        supervisor.stop()
    assert not port_in_use(port)


def test_no_rasa_installed_means_off_not_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("YICHUANG_RASA_BIN", str(tmp_path / "missing" / "rasa"))
    supervisor = DialogueSupervisor(_settings(tmp_path, _free_port()), "http://127.0.0.1:9/webhook")
    supervisor.start()
    assert supervisor.state == "off" and not supervisor.ready
    shutil.rmtree(tmp_path, ignore_errors=True)
