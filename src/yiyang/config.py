"""One Settings object for the whole process, read from YIYANG_* environment variables."""

from __future__ import annotations

import os
import secrets
import time
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, IPvAnyNetwork, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent
SECRET_KEY_FILE = "secret_key"


class Settings(BaseSettings):
    """Process configuration; the defaults run with no other service installed."""

    model_config = SettingsConfigDict(env_prefix="YIYANG_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/yiyang.sqlite3",
        description="SQLAlchemy URL; postgresql+psycopg://... in production",
    )
    database_pool_size: int = Field(
        default=10,
        ge=1,
        le=100,
        description=(
            "PostgreSQL connections each web process keeps open (as many more at a peak, then"
            " closed): enough for the requests its thread pool runs at once, so a busy process"
            " does not open and close a connection, and lose its prepared statements, per request"
        ),
    )
    secret_key: str = Field(
        default="",
        description=(
            "Signs CSRF tokens and visit-card codes; every process must share it. Required on"
            " PostgreSQL; on SQLite, when empty, one is generated once and kept in the file"
            " `secret_key` next to the database file (mode 0600)"
        ),
    )
    session_hours: int = Field(default=12, description="Absolute lifetime of a page session")
    session_idle_minutes: int = Field(
        default=30, ge=1, description="A page session unused this long ends"
    )
    api_token_days: int = Field(default=90, ge=1, description="Absolute lifetime of an API token")
    api_token_idle_days: int = Field(
        default=30, ge=1, description="An API token unused this long stops working"
    )
    district_code: str = "410105"
    default_locale: str = "zh_CN"
    cookie_secure: bool = Field(
        default=True,
        description="Session cookies only over HTTPS; the demo and the tests turn it off",
    )
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = Field(
        default_factory=list,
        description=(
            "Comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For and"
            " X-Forwarded-Proto are believed; empty: the peer address is the client's"
        ),
    )
    login_max_failures: int = Field(
        default=5, ge=1, description="Failed sign-ins of one account that lock it"
    )
    login_failure_window_minutes: int = Field(
        default=15, ge=1, description="Failures older than this are forgotten"
    )
    login_lockout_minutes: int = Field(
        default=15, ge=1, description="How long an account or address stays locked"
    )
    login_attempts_per_minute: int = Field(
        default=3,
        ge=1,
        description="Unsuccessful sign-in attempts per account and minute before 429",
    )
    login_client_attempts_per_minute: int = Field(
        default=10,
        ge=1,
        description="Unsuccessful sign-in attempts per client address and minute before 429",
    )
    login_client_max_failures: int = Field(
        default=30, ge=1, description="Failed sign-ins from one client address that lock it"
    )
    password_min_length: int = Field(
        default=10, ge=8, description="Shortest password of elders and families"
    )
    password_min_length_staff: int = Field(
        default=12, ge=8, description="Shortest password of every staff role"
    )
    password_history: int = Field(
        default=5, ge=1, description="A new password may not be one of the last this many"
    )
    totp_required_roles: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["district_admin"],
        description=(
            "Comma-separated roles that must sign in with a second factor (TOTP); the demo"
            " sets it empty"
        ),
    )
    totp_issuer: str = Field(
        default="yiyang", description="The name authenticator apps show next to the code"
    )
    max_import_bytes: int = 10 * 1024 * 1024
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest request body (JSON or form); the elder import allows its file size",
    )
    max_import_rows: int = 250_000
    elder_id_lookups_per_hour: int = Field(
        default=20, ge=1, description="Searches by full ID number one user may make in an hour"
    )
    instance_dir: Path = Field(
        default=Path("var"), description="Instance folder: job result files and waiting uploads"
    )
    job_lease_seconds: int = Field(
        default=60, description="A running job whose worker is silent this long is taken over"
    )
    job_file_hours: int = Field(default=24, description="Job result files are kept this long")
    job_keep_days: int = Field(
        default=30, ge=1, le=3650, description="Ended jobs stay listed this long, then go"
    )
    auth_keep_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="Ended sessions and API tokens, and idle sign-in counters, are kept this long",
    )
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
    return_visit_share_percent: int = Field(
        default=10, ge=0, le=100, description="Share of a day's completed visits called back"
    )
    return_visit_daily_max: int = Field(
        default=30, ge=0, description="At most this many call-backs are sampled a day"
    )
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
    alarm_responder_accept_minutes: int = Field(
        default=3, ge=1, description="A responder not accepting in this time: ask the next one"
    )
    alarm_responder_reach_minutes: int = Field(
        default=20, ge=1, description="Prefer the elder's community if someone is this near"
    )
    alarm_community_hours: str = Field(
        default="08:00-20:00", description="When community workers count as on duty (local)"
    )
    visit_poor_accuracy_m: float = Field(default=200, description="GPS accuracy flagged as poor")
    visit_late_minutes: int = Field(default=15, description="Late alert after window start")
    visit_no_show_minutes: int = Field(default=30, description="No-show alert after window start")
    visit_min_minutes: int = Field(default=30, description="Shorter visits need a reason (NG21)")
    visit_early_minutes: int = Field(
        default=60, ge=0, description="A check-in this long before the window is flagged early"
    )
    visit_short_share: float = Field(
        default=0.5, ge=0, le=1, description="Under this share of standard minutes is short"
    )
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
    webhook_allowed_networks: Annotated[list[IPvAnyNetwork], NoDecode] = Field(
        default_factory=list,
        description=(
            "Comma-separated private networks webhooks may be posted to (e.g. 10.20.0.0/16 for"
            " an in-house receiver); public addresses are always allowed, others never"
        ),
    )
    telephony_secret: str | None = Field(
        default=None,
        description=(
            "The `whsec_…` secret the telephone system signs its call webhooks with"
            " (POST /api/v1/telephony/calls, docs/webhooks.md); empty: the webhook is refused"
        ),
    )
    audit_online_days: int = Field(
        default=180, ge=1, le=36_500, description="Audit rows older than this move to archive files"
    )
    audit_archive_dir: Path = Field(
        default=Path("var/audit-archive"),
        description="Where the archived audit rows go (gzipped JSON lines); copy it elsewhere too",
    )
    assessment_interval_months: int = Field(
        default=12,
        ge=1,
        le=60,
        description="An elder is due a capability reassessment this many months after the last",
    )
    alarm_offline_grace_seconds: int = Field(
        default=60, ge=0, description="A device is offline after two missed heartbeats plus this"
    )
    screen_budget_month_yuan: int = Field(
        default=1_200_000, ge=0, description="Government purchase budget of a month (big screen)"
    )
    screen_investment_yuan: int = Field(
        default=38_600_000, ge=0, description="Programme investment to date (big screen)"
    )
    screen_devices_fitted: int | None = Field(
        default=None, ge=0, description="Devices fitted to date; unset: counted from the register"
    )
    screen_refresh_seconds: int = Field(
        default=60, ge=5, description="The big screen's slow figures are read again this often"
    )
    alarm_low_battery_pct: int = Field(
        default=20, ge=1, le=90, description="Battery at or below this raises a low-battery notice"
    )
    alarm_sweep_seconds: int = Field(
        default=60, ge=10, description="How often the worker looks for offline and quiet devices"
    )
    alarm_bed_exit_minutes: int = Field(
        default=20, ge=1, description="At night, out of bed this long and not back raises an alarm"
    )
    service_button_item: str = Field(
        default="proactive_visit",
        description="The service a press of an elder's service button orders (a catalogue code)",
    )
    service_button_lead_minutes: int = Field(
        default=30, ge=0, description="The ordered visit's window starts this long after the press"
    )
    service_button_window_minutes: int = Field(
        default=120, ge=30, le=720, description="How long the ordered visit's window is"
    )

    mqtt_host: str = Field(default="127.0.0.1", description="MQTT broker `yiyang ingest` uses")
    mqtt_port: int = Field(default=1883, ge=1, le=65535)
    mqtt_username: str = Field(default="", description="The gateway's broker account, if any")
    mqtt_password: str = Field(default="")
    mqtt_broker_auth: bool = Field(
        default=False,
        description=(
            "The broker authenticates every device and lets it publish on its own topic only"
            " (ACL): then an MQTT payload needs no device token"
        ),
    )
    ingest_clock_skew_seconds: int = Field(
        default=300, ge=0, description="A message may be sent this far ahead of our clock"
    )
    ingest_max_age_hours: int = Field(
        default=72, ge=1, description="Messages sent longer ago are dead-lettered as too old"
    )
    ingest_rate_per_minute: float = Field(
        default=60, gt=0, description="Messages one device may send a minute, on average"
    )
    ingest_burst: int = Field(
        default=20, ge=1, description="Messages one device may send in a burst above the rate"
    )
    device_battery_low_pct: int = Field(
        default=20, ge=1, le=100, description="Below this a device's battery is low (told once)"
    )
    vendor_secrets: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description=(
            "Webhook signing secrets of vendor clouds, `vendor=secret` separated by commas"
            " (e.g. cloudcare=…); a vendor without one is refused"
        ),
    )
    vendor_signature_window_seconds: int = Field(
        default=300, ge=10, description="A signed webhook's timestamp may be this far off"
    )
    demo_simulator: bool = Field(
        default=True, description="`yiyang demo` runs a small device simulator in the background"
    )

    @field_validator("vendor_secrets", mode="before")
    @classmethod
    def _pairs(cls, value: Any) -> Any:
        """`vendor=secret,vendor2=secret2` from the environment."""
        if isinstance(value, str):
            pairs = (item.partition("=") for item in value.split(",") if item.strip())
            return {k.strip(): v.strip() for k, _, v in pairs if k.strip() and v.strip()}
        return value

    @field_validator(
        "trusted_proxies", "totp_required_roles", "webhook_allowed_networks", mode="before"
    )
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        """Environment variables list their items separated by commas."""
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value


