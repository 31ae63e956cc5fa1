"""Rasa beside the app: started after checking its port, watched, restarted, stopped with the app.

``yichuang serve`` builds the app with a supervisor; the app's lifespan starts and stops it, so
Rasa stops on SIGTERM and SIGINT too (uvicorn runs the lifespan's shutdown, then re-raises the
signal: code after ``uvicorn.run`` never runs).

At start the port must be free. A server there that an earlier run of ours left behind (its pid
is in ``var/rasa/rasa.pid`` and it is a ``rasa`` process) is stopped and replaced; anything else
is refused: the app answers on its own and ``/health`` and ``/ready`` say why, with the model
that server reports. A Rasa that dies is restarted with back-off (1 s, 2 s, 5 s … 60 s).
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

from assistant import dialogue_server as ds
from assistant.logs import get_logger
from assistant.settings import Settings

log = get_logger(__name__)
BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
STABLE_AFTER = 60.0  # seconds up after which the back-off starts again from the first step


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _is_rasa(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    launcher = any(part.endswith(b"rasa") or part == b"nlu.rasa_run" for part in cmdline[:3])
    return launcher and b"run" in cmdline


class DialogueSupervisor:
    def __init__(self, settings: Settings, action_url: str, model: Path | None = None, metrics=None) -> None:
        self.settings, self.action_url, self.metrics = settings, action_url, metrics
        self.model = model or ds.latest_model(settings)
        self.state = "off"  # off | starting | ready | restarting | refused | failed | stopped
        self.detail = ""
        self.restarts = 0
        self.rasa: ds.RasaProcess | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def ready(self) -> bool:
        return self.state == "ready" and self.rasa is not None and self.rasa.alive

    def status(self) -> dict:
        return {
            "state": self.state,
            "detail": self.detail,
            "restarts": self.restarts,
            "model": self.model.name if self.model else None,
            "pid": self.rasa.proc.pid if self.rasa and self.rasa.alive else None,
        }

    def start(self) -> None:
        if not ds.rasa_installed() or self.model is None:
            self.state, self.detail = "off", "没有安装 Rasa 或没有训练好的模型（make run 会准备）"
            log.warning("dialogue server not started: run `make rasa-env` and `yichuang train`")
            return
        self.state = "starting"
        self._thread = threading.Thread(target=self._run, name="rasa-supervisor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self.rasa is not None:
            self.rasa.stop()
        if self._thread is not None:
            self._thread.join(timeout=20)
        if self.state != "refused":
            self.state = "stopped"
        log.info("dialogue server stopped")

    # -- the loop ----------------------------------------------------------------------------
    def _run(self) -> None:
        if not self._claim_port():
            return
        failures = 0
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.rasa = ds.RasaProcess(self.settings, self.model, self.action_url)
                self.rasa.start(cancelled=self._stop.is_set)
                self.state, self.detail = "ready", ""
                self._set_up(1)
                while self.rasa.alive and not self._stop.wait(1.0):
                    pass
                if self._stop.is_set():
                    return
                self.detail = f"Rasa 意外退出（退出码 {self.rasa.proc.returncode}），见 {self.rasa.log_file}"
                log.error("dialogue server died", exit_code=self.rasa.proc.returncode)
            except ds.DialogueServerError as exc:
                if self._stop.is_set():
                    return
                self.detail = str(exc)
                log.error("dialogue server failed to start", error=str(exc))
            self._set_up(0)
            failures = 0 if time.monotonic() - started > STABLE_AFTER else failures + 1
            delay = BACKOFF[min(failures, len(BACKOFF)) - 1] if failures else BACKOFF[0]
            self.state = "restarting"
            self.restarts += 1
            if self.metrics is not None:
                self.metrics.rasa_restarts.inc()
            log.warning("restarting the dialogue server", in_seconds=delay, restarts=self.restarts)
            if self._stop.wait(delay):
                return

    def _set_up(self, value: int) -> None:
        if self.metrics is not None:
            self.metrics.rasa_up.set(value)

    def _claim_port(self) -> bool:
        """True when the port is free (an earlier run's Rasa of ours is stopped first)."""
        probe = ds.RasaProcess(self.settings, self.model, self.action_url)
        if not port_in_use(probe.port):
            return True
        pid = ds._pid_in(probe.pid_file)
        if pid is not None and _is_rasa(pid):
            log.warning("replacing a dialogue server left by an earlier run", pid=pid, port=probe.port)
            ds.stop_group(pid)
            probe.pid_file.unlink(missing_ok=True)
            deadline = time.monotonic() + 10
            while port_in_use(probe.port) and time.monotonic() < deadline:
                time.sleep(0.1)
            if not port_in_use(probe.port):
                return True
        served = probe.served_model()
        self.state = "refused"
        self.detail = (
            f"端口 {probe.port} 已被另一个不是本服务启动的对话服务占用（它加载的模型："
            f"{served or '未知'}；本服务的模型：{self.model.name}）；没有使用它，请先停止它"
        )
        log.error("dialogue server port held by a server we did not start", port=probe.port, model=served)
        return False
