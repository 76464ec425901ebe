"""The Player's content protection: licenses through ``drm.KeyManager``, keys to the sink.

The Player uses :mod:`drm` through its interface only (``KeyManager``, the license
transport and the protection readers) and wraps every ``drm.DrmError`` it meets into
``PlayerError`` with the same DRM code, here, at that boundary.

What a :class:`DrmSession` does for one loaded title:

- the **init segment decides**: a track is protected when its init segment's ``tenc``
  says so (whatever the manifest signals), and its KIDs are the default KIDs there;
- keys come from ``drm.clear_keys`` in the config, from keys the app already gave the
  sink (``DecodingSink.keys``), or from a license: :meth:`request` starts getting one as
  soon as an encrypted init segment arrives, so the license request overlaps the first
  media download; one license per set of KIDs, shared by every rung and track using them;
- the **key system** is ``drm.key_system`` if set; else the first system the manifest
  signals that has a server in ``drm.servers``; else ClearKey when the manifest signals
  ClearKey, the common PSSH or nothing; else the first system it signals (which needs a
  device backend: see docs/DRM.md). The **license URL** is ``drm.license_url`` (the
  override), else ``drm.servers[key_system]``, else the one the manifest names for that
  system (DASH ``Laurl``/``dashif:laurl``, an HLS ``EXT-X-KEY`` URI of that KEYFORMAT in
  the master or a media playlist: :meth:`note_playlist` reads those as they arrive);
- :meth:`keys_for` is awaited by the Player for every chunk before it reaches the sink:
  it waits for the license, and, for a sink that decodes, checks once per KID that the key
  really decrypts the media (:func:`player._key_verification.verify_content_keys`), so a
  wrong key is ``DECRYPTION_FAILED`` and never garbage frames.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from urllib.parse import urljoin, urlsplit

import drm
from player._key_verification import verify_content_keys
from player.config import DrmConfig
from player.errors import Code, PlayerError
from player.manifest import Presentation
from player.sink import MediaChunk

__all__ = ["DrmSession", "wrap_drm_error"]

CLEARKEY = "org.w3.clearkey"
# The manifest model's system names (drm.systems' short names) -> canonical EME key system.
_KEY_SYSTEMS = {s.name: s.key_system for s in drm.SYSTEMS}
_CACHE = 64  # distinct init segments whose protection is remembered


def wrap_drm_error(err: drm.DrmError, context: str = "") -> PlayerError:
    """``drm.DrmError`` as the ``PlayerError`` with the same DRM code."""
    message = f"{context}: {err.message}" if context else err.message
    return PlayerError(Code(int(err.code)), message, recoverable=err.recoverable, data=err.data)


class DrmSession:
    """Content keys for the media of one title; see the module docstring.

    ``presentation`` returns the loaded presentation (read when a license is first
    needed: HLS media playlists add their keys as they are fetched). ``verify``: check
    each KID's key on its first media (the sink decodes). ``sink_keys`` returns keys the
    sink already holds. ``licenses``: whether licenses may be requested at all (an
    offline title's keys come from the store).
    """

    def __init__(
        self,
        config: DrmConfig,
        presentation: Callable[[], Presentation | None],
        *,
        verify: bool = True,
        sink_keys: Callable[[], Mapping[str, str]] | None = None,
        licenses: bool = True,
    ) -> None:
        self._config = config
        self._presentation = presentation
        self._verify = verify and config.verify_keys
        self._sink_keys = sink_keys
        self._licenses = licenses
        self._keys: dict[str, str] = _normalized(config.clear_keys, "drm.clear_keys")
        self._kids: dict[bytes, tuple[str, ...]] = {}
        self._tasks: dict[frozenset[str], asyncio.Task[None]] = {}
        self._checks: dict[str, asyncio.Task[bool]] = {}
        self._verified: set[str] = set()
        self._playlist_servers: dict[str, str | None] = {}  # from HLS media playlists
        self._manager: drm.KeyManager | None = None
        self._transport: drm.LicenseTransport | None = None
        self.key_system: str | None = None
        self.license_url: str | None = None

    @property
    def keys(self) -> dict[str, str]:
        """The content keys held (KID hex -> key hex)."""
        return dict(self._keys)

    @property
    def waiting(self) -> bool:
        """Whether a license is being obtained."""
        return any(not t.done() for t in self._tasks.values())

    def key_ids(self, init: bytes) -> tuple[str, ...]:
        """The KIDs (hex) ``init``'s protected tracks need; ``()`` for clear media.

        A malformed ``tenc``/``pssh`` is ``PlayerError(INIT_DATA_INVALID / PSSH_INVALID)``.
        """
        if not init or (b"encv" not in init and b"enca" not in init):
            # No protected sample entry: clear media, whatever else may be wrong with it
            # (the decode path judges a damaged init segment, not DRM).
            return ()
        kids = self._kids.get(init)
        if kids is None:
            try:
                info = drm.read_protection_info(init)
            except drm.DrmError as err:
                raise wrap_drm_error(err, "init segment") from None
            found: list[str] = []
            for track in info.tracks:
                if not track.is_protected:
                    continue
                if track.default_kid is None:
                    raise PlayerError(
                        Code.INIT_DATA_INVALID, "an encrypted track's tenc box has no default KID"
                    )
                if track.default_kid.hex() not in found:
                    found.append(track.default_kid.hex())
            kids = tuple(found)
            if len(self._kids) >= _CACHE:
                self._kids.clear()
            self._kids[init] = kids
        return kids

    def note_playlist(self, data: bytes, url: str) -> None:
        """Remember the key systems (and license URIs) an HLS media playlist's
        ``EXT-X-KEY`` tags name; the engine keeps resolved playlists to itself."""
        if b"#EXT-X-KEY:" not in data:
            return
        for raw in data.decode("utf-8", "replace").splitlines():
            if not raw.startswith("#EXT-X-KEY:"):
                continue
            try:
                key = drm.parse_ext_x_key(raw)
            except drm.DrmError:
                continue  # the manifest parser reports malformed tags; not ours to judge
            key_system = _KEY_SYSTEMS.get(key.system or "")
            if key_system is None:
                continue
            uri = _http_url(key.uri, url)
            if self._playlist_servers.get(key_system) is None:
                self._playlist_servers[key_system] = uri

    def request(self, init: bytes) -> asyncio.Task[None] | None:
        """Start getting the keys ``init`` needs and does not hold; the task (shared by
        every init segment needing the same KIDs), or None when nothing is missing."""
        missing = self._missing(self.key_ids(init))
        if not missing or not self._licenses:
            return None
        want = frozenset(missing)
        task = self._tasks.get(want)
        if task is None:
            task = asyncio.get_running_loop().create_task(
                self._acquire(init, missing), name="abrkit-license"
            )
            task.add_done_callback(_retrieve)
            self._tasks[want] = task
        return task

    async def keys_for(self, chunk: MediaChunk) -> dict[str, str]:
        """The keys ``chunk`` needs (``{}`` for clear media), once they are held and, for a
        decoding sink, checked on this chunk. Raises the typed ``PlayerError``."""
        kids = self.key_ids(chunk.init)
        if not kids:
            return {}
        if self._missing(kids):
            task = self.request(chunk.init)
            if task is not None:
                await asyncio.shield(task)
            still = self._missing(kids)
            if still:  # licenses are not ours to get (offline): the sink's keys decide
                return {}
        keys = {k: self._keys[k] for k in kids}
        if self._verify:
            for kid in kids:
                await self._check(kid, chunk)
        return keys

    async def close(self) -> None:
        """Stop what is under way and close the license sessions."""
        for task in [*self._tasks.values(), *self._checks.values()]:
            task.cancel()
        if self._manager is not None:
            # Closing a session the server never answered for: nothing to keep.
            with contextlib.suppress(drm.DrmError):
                await self._manager.close()
        if self._transport is not None:
            await self._transport.close()

    # -- internals --------------------------------------------------------------------

    def _missing(self, kids: tuple[str, ...]) -> list[str]:
        held = self._keys
        missing = [k for k in kids if k not in held]
        if missing and self._sink_keys is not None:
            try:
                given = _normalized(self._sink_keys(), "the sink's keys")
            except PlayerError:
                given = {}
            for k in missing:
                if k in given:
                    held[k] = given[k]
            missing = [k for k in kids if k not in held]
        return missing

    async def _acquire(self, init: bytes, kids: list[str]) -> None:
        manager = self._ensure_manager()
        try:
            got = await manager.keys_for(init)
        except drm.DrmError as err:
            raise wrap_drm_error(err, f"license for KID {', '.join(kids)}") from None
        keys = _normalized(got, "license")
        absent = [k for k in kids if k not in keys]
        if absent:  # KeyManager checks this too; never hand on a partial set
            raise PlayerError(
                Code.KEY_ID_MISMATCH,
                f"the license from {self.license_url} holds no key for KID {', '.join(absent)}",
                data={"key_ids": absent},
            )
        self._keys.update(keys)

    def _ensure_manager(self) -> drm.KeyManager:
        if self._manager is None:
            cfg = self._config
            key_system, license_url = self._choose()
            self.key_system, self.license_url = key_system, license_url
            filters = [drm.static_headers(dict(cfg.headers))] if cfg.headers else []
            self._transport = drm.LicenseTransport(
                request_filters=filters,
                retry=drm.RetryPolicy(
                    max_attempts=cfg.max_attempts,
                    base_delay_s=cfg.retry_delay_s,
                    timeout_s=cfg.timeout_s,
                ),
            )
            self._manager = drm.KeyManager(
                key_system, license_url=license_url, transport=self._transport
            )
        return self._manager

    def _choose(self) -> tuple[str, str | None]:
        """The key system and license URL (see the module docstring)."""
        cfg = self._config
        signalled: dict[str, str | None] = {}  # key system -> the manifest's license URL
        pres = self._presentation()
        if pres is not None:
            for period in pres.periods:
                for track in period.tracks:
                    for cp in track.protection:
                        key_system = _KEY_SYSTEMS.get(cp.system)
                        if key_system is None:
                            continue  # the mp4protection element ("cenc"), unknown systems
                        url = cp.license_url or _http_url(dict(cp.extra).get("uri"), pres.url)
                        if signalled.get(key_system) is None:
                            signalled[key_system] = url
        for key_system, url in self._playlist_servers.items():
            if signalled.get(key_system) is None:
                signalled[key_system] = url
        if cfg.key_system is not None:
            key_system = cfg.key_system
        else:
            served = [ks for ks in signalled if ks in cfg.servers]
            if served:
                key_system = served[0]
            elif not signalled and cfg.servers:
                key_system = next(iter(cfg.servers))
            elif CLEARKEY in signalled or not signalled:
                key_system = CLEARKEY
            else:
                key_system = next(iter(signalled))
        url = cfg.license_url or cfg.servers.get(key_system) or signalled.get(key_system)
        return key_system, url

    async def _check(self, kid: str, chunk: MediaChunk) -> None:
        if kid in self._verified:
            return
        task = self._checks.get(kid)
        if task is None:
            key = {kid: self._keys[kid]}
            task = asyncio.get_running_loop().create_task(
                asyncio.to_thread(
                    verify_content_keys,
                    chunk.init,
                    chunk.data,
                    key,
                    representation_id=chunk.representation_id,
                    number=chunk.number,
                ),
                name="abrkit-key-check",
            )
            task.add_done_callback(_retrieve)
            self._checks[kid] = task
        # A wrong key raises PlayerError(DECRYPTION_FAILED) here, to every chunk waiting.
        if await asyncio.shield(task):
            self._verified.add(kid)
        else:  # undecided (the segment would not demux): try again on the next chunk
            self._checks.pop(kid, None)


def _normalized(keys: Mapping[str, str], what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for kid, key in keys.items():
        k = str(kid).replace("-", "").strip().lower()
        v = str(key).replace("-", "").strip().lower()
        try:
            ok = len(bytes.fromhex(k)) == 16 and len(bytes.fromhex(v)) == 16
        except ValueError:
            ok = False
        if not ok:
            raise PlayerError(
                Code.INVALID_CONFIG if what.startswith("drm.") else Code.INVALID_ARGUMENT,
                f"{what}: {kid!r} is not a 16-byte KID with a 16-byte key (32 hex digits each)",
            )
        out[k] = v
    return out


def _http_url(uri: str | None, base: str | None) -> str | None:
    """An HLS key URI as a license server URL: absolute, and only if it is HTTP(S)."""
    if not uri:
        return None
    absolute = urljoin(base, uri) if base else uri
    return absolute if urlsplit(absolute).scheme in ("http", "https") else None


def _retrieve(task: asyncio.Task[object]) -> None:
    # Failures are raised to whoever awaits the task; never logged as "never retrieved".
    if not task.cancelled():
        task.exception()