class MissingSecretKey(RuntimeError):
    """A shared deployment (PostgreSQL) started without YIYANG_SECRET_KEY."""


def instance_secret_key(folder: Path) -> str:
    """The key kept in the instance folder, created once (mode 0600) and then reused."""
    path = folder / SECRET_KEY_FILE
    folder.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process may be writing it this very moment
            key = path.read_text(encoding="ascii").strip()
            if key:
                return key
            time.sleep(0.02)
        raise MissingSecretKey(f"{path} is empty; delete it or set YIYANG_SECRET_KEY") from None
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def sqlite_folder(database_url: str) -> Path | None:
    """The folder of a SQLite database file; None for PostgreSQL or an in-memory database."""
    if not database_url.startswith("sqlite"):
        return None
    path = database_url.split("///", 1)[-1]
    if not path or path == ":memory:" or database_url.endswith(":memory:"):
        return None
    return Path(path).resolve().parent


def resolve_secret_key(settings: Settings) -> str:
    """The configured key; on SQLite the instance folder's; PostgreSQL without one is refused."""
    if settings.secret_key:
        return settings.secret_key
    if not settings.database_url.startswith("sqlite"):
        raise MissingSecretKey(
            "YIYANG_SECRET_KEY must be set on PostgreSQL: every web and worker process signs"
            " forms and visit cards with it (generate one with"
            " `python -c 'import secrets; print(secrets.token_hex(32))'`)"
        )
    folder = sqlite_folder(settings.database_url)
    return instance_secret_key(folder) if folder else secrets.token_hex(32)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Build the settings once per process (tests build their own)."""
    return Settings()
