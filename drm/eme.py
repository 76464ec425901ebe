"""The CDM interface, shaped like W3C Encrypted Media Extensions.

Who knows EME knows this::

    access = await request_media_key_system_access("org.w3.clearkey", [config])
    media_keys = await access.create_media_keys()
    session = media_keys.create_session("temporary")
    session.add_event_listener("message", on_message)   # send event.message to the server
    await session.generate_request("cenc", pssh_boxes)
    await session.update(license_response)
    session.key_statuses                                  # {kid: KeyStatus.USABLE, ...}

Differences, each for a reason: methods are coroutines instead of promises; times are
POSIX seconds instead of milliseconds; ``load()`` takes the blob ``export()`` produced
(abrkit's offline store keeps persistent licenses, not the CDM); an ``expirationchange``
event is added; and, since PyAV decrypts in-process, :meth:`MediaKeys.content_keys` hands
the decoder the keys of usable sessions (marking the start of playback for playback
windows). :class:`drm.LicenseClient` does the license traffic for a session.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from drm._cdm import (
    CdmSession,
    CdmUpdate,
    InitDataInfo,
    KeyStatus,
    KeySystemImpl,
    MessageType,
    SessionType,
)
from drm.adapters.device import DeviceBackendFactory, no_backend_error, registered_device_backend
from drm.adapters.fairplay import FairPlaySystem
from drm.adapters.playready import PlayReadySystem
from drm.adapters.widevine import WidevineSystem
from drm.clearkey import KEY_SYSTEM as CLEARKEY_KEY_SYSTEM
from drm.clearkey import ClearKeySystem
from drm.errors import DrmCode, DrmError
from drm.exchange import LicenseExchange
from drm.systems import FAIRPLAY, PLAYREADY, WIDEVINE, system_by_key_system

_log = logging.getLogger(__name__)
Clock = Callable[[], float]
#: A clock this far behind a license's issue time means the clock was turned back.
CLOCK_TOLERANCE_S = 300.0
_BLOB_FORMAT = "abrkit-session/1"


@dataclass(frozen=True, slots=True)
class MediaKeySystemMediaCapability:
    """EME ``MediaKeySystemMediaCapability``: a content type and encryption scheme wanted."""

    content_type: str = ""
    encryption_scheme: str | None = None
    robustness: str = ""


@dataclass(frozen=True, slots=True)
class MediaKeySystemConfiguration:
    """EME ``MediaKeySystemConfiguration``: what the application needs of a key system."""

    label: str = ""
    init_data_types: tuple[str, ...] = ()
    audio_capabilities: tuple[MediaKeySystemMediaCapability, ...] = ()
    video_capabilities: tuple[MediaKeySystemMediaCapability, ...] = ()
    distinctive_identifier: Literal["required", "optional", "not-allowed"] = "optional"
    persistent_state: Literal["required", "optional", "not-allowed"] = "optional"
    session_types: tuple[str, ...] = ("temporary",)


@dataclass(frozen=True, slots=True)
class MediaKeyMessageEvent:
    """``message``: send :attr:`message` to the license server (see ``message_type``)."""

    session: MediaKeySession
    message_type: MessageType
    message: bytes
    type: str = "message"


@dataclass(frozen=True, slots=True)
class KeyStatusesChangeEvent:
    """``keystatuseschange``: :attr:`key_statuses` is the session's new map."""

    session: MediaKeySession
    key_statuses: Mapping[bytes, KeyStatus]
    type: str = "keystatuseschange"


@dataclass(frozen=True, slots=True)
class ExpirationChangeEvent:
    """``expirationchange``: the session's expiration (POSIX seconds, or None) changed."""

    session: MediaKeySession
    expiration: float | None
    type: str = "expirationchange"


SessionEvent = MediaKeyMessageEvent | KeyStatusesChangeEvent | ExpirationChangeEvent
EventListener = Callable[[Any], None]
EVENT_TYPES = ("message", "keystatuseschange", "expirationchange")


