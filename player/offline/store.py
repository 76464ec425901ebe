"""``OfflineStore``: download titles, keep them durably, play them with no network.

::

    store = OfflineStore("~/Videos/abrkit")
    info = await store.download(url, Selection(max_height=720, audio_languages=("en",)),
                                on_progress=print)
    async with store.play(info.id) as player:      # a Player reading the store
        await player.wait_ended()

Layout of a store folder: ``store.db`` (SQLite, WAL: titles, segments, wrapped licenses,
every row signed with the store key), ``titles/<id>/...`` (the files as served, still
encrypted when the title is), ``locks/<id>.lock`` (one downloader per title). The store
key lives elsewhere (see :mod:`player.offline.keys`).

Expiry is enforced by the store, not left to the app: a title has an absolute expiry
and a playback window (from its license, else the store's defaults), checked when it is
opened and every quarter second while it plays; a wall clock earlier than the latest
time the store has seen marks every title as needing renewal (``CLOCK_TAMPERED``) until
:meth:`OfflineStore.renew` fetches a fresh license online.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import math
import os
import shutil
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from drm import DrmError, LicenseTransport, read_protection_info
from player.errors import Code, PlayerError
from player.manifest import Presentation, parse_manifest, settle_hls_master
from player.manifest.model import IndexRequest
from player.net import Fetcher, NetworkConfig, RequestType
from player.offline import licenses
from player.offline._download import (
    DownloadProgress,
    ProgressCallback,
    choose,
    plan_rows,
    transfer,
)
from player.offline.db import Database, LicenseRow, SegmentRow, TitleRow, dumps
from player.offline.files import contained, remove_stale_temporaries
from player.offline.keys import load_store_key
from player.offline.presentation import (
    StoreFetcher,
    model_from_presentation,
    model_key_ids,
    model_license_url,
    offline_presentation,
    parse_model,
)
from player.offline.selection import Selection

if TYPE_CHECKING:
    from player.config import PlayerConfig
    from player.player import Player
    from player.sink import MediaSink

__all__ = ["DownloadProgress", "OfflinePlayback", "OfflineStore", "TitleInfo"]

DAY = 86400.0
DEFAULT_EXPIRY_S = 30 * DAY
DEFAULT_WINDOW_S = 2 * DAY
SPACE_MARGIN = 1.10  # estimates from @bandwidth can be low: ask for 10 % more
SPACE_RESERVE = 1024 * 1024  # the database, its WAL and the folders
_WATCH_S = 0.25
_SAVE_POSITION_S = 5.0


def _iso(t: float | None) -> str | None:
    if t is None:
        return None
    return dt.datetime.fromtimestamp(t, dt.UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class TitleInfo:
    """A stored title as :meth:`OfflineStore.list` and :meth:`OfflineStore.get` show it.

    Times are POSIX seconds of the store's clock (None: not limited / not yet).
    """

    id: str
    url: str
    bytes: int
    complete: bool
    expires_at: float | None
    window_ends_at: float | None  # set once the title was first played
    window_s: float | None
    created_at: float
    first_played_at: float | None
    position: float | None  # where playback was left
    files_done: int
    files_total: int
    protected: bool
    needs_renewal: bool  # the clock was set back: refused until renewed online
    selection: Selection

    def to_json(self) -> dict[str, Any]:
        """``{"id", "url", "bytes", "complete", "expires_at", "window_ends_at"}`` with
        ISO 8601 times (or null), as ``abrkit offline ls --json`` prints it."""
        return {
            "id": self.id,
            "url": self.url,
            "bytes": self.bytes,
            "complete": self.complete,
            "expires_at": _iso(self.expires_at),
            "window_ends_at": _iso(self.window_ends_at),
        }

    def expired(self, now: float) -> bool:
        """Whether the title can no longer be played at ``now`` without renewal."""
        return (
            self.needs_renewal
            or (self.expires_at is not None and now >= self.expires_at)
            or (self.window_ends_at is not None and now >= self.window_ends_at)
        )


def _title_id(url: str, selection: Selection) -> str:
    return hashlib.sha256(f"{url}\n{dumps(selection.to_json())}".encode()).hexdigest()[:16]


def _check_title_id(title_id: str) -> str:
    if not (
        isinstance(title_id, str)
        and len(title_id) == 16
        and all(c in "0123456789abcdef" for c in title_id)
    ):
        raise PlayerError(Code.TITLE_NOT_FOUND, f"no title {title_id!r} in the store")
    return title_id


class _TitleLock:
    """An exclusive, non-blocking lock on one title (released by the kernel if killed)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def __enter__(self) -> _TitleLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise PlayerError(
                Code.STORE_LOCKED, f"title {self.path.stem} is in use by another download"
            ) from None
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class OfflineStore:
    """Titles downloaded for offline playback, in the folder ``path``.

    - ``clock``: wall time (POSIX seconds) used for every expiry decision; tests inject
      one. The monotonic clock is never used for expiry.
    - ``key`` / ``key_file`` / ``use_keyring``: where the store key comes from (see
      :mod:`player.offline.keys`).
    - ``quota_bytes``: the most the store may hold (None: only the disk limits it).
    - ``default_expiry_s`` / ``default_window_s``: the terms of titles whose license
      sets none (and of clear titles); None: not limited.
    - ``clock_tolerance_s``: how far the clock may go back before it counts as set back.
    - ``network``: the :class:`~player.net.NetworkConfig` of downloads; ``parallel``: how
      many files are fetched at once; ``license_transport``: the DRM transport (filters,
      retries) for license requests.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        clock: Callable[[], float] = time.time,
        key: bytes | None = None,
        key_file: str | os.PathLike[str] | None = None,
        use_keyring: bool = True,
        quota_bytes: int | None = None,
        default_expiry_s: float | None = DEFAULT_EXPIRY_S,
        default_window_s: float | None = DEFAULT_WINDOW_S,
        clock_tolerance_s: float = 300.0,
        network: NetworkConfig | None = None,
        parallel: int = 4,
        key_system: str = licenses.CLEARKEY,
        license_transport: LicenseTransport | None = None,
    ) -> None:
        if parallel < 1 or parallel > 64:
            raise PlayerError(Code.INVALID_ARGUMENT, f"parallel must be 1..64, not {parallel}")
        if quota_bytes is not None and quota_bytes <= 0:
            raise PlayerError(Code.INVALID_ARGUMENT, "quota_bytes must be > 0")
        self.path = Path(path).expanduser()
        self.clock = clock
        self.quota_bytes = quota_bytes
        self.default_expiry_s = default_expiry_s
        self.default_window_s = default_window_s
        self.clock_tolerance_s = clock_tolerance_s
        self.network = network
        self.parallel = parallel
        self.key_system = key_system
        self.license_transport = license_transport
        try:
            self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
            (self.path / "titles").mkdir(mode=0o700, exist_ok=True)
            (self.path / "locks").mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            raise PlayerError(
                Code.STORE_CORRUPT, f"cannot use {self.path} as a store: {exc.strerror or exc}"
            ) from None
        self._db = Database(self.path / "store.db")
        try:
            recorded = self._db.meta()
            store_key = load_store_key(
                self.path,
                recorded=recorded,
                key=key,
                key_file=Path(key_file) if key_file is not None else None,
                use_keyring=use_keyring,
            )
            self._db.set_key(store_key)
            if "key_check" not in recorded:
                with self._db.transaction():
                    self._db.set_meta("key_source", store_key.source)
                    self._db.set_meta("key_check", store_key.check_value)
        except BaseException:
            self._db.close()
            raise

    # -- lifecycle ----------------------------------------------------------------------

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> OfflineStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the clock ----------------------------------------------------------------------

    def _observe_clock(self) -> float:
        """Now; when the clock went back, every title is marked as needing renewal."""
        now = float(self.clock())
        if not math.isfinite(now):
            raise PlayerError(Code.CLOCK_TAMPERED, "the clock gave no usable time")
        last_text = self._db.signed_meta("last_seen")
        last = float(last_text) if last_text is not None else None
        if last is not None and now < last - self.clock_tolerance_s:
            with self._db.transaction():
                for row in self._db.titles():
                    if not row.needs_renewal:
                        self._db.put(replace(row, needs_renewal=True))
            return now
        if last is None or now > last + 1.0:
            self._db.set_signed_meta("last_seen", repr(now))
        return now

    def _trust_clock(self, now: float) -> None:
        # After an online renewal the current clock is the reference again.
        self._db.set_signed_meta("last_seen", repr(now))

    # -- titles -------------------------------------------------------------------------

    def _row(self, title_id: str) -> TitleRow:
        row = self._db.title(_check_title_id(title_id))
        if row is None:
            raise PlayerError(Code.TITLE_NOT_FOUND, f"no title {title_id!r} in the store")
        return row

    def _info(self, row: TitleRow, segments: builtins.list[SegmentRow] | None = None) -> TitleInfo:
        segs = self._db.segments(row.id) if segments is None else segments
        lic = self._db.license(row.id)
        done = [s for s in segs if s.done]
        unique: dict[str, int] = {s.path: s.size or 0 for s in done}
        window_end = (
            row.first_played_at + row.window_s
            if row.first_played_at is not None and row.window_s is not None
            else None
        )
        return TitleInfo(
            id=row.id,
            url=row.url,
            bytes=sum(unique.values()),
            complete=row.complete,
            expires_at=row.expires_at,
            window_ends_at=window_end,
            window_s=row.window_s,
            created_at=row.created_at,
            first_played_at=row.first_played_at,
            position=row.position,
            files_done=len(done),
            files_total=len(segs),
            protected=lic is not None,
            needs_renewal=row.needs_renewal,
            selection=Selection.from_json(json.loads(row.selection)),
        )

    def list(self) -> list[TitleInfo]:
        """Every stored title, oldest first (incomplete ones too). A tampered row is
        ``PlayerError(TAMPERED)``."""
        self._observe_clock()
        return [self._info(row) for row in self._db.titles()]

    def get(self, title_id: str) -> TitleInfo:
        """One title; ``TITLE_NOT_FOUND`` when there is none."""
        self._observe_clock()
        return self._info(self._row(title_id))

    def title_dir(self, title_id: str) -> Path:
        """The folder of a title's files."""
        return self.path / "titles" / _check_title_id(title_id)

    def _lock(self, title_id: str) -> _TitleLock:
        return _TitleLock(self.path / "locks" / f"{_check_title_id(title_id)}.lock")

    def stored_bytes(self) -> int:
        """Bytes of every stored file."""
        return self._db.stored_bytes()

    # -- download -----------------------------------------------------------------------

    def _fetcher(self) -> Fetcher:
        return Fetcher(self.network or NetworkConfig())

    async def download(
        self,
        url: str,
        selection: Selection | None = None,
        *,
        license_url: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> TitleInfo:
        """Download ``url`` (a VOD DASH/HLS manifest) as chosen by ``selection``.

        The same URL and selection always make the same title id: calling this again
        after a crash, a kill or a full disk resumes the title, fetching only what is not
        stored yet (the manifest is not fetched again). Encrypted titles get a persistent
        license from ``license_url`` (else the URL the manifest names) before any media.
        ``on_progress`` is called after every file with a :class:`DownloadProgress`.

        Errors: ``QUOTA_EXCEEDED`` up front when the estimate does not fit the disk or
        the quota; ``DISK_FULL`` (recoverable) when the disk fills anyway; network and
        DRM errors as raised; ``STORE_LOCKED`` when another process is downloading the
        same title. In every case the title stays resumable.
        """
        selection = selection or Selection()
        title_id = _title_id(url, selection)
        now = self._observe_clock()
        with self._lock(title_id):
            row = self._db.title(title_id)
            async with self._fetcher() as fetcher:
                if row is None:
                    row = await self._plan(fetcher, title_id, url, selection, license_url, now)
                elif row.complete:
                    return self._info(row)
                title_dir = self.title_dir(title_id)
                remove_stale_temporaries(title_dir)
                segments = self._verified(title_id, title_dir)
                self._check_space([s for s in segments if not s.done])
                todo_init = [s for s in segments if not s.done and s.kind == "init"]
                segments = await transfer(
                    self._db,
                    title_id,
                    title_dir,
                    todo_init,
                    fetcher,
                    parallel=self.parallel,
                    on_progress=on_progress,
                    all_rows=segments,
                )
                if self._db.license(title_id) is None:
                    row = await self._license(row, segments, license_url)
                todo = [s for s in segments if not s.done]
                segments = await transfer(
                    self._db,
                    title_id,
                    title_dir,
                    todo,
                    fetcher,
                    parallel=self.parallel,
                    on_progress=on_progress,
                    all_rows=segments,
                )
            row = self._db.update_title(self._row(title_id), complete=True)
            return self._info(row, segments)

    async def _plan(
        self,
        fetcher: Fetcher,
        title_id: str,
        url: str,
        selection: Selection,
        license_url: str | None,
        now: float,
    ) -> TitleRow:
        result = await fetcher.fetch(url, request_type=RequestType.MANIFEST)
        presentation = parse_manifest(result.data, url)
        chosen = choose(presentation, selection)
        await self._resolve_indexes(fetcher, presentation, chosen)
        if presentation.is_live:
            raise PlayerError(
                Code.UNSUPPORTED_FEATURE,
                "a live presentation cannot be downloaded",
                data={"url": url},
            )
        rows = plan_rows(title_id, presentation, chosen, url)
        self._check_space(rows)
        model = model_from_presentation(presentation, chosen)
        row = TitleRow(
            id=title_id,
            url=url,
            selection=dumps(selection.to_json()),
            model=dumps(model),
            created_at=now,
            complete=False,
            expires_at=now + self.default_expiry_s if self.default_expiry_s is not None else None,
            window_s=self.default_window_s,
            first_played_at=None,
            position=None,
            needs_renewal=False,
            license_url=license_url or model_license_url(model),
        )
        # The whole plan in one transaction: a kill leaves all of it or none.
        self._db.put_many([row, *rows])
        return row

    async def _resolve_indexes(
        self, fetcher: Fetcher, presentation: Presentation, chosen: dict[str, Any]
    ) -> None:
        """Fetch the sidx boxes / media playlists of the chosen representations."""
        for reps in chosen.values():
            for _key, rep in reps:
                req = rep.index
                if isinstance(req, IndexRequest):
                    res = await fetcher.fetch(
                        req.urls, byte_range=req.byte_range, request_type=RequestType.INDEX
                    )
                    rep.index = req.resolve(res.data)
                elif rep.index is not None and not hasattr(rep.index, "by_number"):
                    raise PlayerError(Code.UNSUPPORTED_FEATURE, f"cannot list {rep.id!r}")
        # Index loading may settle an HLS title's duration and liveness.
        settle_hls_master(presentation, (rep.index for reps in chosen.values() for _, rep in reps))

    def _verified(self, title_id: str, title_dir: Path) -> builtins.list[SegmentRow]:
        """The title's rows; a done file that is missing or of the wrong size is undone
        (fetched again) rather than trusted."""
        rows = self._db.segments(title_id)
        fixed = []
        for r in rows:
            if not r.done:
                continue
            try:
                ok = contained(title_dir, r.path).stat().st_size == r.size
            except (OSError, PlayerError):
                ok = False
            if not ok:
                fixed.append(replace(r, done=False, size=None, sha256=None))
        if fixed:
            self._db.put_many(fixed)
            rows = self._db.segments(title_id)
        return rows

    def _check_space(self, todo: builtins.list[SegmentRow]) -> None:
        """``QUOTA_EXCEEDED`` up front when the rest of the download cannot fit."""
        unique = {r.path: r.estimate for r in todo}
        need = int(sum(unique.values()) * SPACE_MARGIN)
        if not need:
            return
        free = shutil.disk_usage(self.path).free
        if need + SPACE_RESERVE > free:
            raise PlayerError(
                Code.QUOTA_EXCEEDED,
                f"not enough free space: the download needs about {need} bytes "
                f"(+{SPACE_RESERVE} reserve), {free} are free",
                data={"needed": need, "free": free},
            )
        if self.quota_bytes is not None:
            used = self._db.stored_bytes()
            if used + need > self.quota_bytes:
                raise PlayerError(
                    Code.QUOTA_EXCEEDED,
                    f"the store quota is {self.quota_bytes} bytes: {used} are used and the "
                    f"download needs about {need} more",
                    data={"needed": need, "used": used, "quota": self.quota_bytes},
                )

    def _key_ids(self, row: TitleRow, segments: builtins.list[SegmentRow]) -> builtins.list[bytes]:
        kids = model_key_ids(parse_model(row.model))
        title_dir = self.title_dir(row.id)
        for s in segments:
            if s.kind != "init" or not s.done:
                continue
            try:
                info = read_protection_info(contained(title_dir, s.path).read_bytes())
            except (DrmError, OSError):
                continue
            for track in info.tracks:
                if track.is_protected and track.default_kid and track.default_kid not in kids:
                    kids.append(track.default_kid)
        return kids

    async def _license(
        self, row: TitleRow, segments: builtins.list[SegmentRow], license_url: str | None
    ) -> TitleRow:
        kids = self._key_ids(row, segments)
        if not kids:
            return row
        url = license_url or row.license_url
        if not url:
            raise PlayerError(
                Code.LICENSE_REQUEST_FAILED,
                "the title is encrypted and no license URL was given (--license-url) or named "
                "by the manifest",
            )
        stored = await licenses.acquire(
            url,
            kids,
            key_system=self.key_system,
            clock=self.clock,
            transport=self.license_transport,
        )
        now = self._observe_clock()
        return self._put_license(row, stored, url, now)

    def _put_license(
        self, row: TitleRow, stored: licenses.StoredLicense, url: str, now: float
    ) -> TitleRow:
        terms = stored.terms
        expires_at = terms.expires_at
        if expires_at is None and self.default_expiry_s is not None:
            expires_at = now + self.default_expiry_s
        window = (
            terms.playback_window_s
            if terms.playback_window_s is not None
            else self.default_window_s
        )
        lic = LicenseRow(
            title_id=row.id,
            key_system=stored.key_system,
            blob=self._db.key.wrap(stored.blob, f"license:{row.id}"),
            kids=json.dumps([k.hex() for k in stored.key_ids]),
            issued_at=terms.issued_at,
            obtained_at=now,
        )
        new = replace(
            row,
            expires_at=expires_at,
            window_s=window,
            first_played_at=None,
            needs_renewal=False,
            license_url=url,
        )
        with self._db.transaction():
            self._db.put(lic)
            self._db.put(new)
        self._trust_clock(now)
        return new

    # -- renewal and removal --------------------------------------------------------------

    async def renew(self, title_id: str, *, license_url: str | None = None) -> TitleInfo:
        """Fetch a fresh license (online) without downloading content again.

        The new license's terms replace the old ones, the playback window starts over
        and a clock-set-back mark is cleared. A clear title is renewed by fetching its
        manifest (proof of being online) and restarting the store's default terms.
        """
        row = self._row(title_id)
        now = float(self.clock())
        lic = self._db.license(title_id)
        if lic is None:
            async with self._fetcher() as fetcher:
                await fetcher.fetch(row.url, request_type=RequestType.MANIFEST)
            row = self._db.update_title(
                row,
                expires_at=now + self.default_expiry_s
                if self.default_expiry_s is not None
                else None,
                window_s=self.default_window_s,
                first_played_at=None,
                needs_renewal=False,
            )
            self._trust_clock(now)
            return self._info(row)
        url = license_url or row.license_url
        if not url:
            raise PlayerError(Code.LICENSE_REQUEST_FAILED, "no license URL to renew from")
        kids = [bytes.fromhex(k) for k in json.loads(lic.kids)]
        stored = await licenses.acquire(
            url, kids, key_system=lic.key_system, clock=self.clock, transport=self.license_transport
        )
        row = self._put_license(row, stored, url, now)
        return self._info(row)

    async def remove(self, title_id: str, *, release: bool = True) -> bool:
        """Release the title's license (when ``release`` and it has one), delete its
        files and rows. Returns whether the license server acknowledged a release (False
        for clear titles, or when the server could not be reached: the title is removed
        anyway and its keys, never stored in the clear, are gone with it). A title whose
        rows were tampered with is removed too (with nothing released)."""
        released = False
        with self._lock(title_id):
            row: TitleRow | None
            try:
                row = self._row(title_id)
                lic = self._db.license(title_id)
            except PlayerError as err:
                if err.code is not Code.TAMPERED:
                    raise
                row, lic = None, None
            if row is not None and lic is not None and release and row.license_url:
                with contextlib.suppress(PlayerError):
                    blob = self._db.key.unwrap(lic.blob, f"license:{title_id}")
                    await licenses.release(
                        lic.key_system,
                        blob,
                        row.license_url,
                        clock=self.clock,
                        transport=self.license_transport,
                    )
                    released = True
            self._db.delete_title(title_id)
            shutil.rmtree(self.title_dir(title_id), ignore_errors=True)
        with contextlib.suppress(OSError):
            (self.path / "locks" / f"{title_id}.lock").unlink()
        return released

    # -- playback -----------------------------------------------------------------------

    def check_playable(self, title_id: str) -> TitleRow:
        """The title's row if it may play now; else ``DOWNLOAD_INCOMPLETE``,
        ``CLOCK_TAMPERED`` (clock set back: renew online) or ``EXPIRED``."""
        now = self._observe_clock()
        row = self._row(title_id)
        if not row.complete:
            raise PlayerError(Code.DOWNLOAD_INCOMPLETE, f"title {title_id} is not fully downloaded")
        if row.needs_renewal:
            raise PlayerError(
                Code.CLOCK_TAMPERED,
                f"the clock was set back: title {title_id} counts as expired until renewed online",
                data={"title_id": title_id, "now": now},
            )
        if row.expires_at is not None and now >= row.expires_at:
            raise PlayerError(
                Code.EXPIRED,
                f"title {title_id} expired at {_iso(row.expires_at)}",
                recoverable=True,
                data={"title_id": title_id, "expires_at": row.expires_at},
            )
        if row.first_played_at is not None and row.window_s is not None:
            end = row.first_played_at + row.window_s
            if now >= end:
                raise PlayerError(
                    Code.EXPIRED,
                    f"the playback window of title {title_id} ended at {_iso(end)}",
                    recoverable=True,
                    data={"title_id": title_id, "window_ends_at": end},
                )
        return row

    async def open(self, title_id: str) -> OfflinePlayback:
        """Open a title for playback (no network): checks expiry and integrity, unwraps
        the license and gives the keys, starts the playback window, and returns an
        :class:`OfflinePlayback` that makes the Player."""
        row = self.check_playable(title_id)
        segments = self._db.segments(title_id)
        missing = [s.path for s in segments if not s.done]
        if missing:
            raise PlayerError(Code.DOWNLOAD_INCOMPLETE, f"title {title_id} lacks {missing[0]}")
        keys: dict[str, str] = {}
        lic = self._db.license(title_id)
        if lic is not None:
            blob = self._db.key.unwrap(lic.blob, f"license:{title_id}")
            kids = [bytes.fromhex(k) for k in json.loads(lic.kids)]
            keys, updated = await licenses.content_keys(
                lic.key_system, blob, kids, clock=self.clock
            )
            lic = replace(lic, blob=self._db.key.wrap(updated, f"license:{title_id}"))
            self._db.put(lic)
        now = float(self.clock())
        if row.first_played_at is None:
            row = self._db.update_title(row, first_played_at=now)
        presentation = offline_presentation(title_id, parse_model(row.model), segments)
        fetcher = StoreFetcher(
            title_id, self.title_dir(title_id), segments, before_read=lambda: self._guard(title_id)
        )
        return OfflinePlayback(self, self._info(row, segments), presentation, fetcher, keys)

    def _guard(self, title_id: str) -> None:
        self.check_playable(title_id)

    def save_position(self, title_id: str, position: float | None) -> None:
        """Remember where playback of a title was left (None: from the start)."""
        row = self._db.title(title_id)
        if row is not None and row.position != position:
            self._db.update_title(row, position=position)

    @contextlib.asynccontextmanager
    async def play(
        self,
        title_id: str,
        config: PlayerConfig | None = None,
        *,
        sink: MediaSink | None = None,
        start: float | None = None,
    ) -> AsyncIterator[Player]:
        """``async with store.play(id) as player``: a loaded Player on the stored title,
        resumed where it was left (or at ``start``); expiry stops it with
        ``PlayerError(EXPIRED)``; the position is saved when the block ends."""
        playback = await self.open(title_id)
        try:
            playback.player(config, sink=sink)
            player = await playback.start(start)
            yield player
        finally:
            await playback.close()


class OfflinePlayback:
    """An opened stored title: what a Player needs to play it with no network.

    ``presentation`` (URLs into the store), ``fetcher`` (a :class:`StoreFetcher`),
    ``keys`` (content keys for the decoder), ``resume_position``. :meth:`player` makes a
    Player wired to them, :meth:`start` loads it at the resume position and watches the
    expiry, :meth:`close` saves the position and closes the Player.
    """

    def __init__(
        self,
        store: OfflineStore,
        title: TitleInfo,
        presentation: Presentation,
        fetcher: StoreFetcher,
        keys: dict[str, str],
    ) -> None:
        self.store = store
        self.title = title
        self.presentation = presentation
        self.fetcher = fetcher
        self.keys = keys
        self.resume_position = title.position
        self._player: Player | None = None
        self._watch: asyncio.Task[None] | None = None
        self.error: PlayerError | None = None

    async def __aenter__(self) -> OfflinePlayback:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def player(
        self, config: PlayerConfig | None = None, *, sink: MediaSink | None = None
    ) -> Player:
        """A Player reading this title from the store (the sink gets the keys). The
        bandwidth cache is off: local reads say nothing about a network."""
        from player.config import PlayerConfig
        from player.player import Player

        if self._player is not None:
            raise PlayerError(Code.INVALID_STATE, "this playback already has a Player")
        cfg = config or PlayerConfig()
        cfg = replace(cfg, abr=replace(cfg.abr, use_bandwidth_cache=False))
        if sink is not None and self.keys:
            sink.set_keys(dict(self.keys))
        self._player = Player(cfg, sink=sink, fetcher=self.fetcher)
        return self._player

    async def start(self, start: float | None = None) -> Player:
        """Load the title into the Player (made by :meth:`player`, or a default one) at
        ``start`` or where it was left, and watch the expiry while it plays."""
        player = self._player or self.player()
        position = start if start is not None else self._resume_at()
        await player.load(self.presentation, start=position)
        self._watch = asyncio.get_running_loop().create_task(self._watchdog(player))
        return player

    def _resume_at(self) -> float | None:
        pos = self.resume_position
        duration = self.presentation.duration
        if pos is None or pos <= 0:
            return None
        if duration is not None and pos >= duration - 1.0:
            return None  # it was watched to the end: start over
        return pos

    async def _watchdog(self, player: Player) -> None:
        last_save = time.monotonic()
        while True:
            await asyncio.sleep(_WATCH_S)
            try:
                self.store._guard(self.title.id)
            except PlayerError as err:
                self.error = err
                with contextlib.suppress(PlayerError):
                    player.fail(err)
                return
            if time.monotonic() - last_save >= _SAVE_POSITION_S:
                last_save = time.monotonic()
                with contextlib.suppress(PlayerError):
                    self.store.save_position(self.title.id, player.position)

    async def close(self) -> None:
        """Stop watching, save the position (cleared when watched to the end), close the
        Player."""
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._watch
            self._watch = None
        player = self._player
        if player is not None:
            from player.engine import EngineState

            ended = player.state is EngineState.ENDED
            position = None if ended else player.position
            with contextlib.suppress(PlayerError):
                self.store.save_position(self.title.id, position)
            await player.close()
