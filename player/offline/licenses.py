"""Persistent licenses of stored titles, through ``drm``'s EME-shaped CDM.

At download time :func:`acquire` opens a ``persistent-license`` session, gets the license
from the server for the title's KIDs and exports it (the blob ``drm`` defines; the store
then wraps it with its key). The license's terms (``expires_at``,
``playback_window_s``, ``issued_at``: abrkit's ClearKey extension, docs/DRM.md) are read
from the server's answer. At play time :func:`content_keys` loads the blob back into a
session (no network) and hands the decoder ``{kid_hex: key_hex}``; the CDM itself refuses
an expired license or a clock before the issue time. :func:`release` sends a persistent
license's release when a title is removed.

``drm`` raises :class:`drm.DrmError`; every one is turned into ``PlayerError`` here, with
the same DRM code.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from drm import (
    DrmError,
    LicenseClient,
    LicenseResponse,
    LicenseTransport,
    MediaKeys,
    MediaKeySession,
    MediaKeySystemConfiguration,
    license_request,
    request_media_key_system_access,
)
from drm.transport import RetryPolicy
from player.errors import Code, PlayerError

__all__ = [
    "CLEARKEY",
    "LicenseTerms",
    "StoredLicense",
    "acquire",
    "content_keys",
    "release",
]

CLEARKEY = "org.w3.clearkey"
_PERSISTENT = "persistent-license"
_EXTENSION = "abrkit"


@dataclass(frozen=True, slots=True)
class LicenseTerms:
    """What a license says about time (POSIX seconds; None: not limited)."""

    issued_at: float | None = None
    expires_at: float | None = None
    playback_window_s: float | None = None


@dataclass(frozen=True, slots=True)
class StoredLicense:
    """A persistent license as exported by the CDM (not yet wrapped)."""

    key_system: str
    blob: bytes
    key_ids: tuple[bytes, ...]
    terms: LicenseTerms


def to_player_error(err: DrmError) -> PlayerError:
    """The ``PlayerError`` a ``DrmError`` becomes at this boundary."""
    return PlayerError(
        Code(int(err.code)), err.message, recoverable=err.recoverable, data=dict(err.data)
    )


def _time(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=dt.UTC)
        return stamp.timestamp()
    return None


def _terms(body: bytes) -> LicenseTerms:
    """The abrkit ClearKey extension of a license answer (empty terms if absent)."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return LicenseTerms()
    ext = doc.get(_EXTENSION) if isinstance(doc, dict) else None
    if not isinstance(ext, dict):
        return LicenseTerms()
    window = ext.get("playback_window_s")
    return LicenseTerms(
        issued_at=_time(ext.get("issued_at")),
        expires_at=_time(ext.get("expires_at")),
        playback_window_s=float(window)
        if isinstance(window, int | float) and not isinstance(window, bool) and window >= 0
        else None,
    )


async def _media_keys(key_system: str, clock: Callable[[], float]) -> MediaKeys:
    access = await request_media_key_system_access(
        key_system,
        [
            MediaKeySystemConfiguration(
                init_data_types=("keyids", "cenc"), session_types=(_PERSISTENT,)
            )
        ],
        clock=clock,
    )
    return await access.create_media_keys()


async def acquire(
    license_url: str,
    key_ids: Sequence[bytes],
    *,
    key_system: str = CLEARKEY,
    clock: Callable[[], float],
    transport: LicenseTransport | None = None,
) -> StoredLicense:
    """Get a persistent license for ``key_ids`` from ``license_url`` and export it.

    Errors are ``PlayerError`` with the DRM code ``drm`` gave (``LICENSE_REQUEST_FAILED``,
    ``LICENSE_SERVER_UNREACHABLE``, ``KEY_ID_MISMATCH``, ...).
    """
    answers: list[bytes] = []

    def keep(response: LicenseResponse) -> None:
        if response.request.kind == "license" and response.status == 200:
            answers.append(response.body)

    own = transport is None
    transport = transport or LicenseTransport(retry=RetryPolicy(base_delay_s=0.5))
    transport.response_filters.append(keep)
    try:
        media_keys = await _media_keys(key_system, clock)
        client = LicenseClient(media_keys, license_url=license_url, transport=transport)
        try:
            init_data = license_request(list(key_ids), _PERSISTENT)
            session = await client.acquire(
                "keyids", init_data, session_type=_PERSISTENT, key_ids=list(key_ids)
            )
            blob = session.export()
            await session.close()
        finally:
            await client.close()
    except DrmError as err:
        raise to_player_error(err) from None
    finally:
        transport.response_filters.remove(keep)
        if own:
            await transport.close()
    terms = _terms(answers[-1]) if answers else LicenseTerms()
    if terms.expires_at is None and session.expiration is not None:
        terms = LicenseTerms(terms.issued_at, session.expiration, terms.playback_window_s)
    return StoredLicense(key_system, blob, tuple(key_ids), terms)


async def _load(
    key_system: str, blob: bytes, clock: Callable[[], float]
) -> tuple[MediaKeys, MediaKeySession]:
    media_keys = await _media_keys(key_system, clock)
    session = media_keys.create_session(_PERSISTENT)
    await session.load(blob)
    return media_keys, session


async def content_keys(
    key_system: str, blob: bytes, key_ids: Sequence[bytes], *, clock: Callable[[], float]
) -> tuple[dict[str, str], bytes]:
    """Load a stored license with no network; ``({kid_hex: key_hex}, updated blob)``.

    The updated blob records the start of playback (the CDM's playback window). The CDM
    refuses an expired license (``EXPIRED``), a clock before its issue time
    (``CLOCK_TAMPERED``) and a damaged blob (``LICENSE_TAMPERED``).
    """
    try:
        media_keys, session = await _load(key_system, blob, clock)
        try:
            keys = media_keys.content_keys(list(key_ids))
            updated = session.export()
        finally:
            await session.close()
    except DrmError as err:
        raise to_player_error(err) from None
    return keys, updated


async def release(
    key_system: str,
    blob: bytes,
    license_url: str,
    *,
    clock: Callable[[], float],
    transport: LicenseTransport | None = None,
) -> None:
    """Send a persistent license's release to ``license_url`` and wait for the ack."""
    own = transport is None
    transport = transport or LicenseTransport(retry=RetryPolicy(max_attempts=1))
    try:
        media_keys, session = await _load(key_system, blob, clock)
        client = LicenseClient(media_keys, license_url=license_url, transport=transport)
        try:
            await client.release(session)
        finally:
            await session.close()
            await client.close()
    except DrmError as err:
        raise to_player_error(err) from None
    finally:
        if own:
            await transport.close()
