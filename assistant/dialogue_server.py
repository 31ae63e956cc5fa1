"""The dialogue server (Rasa 3.6): training, evaluation and the process beside the app.

Rasa lives in its own virtualenv (``.venv-rasa``, see the Makefile); the app never imports
it and only runs its command line. Training is keyed by a fingerprint of everything the model
is built from (config, domain, training data, the jieba dictionary, the Rasa lock file), so an
unchanged project reuses the model it already has.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from assistant.logs import get_logger
from assistant.settings import Settings

log = get_logger(__name__)

ROOT = Path(__file__).resolve().parent.parent
RASA_DIR = ROOT / "assistant" / "rasa"
COMPONENTS = [ROOT / "nlu" / f"rasa_{name}.py" for name in ("tokenizer", "featurizer", "intent")]
CONFIG = ROOT / "config.yml"
DOMAIN = RASA_DIR / "domain.yml"  # also read by assistant.actions.service
TRAINING_DATA = RASA_DIR / "data"
HOLDOUT = RASA_DIR / "tests" / "nlu_holdout.yml"
TEST_STORIES = RASA_DIR / "tests" / "test_stories.yml"
LOCK = ROOT / "requirements-rasa.lock"
RASA_VENV = ROOT / ".venv-rasa"


class DialogueServerError(RuntimeError):
    """Rasa is not installed, training failed, or the server did not come up."""


def rasa_bin() -> Path:
    return Path(os.environ.get("YICHUANG_RASA_BIN", RASA_VENV / "bin" / "rasa"))


def rasa_server_command() -> list[str]:
    """How ``rasa run`` is started: through ``nlu.rasa_run`` (PII masked in Rasa's log) in Rasa's
    virtualenv, or the executable named by ``YICHUANG_RASA_BIN`` as it is."""
    if "YICHUANG_RASA_BIN" in os.environ:
        return [str(rasa_bin())]
    return [str(RASA_VENV / "bin" / "python"), "-m", "nlu.rasa_run"]


def rasa_installed() -> bool:
    return rasa_bin().exists()


def rasa_dir(settings: Settings) -> Path:
    return settings.var_dir / "rasa"


def _env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env["RASA_CACHE_DIRECTORY"] = str((rasa_dir(settings) / "cache").resolve())
    env["PYTHONPATH"] = str(ROOT)  # nlu.rasa_tokenizer
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("OMP_NUM_THREADS", "2")
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # idle OpenMP threads sleep (see assistant.cli)
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    return env


def _run(
    settings: Settings, args: list[str], what: str, *, capture: bool = False, extra_env: dict | None = None
) -> str:
    if not rasa_installed():
        raise DialogueServerError(f"没有找到 Rasa（{rasa_bin()}）：请先运行 make rasa-env")
    env = _env(settings) | (extra_env or {})
    proc = subprocess.run(
        [str(rasa_bin()), *args], cwd=ROOT, env=env, text=True, capture_output=capture, check=False
    )
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout or "")[-2000:] if capture else ""
        raise DialogueServerError(f"{what}失败（rasa 退出码 {proc.returncode}）\n{tail}".rstrip())
    return proc.stdout if capture else ""


# -- training ----------------------------------------------------------------------------------
def training_config(settings: Settings, dictionary: Path) -> Path:
    """config.yml with the jieba dictionary folder of these settings (absolute)."""
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    for component in config.get("pipeline", []):
        if "dictionary_path" in component:
            component["dictionary_path"] = str(dictionary.resolve())
    out = rasa_dir(settings) / "config.yml"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def fingerprint(dictionary: Path) -> str:
    """Hash of everything the model is trained from (our pipeline components' code included);
    equal hashes mean the same model."""
    digest = hashlib.sha256()
    files = [
        CONFIG,
        DOMAIN,
        LOCK,
        *COMPONENTS,
        *sorted(TRAINING_DATA.glob("*.yml")),
        *sorted(dictionary.glob("*")),
    ]
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class TrainResult:
    model: Path
    trained: bool
    seconds: float

    @property
    def size_mb(self) -> float:
        return self.model.stat().st_size / 1e6


def model_path(settings: Settings, dictionary: Path) -> Path:
    return rasa_dir(settings) / "models" / f"{fingerprint(dictionary)}.tar.gz"


def latest_model(settings: Settings) -> Path | None:
    models = sorted((rasa_dir(settings) / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def train(settings: Settings, dictionary: Path, *, force: bool = False) -> TrainResult:
    """Train the dialogue model unless one with the same fingerprint exists."""
    target = model_path(settings, dictionary)
    if target.exists() and not force:
        return TrainResult(target, trained=False, seconds=0.0)
    config = training_config(settings, dictionary)
    started = time.perf_counter()
    _run(
        settings,
        [
            "train",
            "--config", str(config),
            "--domain", str(DOMAIN),
            "--data", str(TRAINING_DATA),
            "--out", str(target.parent),
            "--fixed-model-name", target.name.removesuffix(".tar.gz"),
        ],
        "训练对话模型",
    )  # fmt: skip
    seconds = time.perf_counter() - started
    if not target.exists():
        raise DialogueServerError(f"训练结束但没有生成模型文件 {target}")
    for old in target.parent.glob("*.tar.gz"):
        if old != target:
            old.unlink()
    log.info(
        "dialogue model trained", seconds=round(seconds, 1), size_mb=round(target.stat().st_size / 1e6, 1)
    )
    return TrainResult(target, trained=True, seconds=seconds)


# -- evaluation --------------------------------------------------------------------------------
@dataclass
class NluScores:
    macro_f1: float
    accuracy: float
    per_intent: dict[str, float]
    examples: int
    confusions: list[tuple[str, str, str]]  # (text, expected, predicted)


def evaluate_nlu(settings: Settings, model: Path) -> NluScores:
    """Intent scores of ``model`` on the held-out examples (never trained on)."""
    out = rasa_dir(settings) / "results" / "nlu"
    shutil.rmtree(out, ignore_errors=True)
    _run(
        settings,
        ["test", "nlu", "--nlu", str(HOLDOUT), "--model", str(model), "--out", str(out)],
        "评估意图识别",
        capture=True,
    )
    report = json.loads((out / "intent_report.json").read_text(encoding="utf-8"))
    errors_file = out / "intent_errors.json"
    errors = json.loads(errors_file.read_text(encoding="utf-8")) if errors_file.exists() else []
    return NluScores(
        macro_f1=report["macro avg"]["f1-score"],
        accuracy=report["accuracy"],
        per_intent={
            k: v["f1-score"]
            for k, v in report.items()
            if isinstance(v, dict) and k not in ("macro avg", "weighted avg", "micro avg")
        },
        examples=int(report["macro avg"]["support"]),
        confusions=[(e["text"], e["intent"], e["intent_prediction"]["name"]) for e in errors],
    )


def test_stories(settings: Settings, model: Path) -> str:
    """Run the test stories; raises when a story's predicted actions differ."""
    out = rasa_dir(settings) / "results" / "core"
    shutil.rmtree(out, ignore_errors=True)
    return _run(
        settings,
        [
            "test", "core",
            "--stories", str(TEST_STORIES),
            "--model", str(model),
            "--out", str(out),
            "--fail-on-prediction-errors",
            "--endpoints", str(write_endpoints(settings)),
        ],
        "测试对话故事",
        capture=True,
        extra_env=_endpoint_env(settings, "http://127.0.0.1:9/webhook"),
    )  # fmt: skip


# -- the running server ------------------------------------------------------------------------
def write_endpoints(settings: Settings) -> Path:
    """``var/rasa/endpoints.yml``: the app as action server (``assistant/rasa/endpoints.yml``) and,
    with ``redis_url``, trackers and conversation locks in that Redis, so any Rasa of a scale-out
    continues any conversation. Trackers hold the citizens' own words: they expire
    ``conversation_ttl`` seconds after the last message. Secrets stay in the environment
    (``${…}``, filled by Rasa), never in the file."""
    endpoints = yaml.safe_load((RASA_DIR / "endpoints.yml").read_text(encoding="utf-8"))
    if settings.redis_url:
        redis = _redis_endpoint(settings.redis_url)
        # whole seconds: Rasa's Redis client refuses a float expiry, and Rasa then keeps trackers
        # in its own memory (it only logs the error), so the scale-out would silently lose context
        expiry = int(settings.conversation_ttl)
        endpoints["tracker_store"] = {"type": "redis", **redis, "record_exp": expiry}
        endpoints["lock_store"] = {"type": "redis", **redis}
    out = rasa_dir(settings) / "endpoints.yml"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(endpoints, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def _redis_endpoint(redis_url: str) -> dict:
    url = httpx.URL(redis_url)
    db = url.path.strip("/")
    found = {
        "url": url.host or "localhost",
        "port": url.port or 6379,
        "db": int(db) if db.isdigit() else 0,
        "key_prefix": "yichuang",  # Rasa wants it alphanumeric: yichuang:tracker:…, yichuang:lock:…
    }
    if url.username:
        found["username"] = "${YICHUANG_REDIS_USERNAME}"
    if url.password:
        found["password"] = "${YICHUANG_REDIS_PASSWORD}"
    if url.scheme == "rediss":
        found["use_ssl"] = True
    return found


def _endpoint_env(settings: Settings, action_url: str) -> dict[str, str]:
    env = {"YICHUANG_ACTION_URL": action_url, "YICHUANG_ACTION_TOKEN": settings.action_token}
    if settings.redis_url:
        url = httpx.URL(settings.redis_url)
        env |= {"YICHUANG_REDIS_USERNAME": url.username, "YICHUANG_REDIS_PASSWORD": url.password}
    return env


class RasaProcess:
    """``rasa run`` on loopback with the app as its action server; stopped with the app.

    Its HTTP API is on (``--enable-api``, token from ``rasa_api_token``): ``/status`` says which
    model it serves, and an abandoned turn is rewound through it. A pid file beside the log says
    which process on the port is ours (``assistant.supervisor`` reads it at start).
    """

    def __init__(self, settings: Settings, model: Path, action_url: str) -> None:
        self.settings, self.model, self.action_url = settings, model, action_url
        self.url = settings.rasa_url.rstrip("/")
        self.port = httpx.URL(self.url).port or 5005
        self.proc: subprocess.Popen | None = None
        self.log_file = rasa_dir(settings) / "rasa.log"
        self.pid_file = rasa_dir(settings) / "rasa.pid"

    def start(self, wait: float = 180.0, cancelled=lambda: False) -> RasaProcess:
        if not rasa_installed():
            raise DialogueServerError(f"没有找到 Rasa（{rasa_bin()}）：请先运行 make rasa-env")
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        args = [
            *rasa_server_command(), "run",
            "--interface", "127.0.0.1",
            "--port", str(self.port),
            "--model", str(self.model),
            "--endpoints", str(write_endpoints(self.settings)),
            "--credentials", str(RASA_DIR / "credentials.yml"),
            "--enable-api", "--auth-token", rasa_api_token(self.settings),
        ]  # fmt: skip
        with self.log_file.open("ab") as out:
            self.proc = subprocess.Popen(
                args,
                cwd=ROOT,
                env=_env(self.settings)
                | _endpoint_env(self.settings, self.action_url)
                | {"YICHUANG_RASA_PARENT": str(os.getpid())},  # it dies with us (nlu.rasa_run)
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped as a whole, no terminal ^C
            )
        self.pid_file.write_text(
            json.dumps({"pid": self.proc.pid, "port": self.port, "model": self.model.name}), encoding="utf-8"
        )
        self.wait_ready(wait, cancelled)
        log.info("dialogue server started", url=self.url, model=self.model.name, pid=self.proc.pid)
        return self

    def served_model(self, timeout: float = 1.0) -> str | None:
        """The model file the server on our port serves (None: no answer or not our token)."""
        return served_model(self.url, rasa_api_token(self.settings), timeout)

    def wait_ready(self, wait: float, cancelled=lambda: False) -> None:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and not cancelled():
            if self.proc is not None and self.proc.poll() is not None:
                raise DialogueServerError(
                    f"Rasa 启动失败（退出码 {self.proc.returncode}），见 {self.log_file}"
                )
            served = self.served_model()
            if served is not None:
                if Path(served).name != self.model.name:
                    self.stop()
                    raise DialogueServerError(
                        f"端口 {self.port} 上的对话服务加载的是 {served}，不是 {self.model.name}"
                    )
                self._warm_up()
                return
            time.sleep(0.5)
        self.stop()
        if cancelled():
            raise DialogueServerError("对话服务启动被取消（服务正在停止）")
        raise DialogueServerError(f"Rasa 在 {wait:.0f} 秒内没有就绪，见 {self.log_file}")

    def _warm_up(self) -> None:
        """The first message loads the sentence-embedding engine and TensorFlow's graphs (seconds);
        spend that here, not on a citizen's first turn."""
        try:
            httpx.post(
                f"{self.url}/webhooks/rest/webhook",
                json={"sender": "__warmup__", "message": "你好"},
                timeout=120,
            )
        except httpx.HTTPError as exc:
            log.warning("dialogue server warm-up failed", error=type(exc).__name__)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            stop_group(self.proc.pid)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.pid_file.exists() and _pid_in(self.pid_file) == self.proc.pid:
            self.pid_file.unlink(missing_ok=True)


def served_model(url: str, token: str, timeout: float = 1.0) -> str | None:
    try:
        response = httpx.get(f"{url.rstrip('/')}/status", params={"token": token}, timeout=timeout)
        if response.status_code == 200:
            return str(response.json().get("model_file") or "")
    except (httpx.HTTPError, ValueError):
        pass
    return None


def _pid_in(pid_file: Path) -> int | None:
    try:
        return int(json.loads(pid_file.read_text(encoding="utf-8"))["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def stop_group(pid: int, wait: float = 15.0) -> bool:
    """SIGTERM the process group ``pid`` leads, SIGKILL what is left after ``wait`` seconds."""
    import signal

    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return True
        try:  # reap it if it is our child
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return False


def rasa_api_token(settings: Settings) -> str:
    """The token of the Rasa HTTP API (``--enable-api``) we start: stable for one secret key, so a
    server left by an earlier run of ours can be asked which model it serves."""
    import hmac

    return hmac.new(settings.secret_key.encode(), b"rasa-http-api", hashlib.sha256).hexdigest()[:32]
