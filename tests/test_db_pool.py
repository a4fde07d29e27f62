"""A web process keeps as many PostgreSQL connections as its settings say, so a busy one
does not open and close a connection (and lose its prepared statements) per request."""

from __future__ import annotations

from sqlalchemy.pool import QueuePool

from yiyang.app import create_app
from yiyang.config import Settings
from yiyang.db import make_engine

URL = "postgresql+psycopg://nobody@127.0.0.1:1/nothing"  # never connected to


def test_the_pool_keeps_the_configured_connections_and_as_many_more_at_a_peak() -> None:
    app = create_app(Settings(database_url=URL, secret_key="x", database_pool_size=12))
    pool = app.state.engine.pool
    assert isinstance(pool, QueuePool)
    assert (pool.size(), pool._max_overflow) == (12, 12)


def test_an_explicit_overflow_is_kept() -> None:
    pool = make_engine(URL, pool_size=3, max_overflow=1).pool
    assert isinstance(pool, QueuePool)
    assert (pool.size(), pool._max_overflow) == (3, 1)
