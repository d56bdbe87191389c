"""Configuration: the only module that reads environment variables (prefix ``LIF_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    """Every setting can be given as an environment variable, e.g. ``LIF_DATABASE_URL``."""

    model_config = SettingsConfigDict(env_prefix="LIF_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./lif.db",
        description="SQLAlchemy URL. Default: a SQLite file in the working directory. "
        "Production: postgresql+psycopg://user:pass@host/db",
    )
    environment: Literal["development", "test", "production"] = Field(
        default="development", description="'production' turns off demo helpers and tightens checks."
    )
    bpmn_dir: Path = Field(default=REPO_ROOT / "bpmn", description="Folder of BPMN files loaded at start-up.")
    run_worker_in_api: bool = Field(
        default=True,
        description="`lif serve` also runs the timer worker in-process (`--no-worker` turns it off).",
    )
    worker_poll_seconds: float = Field(
        default=0.25, gt=0, le=60, description="How often the worker looks for due timers (seconds)."
    )
    due_soon_working_days: int = Field(
        default=2, ge=0, le=30, description="A clock or task this close to its due date is 'due soon'."
    )
    secret_key: str = Field(
        default="",
        description="Encrypts stored webhook signing secrets. Required (32+ characters) in production; "
        "development and tests fall back to a fixed, insecure key.",
    )
    webhook_retry_schedule: list[float] = Field(
        default=[0, 5, 300, 1800, 7200, 18000, 36000, 36000],
        description="Seconds to wait before each delivery attempt (JSON list); jittered by ±10%.",
    )
    webhook_disable_after_seconds: float = Field(
        default=3 * 24 * 3600, description="An endpoint failing without a success for this long is disabled."
    )
    webhook_timeout_seconds: float = Field(default=10, gt=0, le=60, description="Per-attempt HTTP timeout.")
    webhook_max_response_bytes: int = Field(
        default=65536, ge=1024, description="Read at most this much of a partner's response."
    )
    webhook_secret_overlap_hours: float = Field(
        default=24, ge=0, description="After rotation the old signing secret stays valid (and used) this long."
    )
    webhook_allow_private_addresses: bool = Field(
        default=False,
        description="Allow endpoints on loopback, private or link-local addresses (tests and local trials only).",
    )
    evidence_dir: Path = Field(
        default=REPO_ROOT / "var" / "evidence",
        description="Folder where evidence files are stored, content-addressed by SHA-256 (back it up).",
    )
    evidence_max_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1024, description="Largest evidence file accepted, in bytes."
    )
    smtp_url: str = Field(
        default="",
        description="Mail server: smtp://[user:password@]host[:587] (STARTTLS) or smtps://...[:465] (TLS). "
        "Empty: mail is off; notifications are still recorded (status not_sent_mail_off).",
    )
    mail_from: str = Field(default="LIF Service <no-reply@localhost>", description="The From address of every e-mail.")
    frontend_url: str = Field(
        default="",
        description="Link template into the partnership's front end, with {task_id} and/or {case_id}, e.g. "
        "https://lif.example.org/tasks/{task_id}. Empty: links point at the API.",
    )
    smtp_timeout_seconds: float = Field(default=20, gt=0, le=120, description="Per-message SMTP timeout (seconds).")
    mail_retry_schedule: list[float] = Field(
        default=[0, 60, 300, 1800, 7200, 21600],
        description="Seconds to wait before each attempt (JSON list; the first is the first send): a temporary (4xx) "
        "failure waits for the next; after the last the notification is failed_permanent.",
    )
    digest_hour: int = Field(default=7, ge=0, le=23, description="Daily digests go out from this hour (Europe/London).")
    page_size_max: int = Field(default=200, ge=1, le=1000, description="Largest page a list endpoint returns.")
    log_level: str = Field(default="INFO", description="Python logging level.")
    host: str = Field(default="127.0.0.1", description="Address `lif serve` binds.")
    port: int = Field(default=8000, description="Port `lif serve` binds.")

    @model_validator(mode="after")
    def _refuse_default_secrets_in_production(self) -> Settings:
        if self.environment == "production" and len(self.secret_key) < 32:
            raise ValueError("LIF_SECRET_KEY must be set (32+ characters) when LIF_ENVIRONMENT=production")
        if self.environment == "production" and self.webhook_allow_private_addresses:
            raise ValueError("LIF_WEBHOOK_ALLOW_PRIVATE_ADDRESSES must not be enabled in production")
        return self

    @property
    def webhook_requires_https(self) -> bool:
        """Partners' endpoints must use https in production."""
        return self.environment == "production"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
