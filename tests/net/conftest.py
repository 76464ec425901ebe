"""Fixtures for the network tests: real fault-injecting origins on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.net.faultserver import FaultServer


@pytest.fixture
async def origin() -> AsyncIterator[FaultServer]:
    server = await FaultServer().start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
async def origin_b() -> AsyncIterator[FaultServer]:
    server = await FaultServer().start()
    try:
        yield server
    finally:
        await server.close()
