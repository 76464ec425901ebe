"""Fixtures of the DRM tests: tiny titles encoded once per session."""

from __future__ import annotations

import pytest

from tests.drm._media import KEY_HEX, KID_HEX, Title, encode_title


@pytest.fixture(scope="session")
def clear_title() -> Title:
    return encode_title()


@pytest.fixture(scope="session")
def cenc_title() -> Title:
    return encode_title(kid_hex=KID_HEX, key_hex=KEY_HEX)
