"""Configuration: the only module that reads environment variables (prefix ``LIF_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
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
    page_size_max: int = Field(default=200, ge=1, le=1000, description="Largest page a list endpoint returns.")
    log_level: str = Field(default="INFO", description="Python logging level.")
    host: str = Field(default="127.0.0.1", description="Address `lif serve` binds.")
    port: int = Field(default=8000, description="Port `lif serve` binds.")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
