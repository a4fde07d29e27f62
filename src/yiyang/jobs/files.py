"""Job files in the instance folder: results waiting for their owner, uploads for their job."""

from __future__ import annotations

import secrets
from pathlib import Path

from yiyang.config import Settings

UPLOADS = "uploads"


def folder(settings: Settings) -> Path:
    """The instance folder's jobs directory (created on first use)."""
    path = settings.instance_dir / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_path(settings: Settings, prefix: str, suffix: str) -> Path:
    """A fresh, unguessable file name in the jobs folder."""
    return folder(settings) / f"{prefix}-{secrets.token_hex(8)}{suffix}"


def save_upload(settings: Settings, content: bytes, suffix: str) -> str:
    """Keep an upload until its job has read it; returns its name relative to the folder."""
    directory = folder(settings) / UPLOADS
    directory.mkdir(exist_ok=True)
    path = directory / f"{secrets.token_hex(12)}{suffix}"
    path.write_bytes(content)
    return f"{UPLOADS}/{path.name}"


def resolve(settings: Settings, relative: str) -> Path:
    """The path of a stored name; names never leave the jobs folder."""
    base = folder(settings).resolve()
    path = (base / relative).resolve()
    if base not in path.parents:
        raise ValueError(f"job file outside the jobs folder: {relative!r}")
    return path


def relative(settings: Settings, path: Path) -> str:
    """A file's name relative to the jobs folder, as stored on the job."""
    return path.resolve().relative_to(folder(settings).resolve()).as_posix()


def remove(settings: Settings, relative_name: str | None) -> None:
    """Delete a stored file if it is still there."""
    if relative_name:
        resolve(settings, relative_name).unlink(missing_ok=True)
