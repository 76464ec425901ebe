"""The store's metadata in SQLite: schema, migrations, signed rows.

The database runs in WAL mode with ``synchronous=FULL``: a committed transaction
survives a power cut, and a reader never blocks the downloader. The schema version is
``PRAGMA user_version``; :data:`MIGRATIONS` takes a store from any older version to the
current one, one step per transaction.

Every row carries ``mac``, an HMAC over its other columns with the store key
(:class:`~player.offline.keys.StoreKey`): a row edited behind the store's back (a path
pointed elsewhere, an expiry pushed out) fails its check and is refused with
``PlayerError(TAMPERED)``. ``sqlite3`` errors are wrapped: a full disk is ``DISK_FULL``, a
busy database ``STORE_LOCKED``, an unreadable file ``STORE_CORRUPT``.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import astuple, dataclass, fields, replace
from pathlib import Path
from typing import Any, TypeVar

from player.errors import Code, PlayerError
from player.offline.keys import StoreKey

__all__ = ["MIGRATIONS", "Database", "LicenseRow", "SegmentRow", "TitleRow"]

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema.
    """
    CREATE TABLE meta (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE titles (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        selection TEXT NOT NULL,
        model TEXT NOT NULL,
        created_at REAL NOT NULL,
        complete INTEGER NOT NULL,
        expires_at REAL,
        window_s REAL,
        first_played_at REAL,
        position REAL,
        needs_renewal INTEGER NOT NULL,
        license_url TEXT,
        mac TEXT NOT NULL
    );
    CREATE TABLE segments (
        title_id TEXT NOT NULL REFERENCES titles(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        track TEXT NOT NULL,
        kind TEXT NOT NULL,
        number INTEGER NOT NULL,
        start REAL NOT NULL,
        duration REAL NOT NULL,
        urls TEXT NOT NULL,
        range_start INTEGER,
        range_end INTEGER,
        path TEXT NOT NULL,
        estimate INTEGER NOT NULL,
        size INTEGER,
        sha256 TEXT,
        done INTEGER NOT NULL,
        mac TEXT NOT NULL,
        PRIMARY KEY (title_id, seq)
    );
    CREATE TABLE licenses (
        title_id TEXT PRIMARY KEY REFERENCES titles(id) ON DELETE CASCADE,
        key_system TEXT NOT NULL,
        blob BLOB NOT NULL,
        kids TEXT NOT NULL,
        issued_at REAL,
        obtained_at REAL NOT NULL,
        mac TEXT NOT NULL
    );
    """,
)


@dataclass(frozen=True, slots=True)
class TitleRow:
    """One stored title. Times are POSIX seconds (the store's clock)."""

    id: str
    url: str
    selection: str  # JSON of the Selection
    model: str  # JSON of the offline presentation (tracks, representations)
    created_at: float
    complete: bool
    expires_at: float | None  # absolute expiry
    window_s: float | None  # playback window, from the first play
    first_played_at: float | None
    position: float | None  # where playback was left
    needs_renewal: bool  # the clock was set back: expired until renewed online
    license_url: str | None


@dataclass(frozen=True, slots=True)
class SegmentRow:
    """One resource of a title: an init segment or a media segment."""

    title_id: str
    seq: int
    track: str  # "p<period>/t<track>/r<representation>" of the offline model
    kind: str  # "init" | "media"
    number: int
    start: float
    duration: float
    urls: str  # JSON list of the origin's URLs
    range_start: int | None
    range_end: int | None
    path: str  # relative to the title's folder
    estimate: int  # bytes expected before the download
    size: int | None
    sha256: str | None
    done: bool


@dataclass(frozen=True, slots=True)
class LicenseRow:
    """A title's persistent license, wrapped with the store key."""

    title_id: str
    key_system: str
    blob: bytes
    kids: str  # JSON list of KID hex
    issued_at: float | None
    obtained_at: float


Row = TitleRow | SegmentRow | LicenseRow
R = TypeVar("R", TitleRow, SegmentRow, LicenseRow)
_TABLE: dict[type[Any], str] = {TitleRow: "titles", SegmentRow: "segments", LicenseRow: "licenses"}
_KEYS: dict[type[Any], tuple[str, ...]] = {
    TitleRow: ("id",),
    SegmentRow: ("title_id", "seq"),
    LicenseRow: ("title_id",),
}
_BOOLS = {"complete", "needs_renewal", "done"}


def _wrap(exc: sqlite3.Error, what: str) -> PlayerError:
    text = str(exc)
    if isinstance(exc, sqlite3.OperationalError):
        if "full" in text:
            return PlayerError(
                Code.DISK_FULL, f"{what}: the disk is full ({text})", recoverable=True
            )
        if "locked" in text or "busy" in text:
            return PlayerError(Code.STORE_LOCKED, f"{what}: the store is busy ({text})")
    return PlayerError(Code.STORE_CORRUPT, f"{what}: {text}")


class Database:
    """The store's SQLite database; rows are signed and checked with ``key``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._key: StoreKey | None = None
        # One connection shared by the threads an app may call from (a GUI thread, the
        # player's loop); the lock serialises its use.
        self._lock = threading.RLock()
        try:
            self._conn = sqlite3.connect(
                path, timeout=10.0, isolation_level=None, check_same_thread=False
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.Error as exc:
            with contextlib.suppress(Exception):
                self._conn.close()
            raise _wrap(exc, f"cannot open the store database {path}") from None

    # -- set-up -----------------------------------------------------------------------

    def _migrate(self) -> None:
        version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
        if version > len(MIGRATIONS):
            raise PlayerError(
                Code.STORE_CORRUPT,
                f"the store was written by a newer abrkit (schema {version} > {len(MIGRATIONS)})",
            )
        for step in range(version, len(MIGRATIONS)):
            # Statement by statement: executescript() would commit the transaction first.
            with self.transaction():
                for statement in MIGRATIONS[step].split(";"):
                    if statement.strip():
                        self._conn.execute(statement)
                self._conn.execute(f"PRAGMA user_version={step + 1}")

    def set_key(self, key: StoreKey) -> None:
        """Use ``key`` to sign and check rows from now on."""
        self._key = key

    @property
    def key(self) -> StoreKey:
        """The store key (set by :meth:`set_key`)."""
        if self._key is None:
            raise PlayerError(Code.INVALID_STATE, "the store key is not loaded")
        return self._key

    def close(self) -> None:
        """Close the connection."""
        with contextlib.suppress(sqlite3.Error):
            self._conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` ... ``COMMIT`` (rolled back on any exception)."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise _wrap(exc, "cannot write to the store") from None
            try:
                yield self._conn
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
                raise
            try:
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
                raise _wrap(exc, "cannot commit to the store") from None

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return list(self._conn.execute(sql, tuple(args)).fetchall())
            except sqlite3.Error as exc:
                raise _wrap(exc, "cannot read the store") from None

    def _exec(self, sql: str, args: Sequence[Any] = ()) -> None:
        with self._lock:
            try:
                self._conn.execute(sql, tuple(args))
            except sqlite3.Error as exc:
                raise _wrap(exc, "cannot write to the store") from None

    # -- meta -------------------------------------------------------------------------

    def meta(self) -> dict[str, str]:
        """Every name/value of the ``meta`` table (not signed: key source and check)."""
        return {str(k): str(v) for k, v in self._query("SELECT name, value FROM meta")}

    def set_meta(self, name: str, value: str) -> None:
        """Set one meta value (in its own transaction unless one is open)."""
        sql = "INSERT INTO meta(name, value) VALUES(?, ?) ON CONFLICT(name) DO UPDATE SET value=?"
        with self._lock:
            if self._conn.in_transaction:
                self._exec(sql, (name, value, value))
                return
        with self.transaction():
            self._exec(sql, (name, value, value))

    def signed_meta(self, name: str) -> str | None:
        """A meta value stored with :meth:`set_signed_meta`; a bad signature is TAMPERED."""
        m = self.meta()
        value = m.get(name)
        if value is None:
            return None
        if not self.key.verify(m.get(f"{name}.mac"), "meta", name, value):
            raise PlayerError(Code.TAMPERED, f"the store's {name!r} record was edited")
        return value

    def set_signed_meta(self, name: str, value: str) -> None:
        """Set a meta value with its HMAC."""
        with self.transaction():
            self.set_meta(name, value)
            self.set_meta(f"{name}.mac", self.key.sign("meta", name, value))

    # -- rows -------------------------------------------------------------------------

    def _sign(self, row: Row) -> str:
        return self.key.sign(_TABLE[type(row)], *astuple(row))

    def _load(self, cls: type[R], raw: tuple[Any, ...]) -> R:
        names = [f.name for f in fields(cls)]
        values = dict(zip(names, raw[:-1], strict=True))
        for name in _BOOLS & values.keys():
            values[name] = bool(values[name])
        if "blob" in values and values["blob"] is not None:
            values["blob"] = bytes(values["blob"])
        row = cls(**values)
        if not self.key.verify(raw[-1], _TABLE[cls], *astuple(row)):
            ident = values.get("id") or values.get("title_id")
            raise PlayerError(
                Code.TAMPERED,
                f"a {_TABLE[cls]} row of title {ident} failed its integrity check "
                "(edited outside the store)",
                data={"table": _TABLE[cls], "title_id": ident},
            )
        return row

    def put(self, row: Row) -> None:
        """Insert or replace ``row`` (signed)."""
        cls = type(row)
        names = [f.name for f in fields(cls)] + ["mac"]
        values = [*astuple(row), self._sign(row)]
        keys = _KEYS[cls]
        # An upsert, not INSERT OR REPLACE: REPLACE deletes the row first, and the delete
        # would cascade to the title's segments and license.
        sql = (
            f"INSERT INTO {_TABLE[cls]} ({', '.join(names)}) "
            f"VALUES ({', '.join('?' * len(names))}) "
            f"ON CONFLICT({', '.join(keys)}) DO UPDATE SET "
            + ", ".join(f"{n}=excluded.{n}" for n in names if n not in keys)
        )
        with self._lock:
            if self._conn.in_transaction:
                self._exec(sql, values)
                return
        with self.transaction():
            self._exec(sql, values)

    def put_many(self, rows: Sequence[Row]) -> None:
        """Insert or replace rows in one transaction."""
        with self.transaction():
            for row in rows:
                self.put(row)

    def _select(self, cls: type[R], where: str, args: Sequence[Any]) -> list[R]:
        names = [f.name for f in fields(cls)] + ["mac"]
        order = " ORDER BY seq" if cls is SegmentRow else ""
        raws = self._query(f"SELECT {', '.join(names)} FROM {_TABLE[cls]} {where}{order}", args)
        return [self._load(cls, raw) for raw in raws]

    def title(self, title_id: str) -> TitleRow | None:
        """The title row, checked; None when there is none."""
        rows = self._select(TitleRow, "WHERE id = ?", (title_id,))
        return rows[0] if rows else None

    def titles(self) -> list[TitleRow]:
        """Every title row, oldest first, checked."""
        rows = self._select(TitleRow, "", ())
        return sorted(rows, key=lambda r: (r.created_at, r.id))

    def segments(self, title_id: str) -> list[SegmentRow]:
        """The title's segment rows in order, checked."""
        return self._select(SegmentRow, "WHERE title_id = ?", (title_id,))

    def license(self, title_id: str) -> LicenseRow | None:
        """The title's license row, checked; None when the title is clear."""
        rows = self._select(LicenseRow, "WHERE title_id = ?", (title_id,))
        return rows[0] if rows else None

    def update_title(self, row: TitleRow, **changes: Any) -> TitleRow:
        """Store ``row`` with ``changes`` applied; returns the new row."""
        new = replace(row, **changes)
        self.put(new)
        return new

    def delete_title(self, title_id: str) -> None:
        """Delete a title and (by cascade) its segments and license."""
        with self.transaction():
            self._exec("DELETE FROM segments WHERE title_id = ?", (title_id,))
            self._exec("DELETE FROM licenses WHERE title_id = ?", (title_id,))
            self._exec("DELETE FROM titles WHERE id = ?", (title_id,))

    def delete_license(self, title_id: str) -> None:
        """Forget a title's license."""
        self._exec("DELETE FROM licenses WHERE title_id = ?", (title_id,))

    def stored_bytes(self) -> int:
        """Bytes of every completed segment of every title."""
        rows = self._query("SELECT COALESCE(SUM(size), 0) FROM segments WHERE done = 1")
        return int(rows[0][0])


def dumps(value: Any) -> str:
    """Canonical JSON for the text columns."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
