"""ASGI entry point for uvicorn: the app from the environment's settings."""

from __future__ import annotations

import os

from yiyang.app import create_app

app = create_app(embedded_worker=os.environ.get("YIYANG_EMBEDDED_WORKER") == "1")
