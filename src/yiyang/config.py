"""One Settings object for the whole process, read from YIYANG_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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
    instance_dir: Path = Field(
        default=Path("var"), description="Instance folder: job result files and waiting uploads"
    )
    job_lease_seconds: int = Field(
        default=60, description="A running job whose worker is silent this long is taken over"
    )
    job_file_hours: int = Field(default=24, description="Job result files are kept this long")
    job_sync_rows: int = Field(
        default=5000, description="Exports up to this many rows are answered at once, not as jobs"
    )
    job_sync_import_bytes: int = Field(
        default=512 * 1024, description="Imports up to this size are checked at once, not as jobs"
    )
    worker_job_threads: int = Field(default=1, description="Jobs one worker runs side by side")
    worker_job_nice: int = Field(
        default=10, description="Job threads run this much nicer than requests (0: as they)"
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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Build the settings once per process (tests build their own)."""
    return Settings()
