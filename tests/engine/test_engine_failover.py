"""Failover: a failed origin first, then a manifest refresh, then a fatal error."""

from __future__ import annotations

import dataclasses
import itertools

from player.config import PlayerConfig, StreamingConfig
from player.engine import (
    Ended,
    Engine,
    Error,
    Fetch,
    FetchPurpose,
    ManifestUpdated,
    RequestFailed,
)
from player.errors import Code, PlayerError
from player.manifest.model import Presentation

from ._model import LastSample, RatePolicy, vod
from ._sim import Sim

A, B = "http://a.test", "http://b.test"


def _http_503(url: str) -> PlayerError:
    return PlayerError(
        Code.BAD_HTTP_STATUS, f"503 from {url}", recoverable=True, data={"status": 503}
    )


def test_a_failed_origin_fails_over_to_the_other_and_stays_there() -> None:
    e = Engine(vod(duration=30, origins=(A, B)), RatePolicy(), LastSample())
    a_down_at = 6.0

    def fail(f: Fetch, now: float) -> PlayerError | None:
        return _http_503(f.url) if f.url.startswith(A) and now >= a_down_at else None

    sim = Sim(e, bandwidth=4e6, fail=fail)
    sim.start(0.0)
    sim.run(until=120.0)
    failures = sim.events(RequestFailed)
    assert len(failures) == 1, "after one failure the dead origin is tried last"
    assert failures[0].url.startswith(A) and failures[0].will_retry
    failed_path = failures[0].url.removeprefix(A)
    k = next(i for i, f in enumerate(sim.fetches) if f.url == failures[0].url)
    retry = sim.fetches[k + 1]
    assert retry.url == B + failed_path, "the same request goes to the other origin at once"
    assert retry.urls == (B + failed_path, A + failed_path), "the failed origin is kept, last"
    assert all(f.url.startswith(B) for f in sim.fetches[k + 1 :])
    assert sim.events(Ended), "playback continues to the end"
    assert not sim.events(Error)


def test_when_every_origin_failed_the_manifest_is_refreshed_then_the_new_origin_used() -> None:
    c = "http://c.test"
    first = vod(duration=20, origins=(A,))
    moved = vod(duration=20, origins=(c,))
    parsed: list[str] = []

    def parser(data: bytes, url: str) -> Presentation:
        parsed.append(url)
        assert data == b"<MPD/>"
        return moved

    e = Engine(first, RatePolicy(), LastSample(), manifest_parser=parser)

    def fail(f: Fetch, now: float) -> PlayerError | None:
        if f.url.startswith(A) and f.purpose is not FetchPurpose.MANIFEST and now > 3.0:
            return _http_503(f.url)
        return None

    sim = Sim(
        e,
        bandwidth=4e6,
        fail=fail,
        data=lambda f: b"<MPD/>" if f.purpose is FetchPurpose.MANIFEST else None,
    )
    sim.start(0.0)
    sim.run(until=100.0)
    manifest_fetches = [f for f in sim.fetches if f.purpose is FetchPurpose.MANIFEST]
    assert [f.url for f in manifest_fetches] == [f"{A}/manifest.mpd"]
    assert parsed == [f"{A}/manifest.mpd"]
    assert sim.events(ManifestUpdated)
    after = sim.fetches[sim.fetches.index(manifest_fetches[0]) + 1 :]
    assert after and all(f.url.startswith(c) for f in after)
    assert sim.events(Ended)


def test_errors_become_fatal_after_max_attempts() -> None:
    cfg = PlayerConfig(
        streaming=StreamingConfig(max_attempts=3, retry_delay_s=0.25, retry_while_buffered=False)
    )
    e = Engine(vod(duration=20, origins=(A,)), RatePolicy(), LastSample(), cfg)
    sim = Sim(e, bandwidth=4e6, fail=lambda f, now: _http_503(f.url) if now > 2.0 else None)
    sim.start(0.0)
    sim.run(until=60.0)
    failures = sim.events(RequestFailed)
    assert [f.attempt for f in failures] == [1, 2, 3]
    assert [f.will_retry for f in failures] == [True, True, False]
    # Backoff between tries: 0.25 s, then 0.5 s (retry_delay_s doubling).
    gaps = [b.time - a.time for a, b in itertools.pairwise(failures)]
    assert gaps[0] >= 0.25 and gaps[1] >= 0.5
    errors = sim.events(Error)
    assert len(errors) == 1 and errors[0].fatal and errors[0].error.code == Code.BAD_HTTP_STATUS
    assert e.error is not None
    assert e.tick(sim.now + 1) == [], "a stopped engine does nothing more"


def test_a_non_recoverable_error_without_alternatives_is_fatal_at_once() -> None:
    cfg = PlayerConfig(streaming=StreamingConfig(refresh_on_failover=False))
    e = Engine(vod(duration=20, origins=(A,)), RatePolicy(), LastSample(), cfg)
    f = next(a for a in e.start(0.0) if isinstance(a, Fetch))
    err = PlayerError(Code.BAD_HTTP_STATUS, "404", recoverable=False)
    acts = e.failed(f.request_id, err, 0.1)
    assert [type(a).__name__ for a in acts] == ["RequestFailed", "Error"]
    assert acts[-1] == Error(0.1, err, True)


def test_refresh_that_fails_still_lets_the_retry_happen() -> None:
    def parser(data: bytes, url: str) -> Presentation:
        raise PlayerError(Code.INVALID_XML, "garbage")

    e = Engine(vod(duration=20, origins=(A,)), RatePolicy(), LastSample(), manifest_parser=parser)
    calls = {"n": 0}

    def fail(f: Fetch, now: float) -> PlayerError | None:
        if f.purpose is FetchPurpose.MEDIA and calls["n"] == 0 and now > 1.0:
            calls["n"] += 1
            return _http_503(f.url)
        return None

    sim = Sim(
        e,
        bandwidth=4e6,
        fail=fail,
        data=lambda f: b"x" if f.purpose is FetchPurpose.MANIFEST else None,
    )
    sim.start(0.0)
    sim.run(until=80.0)
    kinds = [(a.purpose, a.error.code) for a in sim.events(RequestFailed)]
    assert kinds == [
        (FetchPurpose.MEDIA, Code.BAD_HTTP_STATUS),
        (FetchPurpose.MANIFEST, Code.INVALID_XML),
    ]
    assert sim.events(Ended)


def test_fetch_urls_keep_every_alternative() -> None:
    e = Engine(vod(origins=(A, B)), RatePolicy(), LastSample())
    f = next(a for a in e.start(0.0) if isinstance(a, Fetch))
    assert f.urls == (f"{A}/v0/init.mp4", f"{B}/v0/init.mp4")
    assert dataclasses.replace(f, attempt=2).attempt == 2
