"""A stored title as a :class:`~player.manifest.Presentation` the Player plays offline.

At download time the chosen part of the manifest (periods, the selected tracks and
representations with their codecs, sizes, languages and protection) is kept as JSON in
the title's row (:func:`model_from_presentation`). At play time :func:`offline_presentation`
rebuilds a Presentation from it whose every segment URL is
``abrkit-offline://<title id>/<path in the title's folder>``, and a
:class:`StoreFetcher` answers those URLs from the store's files: no socket is ever opened.
Each file is checked against the size and SHA-256 recorded when it was downloaded; an
altered file is ``PlayerError(TAMPERED)``.
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import hashlib
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from player.errors import Code, PlayerError
from player.manifest.model import (
    ByteRange,
    ContentProtection,
    InitSegment,
    Period,
    Presentation,
    Representation,
    Segment,
    SegmentIndex,
    Track,
    TrackKind,
)
from player.net import CancelToken, Download, Fetcher, FetchResult, Progress, RequestType
from player.offline.db import SegmentRow
from player.offline.files import contained

__all__ = [
    "SCHEME",
    "StoreFetcher",
    "StoredIndex",
    "model_from_presentation",
    "offline_presentation",
    "offline_url",
]

SCHEME = "abrkit-offline"
_MODEL_VERSION = 1


def offline_url(title_id: str, path: str) -> str:
    """The URL a stored file has in an offline presentation."""
    return f"{SCHEME}://{title_id}/{path}"


# -- the model kept in the title's row -------------------------------------------------


def _protection_json(cp: ContentProtection) -> dict[str, Any]:
    return {
        "scheme_id_uri": cp.scheme_id_uri,
        "system": cp.system,
        "system_id": cp.system_id,
        "value": cp.value,
        "default_kid": cp.default_kid,
        "pssh": base64.b64encode(cp.pssh).decode("ascii") if cp.pssh is not None else None,
        "license_url": cp.license_url,
    }


def _rep_json(key: str, rep: Representation) -> dict[str, Any]:
    return {
        "key": key,
        "id": rep.id,
        "bandwidth": int(rep.bandwidth),
        "codecs": rep.codecs,
        "mime_type": rep.mime_type,
        "width": rep.width,
        "height": rep.height,
        "frame_rate": rep.frame_rate,
        "audio_sampling_rate": rep.audio_sampling_rate,
        "channels": rep.channels,
        "average_bandwidth": rep.average_bandwidth,
        "label": rep.label,
    }


def model_from_presentation(
    presentation: Presentation, chosen: Mapping[str, Sequence[tuple[str, Representation]]]
) -> dict[str, Any]:
    """The JSON model of the chosen part of ``presentation``.

    ``chosen`` maps a track key (``p<period>/t<track>``) to the ``(representation key,
    representation)`` pairs kept of it; other tracks are left out.
    """
    periods = []
    for pi, period in enumerate(presentation.periods):
        tracks = []
        for ti, track in enumerate(period.tracks):
            tkey = f"p{pi}/t{ti}"
            reps = chosen.get(tkey)
            if not reps:
                continue
            tracks.append(
                {
                    "key": tkey,
                    "id": track.id,
                    "kind": str(track.kind),
                    "language": track.language,
                    "codecs": track.codecs,
                    "mime_type": track.mime_type,
                    "label": track.label,
                    "roles": list(track.roles),
                    "accessibility": list(track.accessibility),
                    "is_default": track.is_default,
                    "protection": [_protection_json(cp) for cp in track.protection],
                    "representations": [_rep_json(k, r) for k, r in reps],
                }
            )
        if tracks:
            periods.append(
                {
                    "id": period.id,
                    "start": period.start,
                    "duration": period.duration,
                    "tracks": tracks,
                }
            )
    return {
        "version": _MODEL_VERSION,
        "format": presentation.format,
        "url": presentation.url,
        "duration": presentation.duration,
        "min_buffer_time": presentation.min_buffer_time,
        "periods": periods,
    }


def model_key_ids(model: Mapping[str, Any]) -> list[bytes]:
    """The default KIDs the model's protection signals (may be empty)."""
    kids: list[bytes] = []
    for period in model.get("periods", []):
        for track in period.get("tracks", []):
            for cp in track.get("protection", []):
                kid = cp.get("default_kid")
                if kid:
                    raw = bytes.fromhex(str(kid).replace("-", ""))
                    if raw not in kids:
                        kids.append(raw)
    return kids


