"""Resolving :class:`IndexRequest`\\ s through a caller's loader.

The parser does no I/O. A caller that can fetch (the CLI, the offline downloader, a
script) passes ``loader(url) -> bytes``: either to :func:`load_indexes`, which resolves
every pending index at once, or to ``parse_manifest``, which then gives HLS master
playlists indexes that load their media playlist on first use (:class:`LazyIndex`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from player.errors import Code, PlayerError
from player.manifest.model import (
    ByteRange,
    IndexRequest,
    InitSegment,
    LiveInfo,
    Presentation,
    Segment,
    SegmentIndex,
)

Loader = Callable[[str], bytes]
RangeLoader = Callable[[str, ByteRange], bytes]


def resolve_request(
    request: IndexRequest, loader: Loader, range_loader: RangeLoader | None = None
) -> SegmentIndex:
    """Fetch what ``request`` names (trying each URL in order) and resolve it.

    A byte-ranged request (a sidx) goes to ``range_loader(url, byte_range)`` when given,
    else ``loader(url)`` fetches the whole resource and it is sliced to the range.
    """
    last: Exception | None = None
    for url in request.urls:
        try:
            if request.byte_range is not None and range_loader is not None:
                data = range_loader(url, request.byte_range)
            else:
                data = loader(url)
                if request.byte_range is not None:
                    end = request.byte_range.end
                    data = data[request.byte_range.start : None if end is None else end + 1]
        except Exception as exc:  # a caller's loader may raise anything
            last = exc
            continue
        return request.resolve(data)
    raise PlayerError(
        Code.MEDIA_PLAYLIST_UNAVAILABLE,
        f"could not load {request.url}: {last}",
        recoverable=True,
        data={"url": request.url},
    )


class LazyIndex(SegmentIndex):
    """A segment index that loads its :class:`IndexRequest` the first time it is used."""

    def __init__(self, request: IndexRequest, loader: Loader) -> None:
        self.request = request
        self._loader = loader
        self._index: SegmentIndex | None = None

    def load(self) -> SegmentIndex:
        """The loaded index (loading it now if needed)."""
        if self._index is None:
            self._index = resolve_request(self.request, self._loader)
        return self._index

    @property
    def first_number(self) -> int:
        return self.load().first_number

    @property
    def last_number(self) -> int | None:
        return self.load().last_number

    def by_number(self, number: int) -> Segment | None:
        return self.load().by_number(number)

    def at_time(self, t: float) -> Segment | None:
        return self.load().at_time(t)

    def available(self, wall_time: float | None = None) -> tuple[int, int] | None:
        return self.load().available(wall_time)

    def __len__(self) -> int:
        return len(self.load())

    def __iter__(self) -> Iterator[Segment]:
        return iter(self.load())

    @property
    def init(self) -> InitSegment | None:
        return self.load().init


def pending_requests(presentation: Presentation) -> list[IndexRequest]:
    """Every index of ``presentation`` still to be fetched, in order."""
    out: list[IndexRequest] = []
    for track in presentation.all_tracks():
        for rep in track.representations:
            if isinstance(rep.index, IndexRequest):
                out.append(rep.index)
            elif isinstance(rep.index, LazyIndex) and rep.index._index is None:
                out.append(rep.index.request)
    return out


def load_indexes(
    presentation: Presentation,
    loader: Loader,
    *,
    range_loader: RangeLoader | None = None,
    strict: bool = False,
) -> list[PlayerError]:
    """Resolve every pending index of ``presentation`` in place.

    Representations whose index cannot be loaded keep their :class:`IndexRequest`; the
    errors are returned (or the first raised when ``strict``). For HLS, loading media
    playlists also settles ``is_live``, the duration and key-based protection.
    """
    from player.manifest._hls import HlsPlaylistIndex

    errors: list[PlayerError] = []
    loaded_hls: list[HlsPlaylistIndex] = []
    for period in presentation.periods:
        for track in period.tracks:
            for rep in track.representations:
                index = rep.index
                try:
                    if isinstance(index, IndexRequest):
                        rep.index = resolve_request(index, loader, range_loader)
                    elif isinstance(index, LazyIndex):
                        rep.index = index.load()
                except PlayerError as exc:
                    if strict:
                        raise
                    errors.append(exc)
                    continue
                if isinstance(rep.index, HlsPlaylistIndex):
                    loaded_hls.append(rep.index)
                    for cp in rep.index.info.protection:
                        if cp not in track.protection:
                            track.protection = (*track.protection, cp)
    settle_hls_master(presentation, loaded_hls)
    return errors


def settle_hls_master(presentation: Presentation, indexes: Iterable[object]) -> bool:
    """Fill in what an HLS master playlist leaves to its media playlists.

    A master says nothing about liveness or duration; its media playlists do. Given the
    media playlists resolved so far (``indexes``; anything that is not a loaded HLS
    playlist is ignored), this sets ``is_live``, ``live`` (target and part durations) or,
    on demand, ``duration`` and the period's duration (the longest playlist). Every path
    that resolves playlists calls it: :func:`load_indexes`, the streaming engine, the
    offline store. A presentation that is not an HLS master is left as parsed. Returns
    whether anything was set.
    """
    from player.manifest._hls import HlsPlaylistIndex

    if presentation.format != "hls" or not presentation.extra.get("hls_master"):
        return False
    loaded = [ix for ix in indexes if isinstance(ix, HlsPlaylistIndex)]
    if not loaded:
        return False
    presentation.is_live = any(ix.info.is_live for ix in loaded)
    if presentation.is_live:
        targets = [ix.info.target_duration for ix in loaded if ix.info.target_duration]
        parts = [ix.info.part_target for ix in loaded if ix.info.part_target]
        presentation.live = LiveInfo(
            target_duration=max(targets) if targets else None,
            part_target=min(parts) if parts else None,
        )
    else:
        presentation.duration = max(ix.total_duration for ix in loaded)
        presentation.periods[0].duration = presentation.duration
    return True
