"""The engine's fast constructors of ``abr``'s value objects: contexts, progress, samples.

The engine builds an :class:`abr.AbrContext` for every ABR decision and every
abandonment check, a :class:`abr.DownloadProgress` for every check and a
:class:`abr.ThroughputSample` for every download: hundreds per simulated session. They
are made through their slots (:func:`abr.slots.slot_constructor`), positionally, in the
field order named below (a reordered class fails at import, not silently).
"""

from __future__ import annotations

from collections.abc import Callable

from abr.interface import (
    AbrContext,
    DownloadProgress,
    PlaybackState,
    Rung,
    ThroughputSample,
)
from abr.slots import slot_constructor

__all__ = ["new_context", "new_progress", "new_sample"]

_CONTEXT_FIELDS = (
    "now",
    "ladder",
    "segment_duration",
    "buffer_level",
    "buffer_target",
    "buffer_capacity",
    "throughput_bps",
    "latency_s",
    "samples",
    "last_quality",
    "state",
    "segment_number",
    "segments_left",
    "next_sizes",
    "rebuffer_s",
)
_PROGRESS_FIELDS = ("quality", "bytes_loaded", "bytes_total", "elapsed_s", "segment_duration")
_SAMPLE_FIELDS = ("nbytes", "seconds", "end_time", "latency_s")

ContextBuilder = Callable[
    [
        float,
        tuple[Rung, ...],
        float,
        float,
        float,
        float,
        float | None,
        float | None,
        tuple[ThroughputSample, ...],
        int | None,
        PlaybackState,
        int,
        int | None,
        tuple[int | None, ...] | None,
        float,
    ],
    AbrContext,
]
ProgressBuilder = Callable[[int, int, int | None, float, float], DownloadProgress]
SampleBuilder = Callable[[int, float, float, float], ThroughputSample]


#: ``new_context(now, ladder, segment_duration, buffer_level, buffer_target,
#: buffer_capacity, throughput_bps, latency_s, samples, last_quality, state,
#: segment_number, segments_left, next_sizes, rebuffer_s)``: an ``AbrContext`` equal to
#: the one its constructor makes from these fields (``extra`` a new empty dict).
new_context: ContextBuilder = slot_constructor(AbrContext, _CONTEXT_FIELDS)
#: ``new_progress(quality, bytes_loaded, bytes_total, elapsed_s, segment_duration)``.
new_progress: ProgressBuilder = slot_constructor(DownloadProgress, _PROGRESS_FIELDS)
#: ``new_sample(nbytes, seconds, end_time, latency_s)``.
new_sample: SampleBuilder = slot_constructor(ThroughputSample, _SAMPLE_FIELDS)