def _resolve(key_system: str, device_backend: DeviceBackendFactory | None) -> KeySystemImpl:
    if key_system == CLEARKEY_KEY_SYSTEM:
        return ClearKeySystem()
    system = system_by_key_system(key_system)
    if system is None or system not in (WIDEVINE, PLAYREADY, FAIRPLAY):
        raise DrmError(
            DrmCode.UNSUPPORTED_KEY_SYSTEM,
            f"key system {key_system!r} is not supported (supported: org.w3.clearkey; with a "
            "device backend: com.widevine.alpha, com.microsoft.playready, com.apple.fps)",
            data={"key_system": key_system},
        )
    factory = device_backend or registered_device_backend(system.name)
    if factory is None:
        raise no_backend_error(system.name, key_system)
    if system is WIDEVINE:
        return WidevineSystem(factory)
    if system is PLAYREADY:
        return PlayReadySystem(factory, key_system)
    return FairPlaySystem(factory, key_system)


def _satisfy(
    impl: KeySystemImpl, cfg: MediaKeySystemConfiguration
) -> MediaKeySystemConfiguration | str:
    """The configuration the key system grants, or why it cannot."""
    init_types = tuple(t for t in cfg.init_data_types if t in impl.init_data_types)
    if cfg.init_data_types and not init_types:
        return f"init data types {list(cfg.init_data_types)} not supported"
    unsupported = [s for s in cfg.session_types if s not in impl.session_types]
    if unsupported:
        return f"session types {unsupported} not supported"
    if "persistent-license" in cfg.session_types and cfg.persistent_state == "not-allowed":
        return "persistent-license sessions need persistent state"
    caps: dict[str, tuple[MediaKeySystemMediaCapability, ...]] = {}
    for kind, wanted in (("audio", cfg.audio_capabilities), ("video", cfg.video_capabilities)):
        kept = tuple(
            c
            for c in wanted
            if c.encryption_scheme is None or c.encryption_scheme in impl.encryption_schemes
        )
        if wanted and not kept:
            return f"no {kind} capability with a supported encryption scheme"
        caps[kind] = kept
    return replace(
        cfg,
        init_data_types=init_types or tuple(sorted(impl.init_data_types)),
        audio_capabilities=caps["audio"],
        video_capabilities=caps["video"],
        persistent_state=(
            "required" if "persistent-license" in cfg.session_types else cfg.persistent_state
        ),
    )


async def request_media_key_system_access(
    key_system: str,
    configurations: Sequence[MediaKeySystemConfiguration] = (),
    *,
    device_backend: DeviceBackendFactory | None = None,
    clock: Clock = time.time,
) -> MediaKeySystemAccess:
    """Access to ``key_system`` under the first configuration it can satisfy (EME 3.1).

    ``device_backend`` makes the vendor CDM of Widevine, PlayReady or FairPlay sessions
    (else the one registered with :func:`drm.register_device_backend`); without either
    those key systems fail at once with ``NO_DEVICE_BACKEND``. An unknown key system or
    no satisfiable configuration is ``UNSUPPORTED_KEY_SYSTEM``. ``clock`` gives POSIX
    seconds (tests pass their own).
    """
    impl = _resolve(key_system, device_backend)
    reasons = []
    for cfg in configurations or (MediaKeySystemConfiguration(),):
        granted = _satisfy(impl, cfg)
        if isinstance(granted, MediaKeySystemConfiguration):
            return MediaKeySystemAccess(key_system, granted, impl, clock)
        reasons.append(f"{cfg.label or 'configuration'}: {granted}")
    raise DrmError(
        DrmCode.UNSUPPORTED_KEY_SYSTEM,
        f"{key_system} supports none of the configurations ({'; '.join(reasons)})",
        data={"key_system": key_system, "reasons": reasons},
    )


class MediaKeySystemAccess:
    """EME ``MediaKeySystemAccess``: a granted key system and configuration."""

    def __init__(
        self,
        key_system: str,
        configuration: MediaKeySystemConfiguration,
        impl: KeySystemImpl,
        clock: Clock,
    ) -> None:
        self.key_system = key_system
        self._configuration = configuration
        self._impl = impl
        self._clock = clock

    def get_configuration(self) -> MediaKeySystemConfiguration:
        """The configuration granted."""
        return self._configuration

    async def create_media_keys(self) -> MediaKeys:
        """A new :class:`MediaKeys`."""
        return MediaKeys(self.key_system, self._configuration, self._impl, self._clock)


