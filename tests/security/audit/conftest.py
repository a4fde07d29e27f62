"""A private migrated database whose transactions really commit (for detached writes and races)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.conftest import database_url, scratch_database
from yiyang.db import make_engine
from yiyang.migrate import upgrade


@pytest.fixture
def scratch() -> Iterator[Engine]:
    """A fresh database (SQLite file or PostgreSQL) migrated to head, dropped after the test."""
    with scratch_database(database_url()) as url:
        engine = make_engine(url)
        upgrade(engine)
        try:
            yield engine
        finally:
            engine.dispose()
