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
    sqlite_synchronous: Literal["FULL", "NORMAL"] = Field(
        default="FULL",
        description="SQLite only. FULL: a write the service acknowledged survives a power loss or OS crash. "
        "NORMAL is faster but, in WAL mode, may roll back the latest acknowledged writes after such a crash "
        "(never after the service itself is killed). See docs/security.md for the measured cost.",
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
    personal_token_max_days: int = Field(
        default=90,
        ge=1,
        le=3650,
        description="Longest lifetime of a person's API token; one issued without an expiry gets this one.",
    )
    auth_failure_limit: int = Field(
        default=20, ge=1, description="Failed authentications allowed per client address (and per token prefix)."
    )
    auth_failure_window_seconds: float = Field(
        default=300, gt=0, description="The window the failure limit counts in; past it the answer is 429."
    )
    auth_failure_tracked_keys: int = Field(
        default=10_000, ge=100, description="How many addresses and prefixes the limiter remembers (LRU)."
    )
    trusted_proxies: list[str] = Field(
        default=[],
        description="Addresses of reverse proxies whose X-Forwarded-For gives the client address (JSON list).",
    )
    body_timeout_seconds: float = Field(
        default=30, gt=0, le=600, description="A request body must arrive in full within this many seconds."
    )
    cors_origins: list[str] = Field(
        default=[], description="Browser origins allowed to call the API (JSON list); none by default."
    )
    log_level: str = Field(default="INFO", description="Python logging level.")
    oidc_issuer: str = Field(
        default="",
        description="Single-provider OpenID Connect sign-in: the trusted issuer (e.g. "
        "https://login.microsoftonline.com/{tenant}/v2.0). Needs LIF_OIDC_AUDIENCE and LIF_OIDC_PARTNERSHIP.",
    )
    oidc_audience: str = Field(default="", description="The audience (`aud`) access tokens must carry for this API.")
    oidc_partnership: str = Field(default="", description="Key of the partnership the environment's issuer signs in.")
    oidc_subject_claim: str = Field(default="sub", description="Claim naming the user at the provider (Entra: oid).")
    oidc_email_claim: str = Field(default="email", description="Claim holding the user's email (Entra: upn or email).")
    oidc_name_claim: str = Field(default="name", description="Claim holding the user's display name.")
    oidc_roles_claim: str = Field(default="roles", description="Claim listing roles or groups (dots: nested).")
    oidc_agency_claim: str = Field(default="", description="Claim holding the user's agency code (empty: none).")
    oidc_role_map: dict[str, list[str]] = Field(
        default={}, description='JSON: roles-claim value -> LIF roles, e.g. {"<group id>": ["business_manager"]}.'
    )
    oidc_provisioning: Literal["refuse", "just_in_time"] = Field(
        default="refuse", description="An unknown user with a valid token: refused (401), or created with mapped roles."
    )
    oidc_leeway_seconds: int = Field(default=30, ge=0, le=300, description="Clock skew allowed on exp, nbf and iat.")
    oidc_http_timeout_seconds: float = Field(
        default=5, gt=0, le=30, description="Timeout for each request to a provider (discovery, keys)."
    )
    oidc_keys_cache_seconds: float = Field(
        default=3600, ge=60, description="How long a provider's discovery document and signing keys are kept."
    )
    oidc_keys_refetch_floor_seconds: float = Field(
        default=60,
        ge=0,
        description="Fewest seconds between two key fetches from one provider, however many unknown key ids arrive.",
    )
    host: str = Field(default="127.0.0.1", description="Address `lif serve` binds.")
    port: int = Field(default=8000, description="Port `lif serve` binds.")

    @model_validator(mode="after")
    def _refuse_default_secrets_in_production(self) -> Settings:
        if self.environment == "production" and len(self.secret_key) < 32:
            raise ValueError("LIF_SECRET_KEY must be set (32+ characters) when LIF_ENVIRONMENT=production")
        if self.environment == "production" and self.webhook_allow_private_addresses:
            raise ValueError("LIF_WEBHOOK_ALLOW_PRIVATE_ADDRESSES must not be enabled in production")
        single_provider = (self.oidc_issuer, self.oidc_audience, self.oidc_partnership)
        if any(single_provider) and not all(single_provider):
            raise ValueError("LIF_OIDC_ISSUER, LIF_OIDC_AUDIENCE and LIF_OIDC_PARTNERSHIP go together (all or none)")
        if self.environment == "production" and self.oidc_issuer and not self.oidc_issuer.startswith("https://"):
            raise ValueError("LIF_OIDC_ISSUER must be an https URL when LIF_ENVIRONMENT=production")
        return self

    @property
    def webhook_requires_https(self) -> bool:
        """Partners' endpoints must use https in production."""
        return self.environment == "production"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
