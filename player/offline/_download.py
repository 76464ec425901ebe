"""Planning a download (which files, where, how big) and fetching it durably.

A plan is the list of every file of the chosen rungs and tracks (init and media
segments) with the store path of each; it is written in one transaction before any byte
is fetched, so a download killed at any moment restarts from the database: files marked
done are never fetched again; the rest are fetched, each written to a temporary file,
fsynced, renamed, and only then marked done with its size and SHA-256.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from player.errors import Code, PlayerError
from player.manifest import (
    ByteRange,
    InitSegment,
    Presentation,
    Representation,
    Segment,
    SegmentIndex,
    Track,
    TrackKind,
)
from player.net import Fetcher, RequestType
from player.offline.db import Database, SegmentRow
from player.offline.files import atomic_write, relpath_for_url
from player.offline.selection import Selection

__all__ = ["DownloadProgress", "choose", "plan_rows", "transfer"]

MAX_SEGMENTS = 200_000  # per title: a bound on what a manifest can make us plan
INIT_ESTIMATE = 4096
ProgressCallback = Callable[["DownloadProgress"], None]


@dataclass(frozen=True, slots=True)
class DownloadProgress:
    """Where a download stands: bytes so far (estimated total) and files so far."""

    title_id: str
    bytes_done: int
    bytes_total: int  # done files' real sizes plus the estimates of the rest
    files_done: int
    files_total: int

    @property
    def fraction(self) -> float:
        """Done share of the bytes, 0..1."""
        return 1.0 if self.bytes_total <= 0 else min(1.0, self.bytes_done / self.bytes_total)


Chosen = dict[str, list[tuple[str, Representation]]]


def _video_choice(tracks: list[tuple[str, Track]], selection: Selection) -> Chosen:
    chosen: Chosen = {}
    every: list[tuple[str, str, Representation]] = []
    for tkey, track in tracks:
        for ri, rep in enumerate(track.representations):
            every.append((tkey, f"{tkey}/r{ri}", rep))
            if selection.admits_video(rep.id, rep.height, int(rep.bandwidth)):
                chosen.setdefault(tkey, []).append((f"{tkey}/r{ri}", rep))
    if chosen or not every:
        return chosen
    if selection.representation_ids:
        known = sorted({rep.id for _, _, rep in every})
        raise PlayerError(
            Code.INVALID_ARGUMENT,
            f"no representation {', '.join(selection.representation_ids)} in the title "
            f"(video: {', '.join(known)})",
        )
    # A cap below every rung: keep the lowest so the title still plays.
    tkey, rkey, rep = min(every, key=lambda x: (x[2].height or 0, x[2].bandwidth))
    return {tkey: [(rkey, rep)]}


def choose(presentation: Presentation, selection: Selection) -> Chosen:
    """The tracks and representations ``selection`` keeps, by model key."""
    chosen: Chosen = {}
    audio_found = False
    any_audio = False
    for pi, period in enumerate(presentation.periods):
        video = [
            (f"p{pi}/t{ti}", t) for ti, t in enumerate(period.tracks) if t.kind is TrackKind.VIDEO
        ]
        chosen.update(_video_choice(video, selection))
        for ti, track in enumerate(period.tracks):
            tkey = f"p{pi}/t{ti}"
            reps = [(f"{tkey}/r{ri}", r) for ri, r in enumerate(track.representations)]
            if track.kind is TrackKind.AUDIO:
                any_audio = True
                if Selection.language_matches(selection.audio_languages, track.language):
                    audio_found = True
                    chosen[tkey] = reps
            elif track.kind is TrackKind.TEXT and Selection.language_matches(
                selection.text_languages, track.language
            ):
                chosen[tkey] = reps
    if any_audio and not audio_found:
        langs = sorted(
            {t.language or "und" for t in presentation.all_tracks() if t.kind is TrackKind.AUDIO}
        )
        raise PlayerError(
            Code.INVALID_ARGUMENT,
            f"no audio in {', '.join(selection.audio_languages)} "
            f"(the title has {', '.join(langs)})",
        )
    if not chosen:
        raise PlayerError(Code.NO_REPRESENTATIONS, "the selection leaves nothing to download")
    return chosen


def _index_of(
    rep: Representation, presentation: Presentation, pi: int
) -> SegmentIndex | list[Segment]:
    idx = rep.segments
    if idx is not None:
        return idx
    if rep.index is None and rep.base_urls:
        # A sidecar file (WebVTT): one segment covering the period.
        period = presentation.periods[pi]
        duration = period.duration or presentation.duration or 0.0
        return [Segment(1, period.start, float(duration), tuple(rep.base_urls))]
    raise PlayerError(
        Code.MEDIA_PLAYLIST_UNAVAILABLE,
        f"the segments of representation {rep.id!r} could not be listed",
        data={"representation_id": rep.id},
    )


def _suffix(byte_range: ByteRange | None) -> str:
    if byte_range is None:
        return ""
    end = "" if byte_range.end is None else str(byte_range.end)
    return f".r{byte_range.start}-{end}"


def plan_rows(
    title_id: str, presentation: Presentation, chosen: Chosen, manifest_url: str
) -> list[SegmentRow]:
    """Every file to fetch for ``chosen``, each with its path in the title's folder.

    Raises ``UNSUPPORTED_FEATURE`` for what cannot be stored (HLS AES-128 segments,
    several init segments in one rendition), ``PATH_TRAVERSAL`` for names that would
    leave the store, ``MANIFEST``/``STORAGE`` errors for absurd sizes.
    """
    rows: list[SegmentRow] = []
    taken: dict[str, tuple[tuple[str, ...], ByteRange | None]] = {}

    def place(urls: tuple[str, ...], br: ByteRange | None) -> str:
        path = relpath_for_url(urls[0], manifest_url, _suffix(br))
        ident = (urls, br)
        if path in taken and taken[path] != ident:
            if taken[path][0][:1] == urls[:1] and taken[path][1] == br:
                return path
            digest = hashlib.sha256(repr((urls[0], br)).encode()).hexdigest()[:10]
            path = f"{path}-{digest}"
        taken[path] = ident
        return path

    for tkey, reps in chosen.items():
        pi = int(tkey.split("/")[0][1:])
        for rkey, rep in reps:
            index = _index_of(rep, presentation, pi)
            segments = list(index) if not isinstance(index, list) else index
            if len(segments) > MAX_SEGMENTS:
                raise PlayerError(Code.UNSUPPORTED_FEATURE, f"{rep.id!r} has too many segments")
            init: InitSegment | None = index.init if isinstance(index, SegmentIndex) else None
            for seg in segments:
                if seg.key is not None and seg.key.method.upper() == "AES-128":
                    raise PlayerError(
                        Code.UNSUPPORTED_FEATURE,
                        "HLS AES-128 segment encryption cannot be stored offline",
                        data={"representation_id": rep.id},
                    )
                if seg.init is not None:
                    if init is not None and (seg.init.urls, seg.init.byte_range) != (
                        init.urls,
                        init.byte_range,
                    ):
                        raise PlayerError(
                            Code.UNSUPPORTED_FEATURE,
                            f"{rep.id!r} changes its init segment mid-stream",
                            data={"representation_id": rep.id},
                        )
                    init = seg.init
            if init is not None:
                br = init.byte_range
                est = br.length if br is not None and br.length else INIT_ESTIMATE
                rows.append(
                    SegmentRow(
                        title_id,
                        len(rows),
                        rkey,
                        "init",
                        0,
                        0.0,
                        0.0,
                        json.dumps(list(init.urls)),
                        br.start if br else None,
                        br.end if br else None,
                        place(init.urls, br),
                        int(est),
                        None,
                        None,
                        False,
                    )
                )
            for seg in segments:
                if seg.gap:
                    continue
                br = seg.byte_range
                est = (
                    br.length
                    if br is not None and br.length
                    else int(rep.bandwidth * seg.duration / 8)
                )
                rows.append(
                    SegmentRow(
                        title_id,
                        len(rows),
                        rkey,
                        "media",
                        seg.number,
                        seg.start,
                        seg.duration,
                        json.dumps(list(seg.urls)),
                        br.start if br else None,
                        br.end if br else None,
                        place(seg.urls, br),
                        max(1, int(est)),
                        None,
                        None,
                        False,
                    )
                )
    return rows


def _byte_range(row: SegmentRow) -> ByteRange | None:
    return None if row.range_start is None else ByteRange(row.range_start, row.range_end)


def _store_file(title_dir: Path, path: str, data: bytes) -> str:
    atomic_write(title_dir, path, data)
    return hashlib.sha256(data).hexdigest()


async def _finish(write: Coroutine[Any, Any, str]) -> str:
    """Await ``write`` (a file written in a thread) to its end even when cancelled.

    A thread cannot be stopped: cancelling the wait would leave it writing after the
    download has returned, and a file it completes would be on disk but not marked done,
    so a resume would fetch it again. A cancellation is therefore delivered only once the
    write is over, with the write's result kept so the caller marks it done first.
    """
    task = asyncio.ensure_future(write)
    cancelled = False
    while True:
        try:
            result = await asyncio.shield(task)
            break
        except asyncio.CancelledError:
            if task.cancelled():
                raise
            cancelled = True
    if cancelled:
        # Re-deliver the cancellation at the caller's next await (after it marks done).
        current = asyncio.current_task()
        if current is not None:
            current.cancel()
    return result


async def transfer(
    db: Database,
    title_id: str,
    title_dir: Path,
    rows: Sequence[SegmentRow],
    fetcher: Fetcher,
    *,
    parallel: int,
    on_progress: ProgressCallback | None,
    all_rows: Sequence[SegmentRow],
) -> list[SegmentRow]:
    """Fetch ``rows`` (not done yet) with at most ``parallel`` requests at once.

    Each file is written durably before its row is marked done; the first error stops
    every worker and is raised (a full disk is ``DISK_FULL``); what was done stays done.
    Rows sharing a path (the same resource named twice) are fetched once. Cancelled or
    failing, it returns only once no worker and no file write is left running, and a file
    a write completed is marked done. Returns the updated rows.
    """
    state = {r.seq: r for r in all_rows}
    queue: list[SegmentRow] = []
    seen: set[str] = set()
    for r in rows:
        if r.path not in seen:
            seen.add(r.path)
            queue.append(r)
    cursor = iter(queue)

    def report() -> None:
        if on_progress is None:
            return
        done = [r for r in state.values() if r.done]
        on_progress(
            DownloadProgress(
                title_id,
                sum(r.size or 0 for r in done),
                sum((r.size or 0) if r.done else r.estimate for r in state.values()),
                len(done),
                len(state),
            )
        )

    async def worker() -> None:
        for row in cursor:
            urls = tuple(json.loads(row.urls))
            rtype = RequestType.INIT_SEGMENT if row.kind == "init" else RequestType.SEGMENT
            result = await fetcher.fetch(urls, byte_range=_byte_range(row), request_type=rtype)
            data = result.data
            sha = await _finish(asyncio.to_thread(_store_file, title_dir, row.path, data))
            same = [r for r in state.values() if r.path == row.path and not r.done]
            updated = [replace(r, size=len(data), sha256=sha, done=True) for r in same]
            db.put_many(updated)
            for r in updated:
                state[r.seq] = r
            report()

    report()
    tasks = [asyncio.create_task(worker()) for _ in range(max(1, min(parallel, len(queue))))]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for t in tasks:
            t.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return [state[r.seq] for r in all_rows]
