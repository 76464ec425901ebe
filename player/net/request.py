"""What goes out and what comes back: :class:`Request`, :class:`Progress`, :class:`FetchResult`.

A :class:`Request` is built for every attempt (so a URL signature is fresh for each
origin and retry) and passes through the request filters, which may change its URL and
headers in place or return a replacement. A :class:`FetchResult` is what
:meth:`player.net.Fetcher.fetch` returns, with the timings the throughput estimators need
(:meth:`FetchResult.sample`).
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from abr.interface import ThroughputSample
from player.errors import PlayerError
from player.manifest.model import ByteRange
from player.net.origins import origin_of


class RequestType(enum.StrEnum):
    """What a request is for; retry policies and filters can differ by type (as in Shaka)."""

    MANIFEST = "manifest"
    SEGMENT = "segment"
    INIT_SEGMENT = "init-segment"
    INDEX = "index"  # a sidx or an HLS media playlist named by an IndexRequest
    LICENSE = "license"
    KEY = "key"  # HLS AES-128 keys
    TIMING = "timing"  # UTCTiming sources
    OTHER = "other"


@dataclass(slots=True)
class Request:
    """One attempt of a request, as request filters see and change it.

    ``attempt`` counts HTTP attempts of this fetch from 1; ``origin_index`` is the
    position of the URL among the resource's candidate URLs. ``context`` carries what
    the caller passed to ``fetch`` (say the segment, for CMCD keys).
    """

    url: str
    request_type: RequestType
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    byte_range: ByteRange | None = None
    attempt: int = 1
    origin_index: int = 0
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Progress:
    """A body being received: called once per chunk read.

    ``time``, ``started`` and ``first_byte`` are readings of the fetcher's clock;
    ``bytes_total`` is the expected body length when the server said it. A retry or a
    failover starts a new attempt from 0 bytes (``attempt`` tells them apart).
    """

    bytes_loaded: int
    bytes_total: int | None
    time: float
    started: float
    first_byte: float
    url: str
    attempt: int
    chunk_bytes: int


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A completed fetch.

    ``url`` is the candidate URL that served (before request filters rewrote it), so the
    caller can report the origin; ``started``/``first_byte``/``finished`` are the
    fetcher's clock readings of the successful attempt; ``attempts`` counts every HTTP
    attempt made, failed ones and failovers included, and ``failures`` holds the typed
    errors of the failed ones (for stats and logs).
    """

    data: bytes
    url: str
    status: int
    headers: Mapping[str, str]
    started: float
    first_byte: float
    finished: float
    attempts: int
    request_type: RequestType = RequestType.SEGMENT
    failures: tuple[PlayerError, ...] = ()  # errors of the attempts before the one that served
    streamed_bytes: int | None = None  # for a stream: body bytes of the last attempt

    @property
    def nbytes(self) -> int:
        """Body bytes the successful attempt moved (``len(data)`` unless streamed)."""
        return len(self.data) if self.streamed_bytes is None else self.streamed_bytes

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` of the origin that served."""
        return origin_of(self.url)

    @property
    def latency_s(self) -> float:
        """Time to first byte of the successful attempt."""
        return self.first_byte - self.started

    def sample(self) -> ThroughputSample:
        """The download as a throughput sample for :mod:`abr.estimators`."""
        return ThroughputSample(
            nbytes=self.nbytes,
            seconds=self.finished - self.started,
            end_time=self.finished,
            latency_s=self.first_byte - self.started,
        )


RequestFilter: TypeAlias = Callable[[Request], "Request | Awaitable[Request | None] | None"]
"""Changes a :class:`Request` in place (or returns a new one); may be ``async``."""

ResponseFilter: TypeAlias = Callable[
    [FetchResult], "FetchResult | Awaitable[FetchResult | None] | None"
]
"""Inspects a :class:`FetchResult` or returns a replacement; may be ``async``."""

ProgressCallback: TypeAlias = Callable[[Progress], None]
"""Called for every chunk received; must not block."""
