"""Shared fixtures. Servers are real processes on free ports; nothing uses the user's Redis."""
from __future__ import annotations

import pytest

from tests.redis_server import RedisProcess


@pytest.fixture(scope="session")
def redis_server():
    """A real redis-server process for the whole session."""
    server = RedisProcess().start()
    yield server
    server.close()