class MediaKeys:
    """EME ``MediaKeys``: makes sessions; hands usable keys to the in-process decoder."""

    def __init__(
        self,
        key_system: str,
        configuration: MediaKeySystemConfiguration,
        impl: KeySystemImpl,
        clock: Clock,
    ) -> None:
        self.key_system = key_system
        self.configuration = configuration
        self._impl = impl
        self.clock = clock
        self.server_certificate: bytes | None = None
        self._sessions: list[MediaKeySession] = []

    @property
    def requires_server_certificate(self) -> bool:
        """Whether sessions need :meth:`set_server_certificate` first (FairPlay)."""
        return self._impl.requires_server_certificate

    def exchange(self) -> LicenseExchange:
        """How this key system's messages travel over HTTP."""
        return self._impl.exchange()

    async def set_server_certificate(self, certificate: bytes) -> bool:
        """Give the license server's certificate to sessions made from now on."""
        if not certificate:
            raise DrmError(DrmCode.SERVER_CERTIFICATE_REQUIRED, "the server certificate is empty")
        self.server_certificate = bytes(certificate)
        return True

    def create_session(self, session_type: str = "temporary") -> MediaKeySession:
        """A new session of ``session_type`` (``temporary`` or ``persistent-license``)."""
        if session_type not in self.configuration.session_types:
            raise DrmError(
                DrmCode.UNSUPPORTED_KEY_SYSTEM,
                f"session type {session_type!r} was not granted "
                f"(granted: {list(self.configuration.session_types)})",
            )
        session = MediaKeySession(self, self._impl, SessionType(session_type))
        self._sessions.append(session)
        return session

    @property
    def sessions(self) -> list[MediaKeySession]:
        """The sessions not closed yet."""
        self._sessions = [s for s in self._sessions if not s.closed]
        return list(self._sessions)

    def key_statuses(self) -> dict[bytes, KeyStatus]:
        """Every KID over all open sessions; a usable status wins over others."""
        out: dict[bytes, KeyStatus] = {}
        for session in self.sessions:
            for kid, status in session.key_statuses.items():
                if out.get(kid) is not KeyStatus.USABLE:
                    out[kid] = status
        return out

    def content_keys(self, key_ids: Iterable[bytes] | None = None) -> dict[str, str]:
        """``{kid_hex: key_hex}`` for the decoder, and the start of playback.

        With ``key_ids`` (the KIDs the content needs) each must be usable, else a typed
        error names the first that is not: ``KEY_ID_MISMATCH`` (no session has it),
        ``EXPIRED``, ``OUTPUT_RESTRICTED``, ``NO_USABLE_KEY`` (any other status, or a
        device that keeps its keys). Without ``key_ids``: every usable key.
        """
        now = self.clock()
        found: dict[bytes, tuple[MediaKeySession, KeyStatus, bytes | None]] = {}
        for session in self.sessions:
            session._refresh(now)
            for kid, status in session.key_statuses.items():
                if kid not in found or found[kid][1] is not KeyStatus.USABLE:
                    found[kid] = (session, status, session._keys.get(kid))
        wanted = (
            list(key_ids)
            if key_ids is not None
            else [k for k, v in found.items() if v[1] is KeyStatus.USABLE and v[2] is not None]
        )
        out: dict[str, str] = {}
        for kid in wanted:
            if kid not in found:
                held = ", ".join(sorted(k.hex() for k in found)) or "none"
                raise DrmError(
                    DrmCode.KEY_ID_MISMATCH,
                    f"no license holds KID {kid.hex()} (keys held: {held})",
                    data={"kid": kid.hex(), "held": sorted(k.hex() for k in found)},
                )
            session, status, key = found[kid]
            _raise_for_status(kid, status)
            if key is None:
                raise DrmError(
                    DrmCode.NO_USABLE_KEY,
                    f"the {self.key_system} device keeps KID {kid.hex()} to itself; "
                    "the in-process decoder cannot use it",
                    data={"kid": kid.hex()},
                )
            session._start_playback(now)
            out[kid.hex()] = key.hex()
        return out