def model_license_url(model: Mapping[str, Any]) -> str | None:
    """A license URL the manifest names (``dashif:Laurl`` and the like), if any."""
    for period in model.get("periods", []):
        for track in period.get("tracks", []):
            for cp in track.get("protection", []):
                if cp.get("license_url"):
                    return str(cp["license_url"])
    return None


# -- the offline presentation ----------------------------------------------------------


class StoredIndex(SegmentIndex):
    """A static index over a stored representation's segments."""

    def __init__(self, segments: Sequence[Segment], init: InitSegment | None) -> None:
        self._segments = sorted(segments, key=lambda s: s.number)
        self._by_number = {s.number: s for s in self._segments}
        self._starts = [s.start for s in self._segments]
        self._init = init

    @property
    def first_number(self) -> int:
        return self._segments[0].number if self._segments else 1

    @property
    def last_number(self) -> int | None:
        return self._segments[-1].number if self._segments else 0

    def by_number(self, number: int) -> Segment | None:
        return self._by_number.get(number)

    def at_time(self, t: float) -> Segment | None:
        if not self._segments:
            return None
        i = bisect.bisect_right(self._starts, t) - 1
        if i < 0:
            return self._segments[0]
        seg = self._segments[i]
        if t >= seg.end and i == len(self._segments) - 1:
            return None
        return seg

    def __iter__(self) -> Iterator[Segment]:
        return iter(self._segments)

    def __len__(self) -> int:
        return len(self._segments)

    @property
    def init(self) -> InitSegment | None:
        return self._init


def _bad_model(why: str) -> PlayerError:
    return PlayerError(Code.STORE_CORRUPT, f"the stored title's model is unusable: {why}")


