"""Service settings, read once per app from ``QE_``-prefixed environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# Below this many bytes an HS256 secret is brute-forceable (RFC 7518 §3.2 asks for >= 256 bits).
MIN_HS256_SECRET_BYTES = 32
PLACEHOLDER_SECRETS = frozenset({"changeme", "change-me", "secret", "password", "dev", "test"})


class Settings(BaseSettings):
    """Everything configurable about one running service.

    Built once per app (``create_app(Settings())``); tests pass their own instance with a
    temporary ``home``. Environment variables use the ``QE_`` prefix, e.g. ``QE_HOME``.
    """

    model_config = SettingsConfigDict(env_prefix="QE_", extra="ignore", frozen=True)

    home: Path = Field(default=Path("var"), description="Folder for everything the service writes.")
    env: Literal["dev", "prod"] = Field(
        default="prod", description="`dev` shows exception types in 500 messages."
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_buffer_size: int = Field(default=2000, ge=1, le=1_000_000)
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    jwt_secret: str | None = Field(default=None, repr=False)
    jwt_public_key: str | None = Field(default=None, repr=False)
    jwt_audience: str | None = None
    allow_insecure: bool = Field(
        default=False, description="Allow binding a non-loopback address without auth."
    )
    data_dir: Path | None = Field(
        default=None, description="Folder of per-ticker CSV/Parquet files; None: the sample."
    )
    ui_dir: Path | None = Field(
        default=None, description="Built web UI to serve at /; None: frontend/dist."
    )
    auto_import: bool = Field(
        default=True, description="Import data at startup when the store is empty or stale."
    )
    max_queued: int = Field(default=20, ge=0, le=10_000, description="Jobs allowed to wait.")
    max_concurrent_jobs: int = Field(default=2, ge=1, le=64, description="Jobs run at once.")
    cache_max_entries: int = Field(default=1000, ge=1, le=1_000_000)
    cache_ttl_seconds: float = Field(default=300.0, gt=0, le=86_400)
    sse_keepalive_seconds: float = Field(
        default=15.0, gt=0, le=15.0, description="Longest silence on an event stream."
    )
    max_body_bytes: int = Field(
        default=64 * 1024 * 1024, ge=1024, description="Largest accepted request body, bytes."
    )
    # health: the snapshotter's period and the thresholds of getQuickStatus (see the contract)
    health_interval_s: float = Field(
        default=300.0, ge=1.0, le=86_400, description="Seconds between status snapshots."
    )
    freshness_warning_bdays: int = Field(default=3, ge=0)
    freshness_critical_bdays: int = Field(default=10, ge=0)
    model_age_warning_days: float = Field(default=30.0, ge=0)
    model_age_critical_days: float = Field(default=90.0, ge=0)
    ic_trend_dates: int = Field(default=20, ge=1, le=1000)
    ic_warning: float = Field(default=0.0, ge=-1, le=1)
    ic_critical: float = Field(default=-0.05, ge=-1, le=1)
    disagreement_warning: float = Field(default=0.5, ge=-1, le=1)
    disagreement_top_n: int = Field(default=20, ge=1, le=1000)
    queue_warning_ratio: float = Field(default=0.8, gt=0, le=1)
    disk_warning_gib: float = Field(default=2.0, ge=0)
    disk_critical_gib: float = Field(default=0.5, ge=0)
    cache_hit_warning: float = Field(default=0.2, ge=0, le=1)
    cache_min_lookups: int = Field(default=100, ge=0)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(origin.strip() for origin in value.split(",") if origin.strip())
        return value

    @field_validator("data_dir", mode="before")
    @classmethod
    def _empty_dir_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("jwt_secret", "jwt_public_key", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("jwt_public_key")
    @classmethod
    def _parseable_public_key(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        try:
            key = load_pem_public_key(value.encode())
        except (ValueError, TypeError) as error:
            raise ValueError(f"QE_JWT_PUBLIC_KEY is not a PEM public key: {error}") from None
        if not isinstance(key, RSAPublicKey):
            raise ValueError("QE_JWT_PUBLIC_KEY must be an RSA public key (RS256)")
        return value

    @model_validator(mode="after")
    def _check_health_thresholds(self) -> Settings:
        pairs = (
            (
                "QE_FRESHNESS_WARNING_BDAYS",
                self.freshness_warning_bdays,
                "QE_FRESHNESS_CRITICAL_BDAYS",
                self.freshness_critical_bdays,
            ),
            (
                "QE_MODEL_AGE_WARNING_DAYS",
                self.model_age_warning_days,
                "QE_MODEL_AGE_CRITICAL_DAYS",
                self.model_age_critical_days,
            ),
            ("QE_IC_CRITICAL", self.ic_critical, "QE_IC_WARNING", self.ic_warning),
            (
                "QE_DISK_CRITICAL_GIB",
                self.disk_critical_gib,
                "QE_DISK_WARNING_GIB",
                self.disk_warning_gib,
            ),
        )
        for low_name, low, high_name, high in pairs:
            if low > high:
                raise ValueError(f"{low_name} ({low}) must not exceed {high_name} ({high})")
        return self

    @model_validator(mode="after")
    def _check_auth(self) -> Settings:
        if self.jwt_secret is not None and self.jwt_public_key is not None:
            raise ValueError("set QE_JWT_SECRET (HS256) or QE_JWT_PUBLIC_KEY (RS256), not both")
        if self.jwt_secret is not None and self.env != "dev":
            if self.jwt_secret.strip().lower() in PLACEHOLDER_SECRETS:
                raise ValueError("QE_JWT_SECRET is a placeholder; choose a real secret")
            if len(self.jwt_secret.encode()) < MIN_HS256_SECRET_BYTES:
                raise ValueError(
                    f"QE_JWT_SECRET must be at least {MIN_HS256_SECRET_BYTES} bytes outside dev"
                )
        return self

    @property
    def auth_enabled(self) -> bool:
        """True when bearer tokens are verified on protected operations."""
        return self.jwt_secret is not None or self.jwt_public_key is not None

    @property
    def state_dir(self) -> Path:
        """SQLite databases (jobs, health history, tracking)."""
        return self.home / "state"

    @property
    def store_dir(self) -> Path:
        """Normalized market data."""
        return self.home / "store"

    def insecure_bind_problem(self, host: str) -> str | None:
        """Why binding ``host`` is refused, or None when it is allowed."""
        if host in LOOPBACK_HOSTS or self.auth_enabled or self.allow_insecure:
            return None
        return (
            f"refusing to bind {host!r} without authentication: set QE_JWT_SECRET or "
            "QE_JWT_PUBLIC_KEY, or set QE_ALLOW_INSECURE=1 to accept the risk"
        )