def _raise_for_status(kid: bytes, status: KeyStatus) -> None:
    if status is KeyStatus.USABLE:
        return
    code = {
        KeyStatus.EXPIRED: DrmCode.EXPIRED,
        KeyStatus.OUTPUT_RESTRICTED: DrmCode.OUTPUT_RESTRICTED,
        KeyStatus.RELEASED: DrmCode.SESSION_CLOSED,
    }.get(status, DrmCode.NO_USABLE_KEY)
    raise DrmError(
        code,
        f"key {kid.hex()} is {status.value}",
        recoverable=status in (KeyStatus.EXPIRED, KeyStatus.STATUS_PENDING),
        data={"kid": kid.hex(), "status": status.value},
    )


class MediaKeySession:
    """EME ``MediaKeySession``: one license's keys, their statuses, its events."""

    def __init__(
        self, media_keys: MediaKeys, impl: KeySystemImpl, session_type: SessionType
    ) -> None:
        self.media_keys = media_keys
        self.session_type = session_type
        self.session_id = ""
        self.init_data_info: InitDataInfo | None = None
        self.playback_started_at: float | None = None
        self._impl = impl
        self._cdm: CdmSession | None = None
        self._state = "new"  # new -> pending -> active [-> releasing] -> closed
        self._statuses: dict[bytes, KeyStatus] = {}
        self._keys: dict[bytes, bytes] = {}
        self._key_expiry: dict[bytes, float] = {}
        self._license: CdmUpdate | None = None
        self._expiration: float | None = None
        self._listeners: dict[str, list[EventListener]] = {t: [] for t in EVENT_TYPES}
        self._timers: list[asyncio.TimerHandle] = []
        self._renewal_timer: asyncio.TimerHandle | None = None
        self._renewal_interval: float | None = None
        self._closed_event = asyncio.Event()

    # -- events ---------------------------------------------------------------------

    def add_event_listener(self, event_type: str, listener: EventListener) -> None:
        """Call ``listener(event)`` on ``message``, ``keystatuseschange`` or
        ``expirationchange``."""
        if event_type not in self._listeners:
            raise DrmError(DrmCode.INVALID_SESSION_STATE, f"unknown event type {event_type!r}")
        self._listeners[event_type].append(listener)

    def remove_event_listener(self, event_type: str, listener: EventListener) -> None:
        """Stop calling ``listener``."""
        if listener in self._listeners.get(event_type, []):
            self._listeners[event_type].remove(listener)

    def _dispatch(self, event: SessionEvent) -> None:
        for listener in list(self._listeners[event.type]):
            try:
                listener(event)
            except Exception:  # a listener's bug must not corrupt the session
                _log.exception("DRM %s listener failed", event.type)

    # -- state ----------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """Whether the session is closed."""
        return self._state == "closed"

    async def wait_closed(self) -> None:
        """Return once the session is closed (EME's ``closed`` promise)."""
        await self._closed_event.wait()

    @property
    def expiration(self) -> float | None:
        """When the keys expire (POSIX seconds): the license's expiry or the end of the
        playback window once playback started, whichever is first; None if never."""
        return self._expiration

    @property
    def key_statuses(self) -> Mapping[bytes, KeyStatus]:
        """``{kid: KeyStatus}`` as of now (expiry is applied when read)."""
        self._refresh(self.media_keys.clock())
        return dict(self._statuses)

    def _check(self, *states: str) -> None:
        if self._state == "closed":
            raise DrmError(DrmCode.SESSION_CLOSED, "the session is closed")
        if self._state not in states:
            raise DrmError(
                DrmCode.INVALID_SESSION_STATE,
                f"not allowed while the session is {self._state}",
                data={"state": self._state},
            )

    def _cdm_session(self) -> CdmSession:
        if self._cdm is None:
            if (
                self._impl.requires_server_certificate
                and self.media_keys.server_certificate is None
            ):
                raise DrmError(
                    DrmCode.SERVER_CERTIFICATE_REQUIRED,
                    f"{self.media_keys.key_system} needs the license server's certificate "
                    "before a license request (MediaKeys.set_server_certificate)",
                )
            self._cdm = self._impl.create_session(
                self.session_type, self.media_keys.server_certificate
            )
        return self._cdm

    # -- EME methods ----------------------------------------------------------------

    async def generate_request(self, init_data_type: str, init_data: bytes) -> None:
        """Make the license request for ``init_data``; it arrives as a ``message`` event."""
        self._check("new")
        if init_data_type not in self.media_keys.configuration.init_data_types:
            raise DrmError(
                DrmCode.INIT_DATA_INVALID,
                f"init data type {init_data_type!r} was not granted "
                f"(granted: {list(self.media_keys.configuration.init_data_types)})",
            )
        if not init_data:
            raise DrmError(DrmCode.INIT_DATA_INVALID, "init data is empty")
        info, message = self._cdm_session().generate_request(init_data_type, bytes(init_data))
        self.init_data_info = info
        self.session_id = uuid.uuid4().hex
        self._state = "pending"
        self._dispatch(MediaKeyMessageEvent(self, MessageType.LICENSE_REQUEST, message))

    async def update(self, response: bytes) -> None:
        """Apply a license server's response (a license, a renewal, a release ack)."""
        self._check("pending", "active", "releasing")
        result = self._cdm_session().update(bytes(response))
        if result.released:
            if self._state != "releasing":
                raise DrmError(
                    DrmCode.LICENSE_RESPONSE_REJECTED, "unexpected release acknowledgement"
                )
            await self.close()
            return
        self._state = "active"
        self._apply(result)

    async def load(self, blob: bytes) -> bool:
        """Restore a persistent license from :meth:`export`'s blob (not EME's session id).

        A blob that is malformed, edited or of another key system is ``LICENSE_TAMPERED``;
        a clock earlier than the license's issue time is ``CLOCK_TAMPERED``.
        """
        self._check("new")
        if self.session_type is not SessionType.PERSISTENT_LICENSE:
            raise DrmError(DrmCode.INVALID_SESSION_STATE, "only persistent-license sessions load")
        doc = _open_blob(blob)
        if doc["key_system"] != self.media_keys.key_system:
            raise DrmError(
                DrmCode.LICENSE_TAMPERED,
                f"stored license is for {doc['key_system']}, not {self.media_keys.key_system}",
            )
        info, result = self._cdm_session().load(doc["cdm"])
        now = self.media_keys.clock()
        if result.issued_at is not None and now < result.issued_at - CLOCK_TOLERANCE_S:
            raise DrmError(
                DrmCode.CLOCK_TAMPERED,
                "the clock is earlier than the stored license's issue time",
                data={"now": now, "issued_at": result.issued_at},
            )
        self.init_data_info = info
        self.session_id = doc["session_id"]
        self.playback_started_at = doc.get("playback_started_at")
        self._state = "active"
        self._apply(result)
        return True

    def export(self) -> bytes:
        """The persistent license as a blob for the offline store (JSON with a checksum
        against corruption; the store encrypts it)."""
        self._check("active")
        if self.session_type is not SessionType.PERSISTENT_LICENSE:
            raise DrmError(DrmCode.INVALID_SESSION_STATE, "only persistent-license sessions export")
        doc = {
            "format": _BLOB_FORMAT,
            "key_system": self.media_keys.key_system,
            "session_id": self.session_id,
            "playback_started_at": self.playback_started_at,
            "cdm": base64.b64encode(self._cdm_session().export()).decode("ascii"),
        }
        doc["sha256"] = _digest(doc)
        return json.dumps(doc, sort_keys=True).encode()

    async def close(self) -> None:
        """Close the session; its keys are gone (statuses cleared)."""
        if self._state == "closed":
            return
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        if self._cdm is not None:
            try:
                self._cdm.close()
            except DrmError:
                _log.warning("DRM session close failed", exc_info=True)
        self._state = "closed"
        self._keys.clear()
        if self._statuses:
            self._statuses.clear()
            self._dispatch(KeyStatusesChangeEvent(self, {}))
        self._closed_event.set()

    async def remove(self) -> None:
        """Remove the license: keys become ``released``; a persistent license also sends a
        ``license-release`` message whose acknowledgement (``update``) closes the session."""
        self._check("active", "pending")
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        self._keys.clear()
        self._set_statuses({kid: KeyStatus.RELEASED for kid in self._statuses})
        if self.session_type is SessionType.PERSISTENT_LICENSE and self._state == "active":
            message = self._cdm_session().release_message()
            self._state = "releasing"
            self._dispatch(MediaKeyMessageEvent(self, MessageType.LICENSE_RELEASE, message))
        else:
            await self.close()

    # -- internals ------------------------------------------------------------------

    def _apply(self, result: CdmUpdate) -> None:
        self._license = result
        statuses: dict[bytes, KeyStatus] = {}
        for key in result.keys:
            statuses[key.kid] = key.status
            if key.key is not None and key.status is KeyStatus.USABLE:
                self._keys[key.kid] = key.key
            else:
                self._keys.pop(key.kid, None)
            if key.expiration is not None:
                self._key_expiry[key.kid] = key.expiration
        self._statuses = {}
        self._set_statuses(statuses)
        self._recompute_expiration()
        self._refresh(self.media_keys.clock())
        self._schedule(result)

    def _set_statuses(self, statuses: dict[bytes, KeyStatus]) -> None:
        if statuses != self._statuses:
            self._statuses = dict(statuses)
            self._dispatch(KeyStatusesChangeEvent(self, dict(statuses)))

    def _recompute_expiration(self) -> None:
        lic = self._license
        ends = []
        if lic is not None and lic.expires_at is not None:
            ends.append(lic.expires_at)
        if (
            lic is not None
            and lic.playback_window_s is not None
            and self.playback_started_at is not None
        ):
            ends.append(self.playback_started_at + lic.playback_window_s)
        expiration = min(ends) if ends else None
        if expiration != self._expiration:
            self._expiration = expiration
            self._dispatch(ExpirationChangeEvent(self, expiration))

    def _start_playback(self, now: float) -> None:
        if self.playback_started_at is None:
            self.playback_started_at = now
            self._recompute_expiration()
            if self._license is not None:
                self._schedule(replace(self._license, renewal_interval_s=None))

    def _refresh(self, now: float) -> None:
        if self._state not in ("active",) or not self._statuses:
            return
        changed = dict(self._statuses)
        for kid, status in self._statuses.items():
            own = self._key_expiry.get(kid)
            ends = [t for t in (own, self._expiration) if t is not None]
            if status is KeyStatus.USABLE and ends and now >= min(ends):
                changed[kid] = KeyStatus.EXPIRED
                self._keys.pop(kid, None)
        self._set_statuses(changed)

    def _schedule(self, result: CdmUpdate) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop: expiry is still applied whenever statuses are read
        now = self.media_keys.clock()
        if self._expiration is not None:
            delay = max(0.0, self._expiration - now)
            self._timers.append(
                loop.call_later(delay, lambda: self._refresh(self.media_keys.clock()))
            )
        if result.renewal_interval_s:
            self._arm_renewal(loop, result.renewal_interval_s)

    def _arm_renewal(self, loop: asyncio.AbstractEventLoop, interval: float) -> None:
        # One renewal timer at a time: an answered renewal re-arms it from the answer; one
        # that got no answer (the server was down) is tried again an interval later
        # instead of ending renewals for the rest of the session.
        old = self._renewal_timer
        if old is not None:
            old.cancel()
            if old in self._timers:
                self._timers.remove(old)
        self._renewal_interval = interval
        self._renewal_timer = loop.call_later(interval, self._renew)
        self._timers.append(self._renewal_timer)

    def _renew(self) -> None:
        if self._state != "active":
            return
        if self._renewal_interval:
            self._arm_renewal(asyncio.get_running_loop(), self._renewal_interval)
        try:
            message = self._cdm_session().renewal_message()
        except DrmError:
            _log.warning("DRM renewal message failed", exc_info=True)
            return
        self._dispatch(MediaKeyMessageEvent(self, MessageType.LICENSE_RENEWAL, message))


def _digest(doc: dict[str, Any]) -> str:
    body = {k: v for k, v in doc.items() if k != "sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _open_blob(blob: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(bytes(blob))
        if not isinstance(doc, dict) or doc.get("format") != _BLOB_FORMAT:
            raise ValueError("not an abrkit session blob")
        if doc.get("sha256") != _digest(doc):
            raise ValueError("checksum mismatch")
        started = doc.get("playback_started_at")
        if started is not None and not isinstance(started, int | float):
            raise ValueError("bad playback_started_at")
        doc["cdm"] = base64.b64decode(doc["cdm"], validate=True)
        if not isinstance(doc["key_system"], str) or not isinstance(doc["session_id"], str):
            raise ValueError("bad key system or session id")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, binascii.Error) as exc:
        raise DrmError(DrmCode.LICENSE_TAMPERED, f"stored license rejected: {exc}") from None
    return doc
