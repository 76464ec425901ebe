"""The license traffic of EME sessions: what an application does with ``message`` events.

:class:`LicenseClient` fetches a server certificate when the key system needs one, sends
each session message over its system's :class:`~drm.exchange.LicenseExchange`, feeds the
response to ``update()``, checks that the keys the content needs came back usable, and
keeps answering the session's later messages (renewals, releases)::

    async with LicenseClient(media_keys, license_url=url) as client:
        session = await client.acquire("cenc", pssh_boxes)
        keys = media_keys.content_keys([default_kid])   # {kid_hex: key_hex} for PyAV
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from types import TracebackType

from drm._cdm import KeyStatus, MessageType
from drm.eme import MediaKeyMessageEvent, MediaKeys, MediaKeySession
from drm.errors import DrmCode, DrmError
from drm.exchange import LicenseExchange
from drm.transport import LicenseTransport

_log = logging.getLogger(__name__)


class LicenseClient:
    """Sends one :class:`MediaKeys`' session messages to a license server.

    ``license_url`` may be omitted when the init data names one (PlayReady's LA_URL);
    ``certificate_url`` is where the server certificate is fetched (FairPlay);
    ``transport`` brings request filters and retries (one is made if not given);
    ``exchange`` overrides the key system's default HTTP conventions; ``on_error`` hears
    of failures of background messages (renewals), which are also kept in
    :attr:`errors`.
    """

    def __init__(
        self,
        media_keys: MediaKeys,
        *,
        license_url: str | None = None,
        certificate_url: str | None = None,
        transport: LicenseTransport | None = None,
        exchange: LicenseExchange | None = None,
        on_error: Callable[[DrmError], None] | None = None,
    ) -> None:
        self.media_keys = media_keys
        self.license_url = license_url
        self.certificate_url = certificate_url
        self.transport = transport or LicenseTransport()
        self._owns_transport = transport is None
        self.exchange = exchange or media_keys.exchange()
        self.on_error = on_error
        self.errors: list[DrmError] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> LicenseClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop answering background messages; close the transport if this client made it."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._owns_transport:
            await self.transport.close()

    async def fetch_server_certificate(self) -> bytes:
        """GET the server certificate and give it to the MediaKeys."""
        if not self.certificate_url:
            raise DrmError(
                DrmCode.SERVER_CERTIFICATE_REQUIRED,
                f"{self.media_keys.key_system} needs a server certificate and no certificate URL "
                "was given",
            )
        request = self.exchange.certificate_request(self.certificate_url)
        response = await self.transport.send(request)
        certificate = self.exchange.certificate_response(response)
        await self.media_keys.set_server_certificate(certificate)
        return certificate

    async def acquire(
        self,
        init_data_type: str,
        init_data: bytes,
        *,
        session_type: str = "temporary",
        key_ids: Iterable[bytes] | None = None,
    ) -> MediaKeySession:
        """A session holding a license for ``init_data``, its needed keys usable.

        ``key_ids`` are the KIDs the content needs (default: those the init data names).
        Errors: the transport's (``LICENSE_SERVER_UNREACHABLE``,
        ``LICENSE_REQUEST_FAILED``), the CDM's (``LICENSE_RESPONSE_REJECTED``,
        ``INIT_DATA_INVALID``), and then ``KEY_ID_MISMATCH`` (the license lacks a needed
        KID), ``EXPIRED``, ``OUTPUT_RESTRICTED`` or ``NO_USABLE_KEY``. On error the session
        is closed.
        """
        if (
            self.media_keys.requires_server_certificate
            and self.media_keys.server_certificate is None
        ):
            await self.fetch_server_certificate()
        session = self.media_keys.create_session(session_type)
        first: asyncio.Queue[MediaKeyMessageEvent] = asyncio.Queue()
        session.add_event_listener("message", first.put_nowait)
        try:
            await session.generate_request(init_data_type, init_data)
            event = first.get_nowait()
            session.remove_event_listener("message", first.put_nowait)
            session.add_event_listener("message", self._background)
            await self._exchange(session, event)
            _check_keys(session, key_ids)
        except BaseException:
            await session.close()
            raise
        return session

    async def release(self, session: MediaKeySession) -> None:
        """Remove a session's license; a persistent license's release is sent and
        acknowledged (the session then closes)."""
        releases: asyncio.Queue[MediaKeyMessageEvent] = asyncio.Queue()
        session.remove_event_listener("message", self._background)
        session.add_event_listener("message", releases.put_nowait)
        await session.remove()
        if not releases.empty():
            await self._exchange(session, releases.get_nowait())

    async def _exchange(self, session: MediaKeySession, event: MediaKeyMessageEvent) -> None:
        info = session.init_data_info
        assert info is not None
        url = self.license_url or info.license_url
        if not url:
            raise DrmError(
                DrmCode.LICENSE_REQUEST_FAILED,
                f"no license URL for {self.media_keys.key_system}: none was given and the init "
                "data names none",
            )
        request = self.exchange.license_request(url, event.message_type, event.message, info)
        response = await self.transport.send(request, classify=self.exchange.classify_error)
        await session.update(self.exchange.license_response(response))

    def _background(self, event: MediaKeyMessageEvent) -> None:
        async def run() -> None:
            try:
                await self._exchange(event.session, event)
            except DrmError as err:
                self.errors.append(err)
                if self.on_error is not None:
                    self.on_error(err)
                else:
                    _log.warning("DRM %s failed: %s", event.message_type, err)

        if event.message_type is MessageType.LICENSE_RELEASE:
            return  # release() answers those itself
        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _check_keys(session: MediaKeySession, key_ids: Iterable[bytes] | None) -> None:
    statuses = session.key_statuses
    info = session.init_data_info
    needed = list(key_ids) if key_ids is not None else list(info.key_ids if info else ())
    if not needed:
        if not any(s is KeyStatus.USABLE for s in statuses.values()):
            raise DrmError(
                DrmCode.NO_USABLE_KEY,
                "the license holds no usable key",
                data={"statuses": {k.hex(): s.value for k, s in statuses.items()}},
            )
        return
    # Some keys may be unusable (an HD rung restricted) as long as one the content
    # needs is usable: the player then restricts the rest, as Shaka Player does.
    if any(statuses.get(k) is KeyStatus.USABLE for k in needed):
        return
    missing = [k for k in needed if k not in statuses]
    if missing:
        raise DrmError(
            DrmCode.KEY_ID_MISMATCH,
            f"the license has no key for KID {', '.join(k.hex() for k in missing)} "
            f"(it holds {', '.join(k.hex() for k in statuses) or 'no keys'})",
            data={"missing": [k.hex() for k in missing], "held": [k.hex() for k in statuses]},
        )
    status = statuses[needed[0]]
    code = {
        KeyStatus.EXPIRED: DrmCode.EXPIRED,
        KeyStatus.OUTPUT_RESTRICTED: DrmCode.OUTPUT_RESTRICTED,
    }.get(status, DrmCode.NO_USABLE_KEY)
    raise DrmError(
        code,
        f"key {needed[0].hex()} came back {status.value}",
        data={"kid": needed[0].hex(), "status": status.value},
    )