def offline_presentation(
    title_id: str, model: Mapping[str, Any], segments: Sequence[SegmentRow]
) -> Presentation:
    """The Presentation of a stored title, every URL pointing into the store."""
    by_track: dict[str, list[SegmentRow]] = {}
    for row in segments:
        by_track.setdefault(row.track, []).append(row)
    try:
        periods: list[Period] = []
        for p in model["periods"]:
            tracks: list[Track] = []
            for t in p["tracks"]:
                reps: list[Representation] = []
                for r in t["representations"]:
                    rows = by_track.get(r["key"], [])
                    init_rows = [x for x in rows if x.kind == "init"]
                    init = (
                        InitSegment((offline_url(title_id, init_rows[0].path),))
                        if init_rows
                        else None
                    )
                    media = [
                        Segment(
                            number=x.number,
                            start=x.start,
                            duration=x.duration,
                            urls=(offline_url(title_id, x.path),),
                            init=init,
                        )
                        for x in rows
                        if x.kind == "media"
                    ]
                    if not media:
                        continue
                    reps.append(
                        Representation(
                            id=str(r["id"]),
                            bandwidth=int(r["bandwidth"]),
                            codecs=r.get("codecs"),
                            mime_type=r.get("mime_type"),
                            width=r.get("width"),
                            height=r.get("height"),
                            frame_rate=r.get("frame_rate"),
                            audio_sampling_rate=r.get("audio_sampling_rate"),
                            channels=r.get("channels"),
                            average_bandwidth=r.get("average_bandwidth"),
                            index=StoredIndex(media, init),
                            label=r.get("label"),
                        )
                    )
                if not reps:
                    continue
                tracks.append(
                    Track(
                        id=str(t["id"]),
                        kind=TrackKind(t["kind"]),
                        representations=reps,
                        language=t.get("language"),
                        codecs=t.get("codecs"),
                        mime_type=t.get("mime_type"),
                        label=t.get("label"),
                        roles=tuple(t.get("roles", ())),
                        accessibility=tuple(t.get("accessibility", ())),
                        protection=tuple(
                            ContentProtection(
                                scheme_id_uri=cp["scheme_id_uri"],
                                system=cp["system"],
                                system_id=cp.get("system_id"),
                                value=cp.get("value"),
                                default_kid=cp.get("default_kid"),
                                pssh=base64.b64decode(cp["pssh"]) if cp.get("pssh") else None,
                                license_url=cp.get("license_url"),
                            )
                            for cp in t.get("protection", ())
                        ),
                        is_default=bool(t.get("is_default", False)),
                    )
                )
            periods.append(
                Period(
                    id=p.get("id"),
                    start=float(p["start"]),
                    duration=p.get("duration"),
                    tracks=tracks,
                )
            )
        return Presentation(
            format=model["format"],
            url=offline_url(title_id, "manifest"),
            periods=periods,
            is_live=False,
            duration=model.get("duration"),
            min_buffer_time=model.get("min_buffer_time"),
            extra={"offline_title": title_id, "source_url": model.get("url")},
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise _bad_model(repr(exc)) from None


# -- the fetcher that reads the store ------------------------------------------------------


class StoreFetcher(Fetcher):
    """A :class:`~player.net.Fetcher` that serves one stored title's files and nothing else.

    It answers ``abrkit-offline://<title id>/...`` URLs of the title's completed
    segments from ``title_dir`` (reads run in a worker thread), checking each file's size
    and SHA-256; any other URL is ``PlayerError(UNSUPPORTED_SCHEME)``: it never touches
    the network. ``before_read`` is called before every read (the store checks expiry
    there) and may raise.
    """

    def __init__(
        self,
        title_id: str,
        title_dir: Path,
        segments: Sequence[SegmentRow],
        *,
        before_read: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(clock=clock)
        self.title_id = title_id
        self.title_dir = title_dir
        self._files = {row.path: row for row in segments if row.done}
        self._before_read = before_read
        self._now = clock
        self.reads = 0  # files served (tests count them)

    @property
    def session(self) -> Any:
        """There is no HTTP session: a stored title never goes to the network."""
        raise PlayerError(Code.UNSUPPORTED_SCHEME, "the offline store has no network session")

    def stream(self, urls: str | Sequence[str], **kwargs: Any) -> Download:
        """Not offered offline (stored files are small and read whole)."""
        raise PlayerError(Code.UNSUPPORTED_SCHEME, "the offline store does not stream")

    def _row_for(self, url: str) -> SegmentRow:
        parts = urlsplit(url)
        if parts.scheme != SCHEME or parts.netloc != self.title_id:
            raise PlayerError(
                Code.UNSUPPORTED_SCHEME,
                f"{url!r} is not a file of offline title {self.title_id}",
                data={"url": url},
            )
        path = parts.path.lstrip("/")
        row = self._files.get(path)
        if row is None:
            raise PlayerError(
                Code.DOWNLOAD_INCOMPLETE,
                f"{path!r} is not stored for title {self.title_id}",
                data={"url": url},
            )
        return row

    def _read(self, row: SegmentRow) -> bytes:
        path = contained(self.title_dir, row.path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise PlayerError(
                Code.STORE_CORRUPT,
                f"stored file {row.path} is unreadable: {exc.strerror or exc}",
                data={"path": row.path},
            ) from None
        if len(data) != row.size or hashlib.sha256(data).hexdigest() != row.sha256:
            raise PlayerError(
                Code.TAMPERED,
                f"stored file {row.path} does not match its recorded size and SHA-256",
                data={"path": row.path},
            )
        return data

    async def fetch(
        self,
        urls: str | Sequence[str],
        *,
        byte_range: ByteRange | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        request_type: RequestType = RequestType.SEGMENT,
        cancel: CancelToken | None = None,
        **ignored: Any,  # headers, query (CMCD) and retry settings mean nothing offline
    ) -> FetchResult:
        """Read a stored file (sliced to ``byte_range``) as a :class:`FetchResult`."""
        if self._closed:
            raise PlayerError(Code.INVALID_STATE, "the fetcher is closed")
        url = urls if isinstance(urls, str) else urls[0]
        row = self._row_for(url)
        if self._before_read is not None:
            self._before_read()
        started = self._now()
        data = await asyncio.to_thread(self._read, row)
        if cancel is not None and cancel.cancelled:
            raise PlayerError(Code.REQUEST_CANCELLED, f"{url} cancelled", data={"url": url})
        if byte_range is not None:
            end = byte_range.end
            data = data[byte_range.start : None if end is None else end + 1]
        finished = self._now()
        self.reads += 1
        if on_progress is not None:
            on_progress(
                Progress(len(data), len(data), finished, started, started, url, 1, len(data))
            )
        return FetchResult(
            data=data,
            url=url,
            status=200,
            headers={},
            started=started,
            first_byte=started,
            finished=finished,
            attempts=1,
            request_type=request_type,
        )


def parse_model(text: str) -> dict[str, Any]:
    """The model JSON of a title row."""
    try:
        model = json.loads(text)
    except ValueError as exc:
        raise _bad_model(str(exc)) from None
    if not isinstance(model, dict) or model.get("version") != _MODEL_VERSION:
        raise _bad_model("unknown model version")
    return model
