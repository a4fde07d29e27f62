"""One Settings object for the whole process, read from YIYANG_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent


class Settings(BaseSettings):
    """Process configuration; the defaults run with no other service installed."""

    model_config = SettingsConfigDict(env_prefix="YIYANG_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/yiyang.sqlite3",
        description="SQLAlchemy URL; postgresql+psycopg://... in production",
    )
    secret_key: str = Field(
        default="",
        description="Signs CSRF tokens; generated per process when empty (dev only)",
    )
    session_hours: int = 12
    api_token_days: int = 90
    district_code: str = "410105"
    default_locale: str = "zh_CN"
    cookie_secure: bool = False
    max_import_bytes: int = 10 * 1024 * 1024
    max_import_rows: int = 250_000
    elder_id_lookups_per_hour: int = Field(
        default=20, ge=1, description="Searches by full ID number one user may make in an hour"
    )
    static_dir: Path = PACKAGE_DIR / "static"
    vendor_dir: Path = PACKAGE_DIR / "static" / "vendor"
    order_max_days_ahead: int = 30
    dispatch_org_offer_minutes: int = 10
    dispatch_caregiver_offer_minutes: int = 5
    dispatch_top_k: int = 5
    dispatch_day_plan_freeze_minutes: int = Field(
        default=120, description="A day plan leaves visits starting sooner than this alone"
    )
    dispatch_day_plan_at: str = Field(
        default="", description="Local HH:MM to re-plan tomorrow every night; empty: by hand only"
    )
    recurring_days_ahead: int = Field(default=1, description="Expand recurring orders this far")
    visit_geofence_m: int = Field(default=150, description="Default geofence radius per elder")
    visit_poor_accuracy_m: float = Field(default=200, description="GPS accuracy flagged as poor")
    visit_late_minutes: int = Field(default=15, description="Late alert after window start")
    visit_no_show_minutes: int = Field(default=30, description="No-show alert after window start")
    visit_min_minutes: int = Field(default=30, description="Shorter visits need a reason (NG21)")
    outbox_max_attempts: int = Field(default=8, ge=1, description="Tries before the dead letter")
    outbox_backoff_base_seconds: float = Field(default=10, gt=0, description="First retry wait")
    outbox_backoff_cap_seconds: float = Field(default=3600, gt=0, description="Longest wait")
    outbox_lease_seconds: float = Field(
        default=60, gt=0, description="A claimed message is tried again after this if unsettled"
    )
    outbox_batch: int = Field(default=200, ge=1, description="Messages delivered per worker tick")
    notify_adapter: Literal["log"] = Field(
        default="log", description="SMS and voice calls: `log` writes them to the port log"
    )
    webhook_adapter: Literal["http", "log"] = Field(
        default="http", description="Webhooks: `http` posts them, `log` only writes them down"
    )
    webhook_timeout_seconds: float = Field(default=10, gt=0)
    audit_online_days: int = Field(
        default=180, ge=1, le=36_500, description="Audit rows older than this move to archive files"
    )
    audit_archive_dir: Path = Field(
        default=Path("var/audit-archive"),
        description="Where the archived audit rows go (gzipped JSON lines); copy it elsewhere too",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Build the settings once per process (tests build their own)."""
    return Settings()
