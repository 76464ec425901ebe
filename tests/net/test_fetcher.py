"""The fetcher against a real aiohttp origin on 127.0.0.1 with real faults."""

from __future__ import annotations

import contextlib
import random
import socket
from collections.abc import Iterator

import aiohttp
import pytest

from abr import EwmaEstimator
from player.errors import Code, PlayerError
from player.manifest import ByteRange
from player.net import Fetcher, NetworkConfig, Progress, RequestType, RetryPolicy
from tests.net.faultserver import Fault, FaultServer, payload

# Timeouts short enough for quick tests, long enough that a loaded machine does not trip
# them on a healthy transfer.
FAST = RetryPolicy(
    max_attempts=2,
    base_delay_s=0.01,
    stall_timeout_s=1.0,
    first_byte_timeout_s=1.0,
    connect_timeout_s=1.0,
    timeout_s=10.0,
)
DATA = payload(300_000)


class Sleeps:
    """Records backoff waits instead of sleeping them."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


async def test_fetch_streams_body_with_progress_and_timings(origin: FaultServer) -> None:
    url = origin.add("seg", DATA)
    seen: list[Progress] = []
    async with Fetcher(NetworkConfig(retry=FAST)) as fetcher:
        result = await fetcher.fetch(url, on_progress=seen.append)
    assert result.data == DATA
    assert (result.status, result.url, result.attempts, result.failures) == (200, url, 1, ())
    assert result.origin == origin.base
    assert result.started <= result.first_byte <= result.finished
    assert seen, "progress is reported while the body streams"
    loaded = [p.bytes_loaded for p in seen]
    assert loaded == sorted(loaded) and loaded[-1] == len(DATA)
    assert all(p.bytes_total == len(DATA) for p in seen)
    assert sum(p.chunk_bytes for p in seen) == len(DATA)
    sample = result.sample()
    assert sample.nbytes == len(DATA) and sample.seconds > 0
    est = EwmaEstimator()
    est.add_sample(sample)
    assert est.bytes_sampled == len(DATA)  # the sample is in the estimator's terms


async def test_keep_alive_reuses_one_connection(origin: FaultServer) -> None:
    url = origin.add("seg", DATA)
    async with Fetcher(NetworkConfig(retry=FAST)) as fetcher:
        for _ in range(3):
            assert (await fetcher.fetch(url)).data == DATA
    peers = {h.peer for h in origin.hits_for("seg")}
    assert len(origin.hits_for("seg")) == 3 and len(peers) == 1


@pytest.mark.parametrize(
    ("byte_range", "ignore_range"),
    [
        (ByteRange(1000, 1999), False),
        (ByteRange(299_000, None), False),
        (ByteRange(1000, 1999), True),  # a server answering 200: the range is cut out
        (ByteRange(299_990, 400_000), False),  # past the end: the server clamps it
    ],
)
async def test_byte_ranges(origin: FaultServer, byte_range: ByteRange, ignore_range: bool) -> None:
    url = origin.add("seg", DATA)
    if ignore_range:
        origin.inject("seg", Fault("no_range"))
    async with Fetcher(NetworkConfig(retry=FAST)) as fetcher:
        result = await fetcher.fetch(url, byte_range=byte_range)
    end = None if byte_range.end is None else byte_range.end + 1
    assert result.data == DATA[byte_range.start : end]
    assert result.status == (200 if ignore_range else 206)
    assert origin.hits_for("seg")[0].headers["Range"] == byte_range.header()


# Each fault once, then the origin behaves: the fetch succeeds on its second attempt and
# the first attempt's typed error is the one the fault should produce.
FAULTS = [
    (Fault("status", status=503, times=1), Code.BAD_HTTP_STATUS),
    (Fault("status", status=500, times=1), Code.BAD_HTTP_STATUS),
    (Fault("status", status=429, times=1), Code.BAD_HTTP_STATUS),
    (Fault("status", status=408, times=1), Code.BAD_HTTP_STATUS),
    (Fault("reset", after=100_000, times=1), Code.TRUNCATED_BODY),
    (Fault("truncate", after=100_000, times=1), Code.TRUNCATED_BODY),
    (Fault("stall", after=1000, seconds=30, times=1), Code.STALL_TIMEOUT),
    (Fault("slow_first_byte", seconds=30, times=1), Code.FIRST_BYTE_TIMEOUT),
]


@pytest.mark.parametrize(("fault", "code"), FAULTS, ids=[f"{f.kind}-{f.status}" for f, _ in FAULTS])
async def test_each_fault_is_retried(origin: FaultServer, fault: Fault, code: Code) -> None:
    url = origin.add("seg", DATA)
    origin.inject("seg", fault)
    sleeps = Sleeps()
    async with Fetcher(NetworkConfig(retry=FAST), sleep=sleeps) as fetcher:
        result = await fetcher.fetch(url)
    assert result.data == DATA
    assert result.attempts == 2
    assert [e.code for e in result.failures] == [code]
    assert result.failures[0].recoverable
    assert len(sleeps.delays) == 1  # one backoff wait between the rounds
    assert [h.fault for h in origin.hits_for("seg")] == [fault.kind, None]


async def test_overall_timeout(origin: FaultServer) -> None:
    """A body that keeps trickling (never stalls) still ends at the attempt timeout."""
    url = origin.add("seg", DATA)
    origin.inject("seg", Fault("drip", seconds=0.1, chunk=1000))
    policy = RetryPolicy(max_attempts=1, timeout_s=0.5, stall_timeout_s=5.0)
    async with Fetcher(NetworkConfig(retry=policy)) as fetcher:
        with pytest.raises(PlayerError) as info:
            await fetcher.fetch(url)
    assert info.value.code is Code.RETRIES_EXHAUSTED
    assert info.value.data["cause"].code is Code.TIMEOUT


def _unaccepting_listener() -> tuple[socket.socket, list[socket.socket]]:
    """A port whose accept queue is full, so a new connection's SYN goes unanswered."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        s = socket.socket()
        s.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            s.connect(("127.0.0.1", port))
        fillers.append(s)
    return listener, fillers


@pytest.fixture
def black_hole() -> Iterator[int]:
    listener, fillers = _unaccepting_listener()
    try:
        yield listener.getsockname()[1]
    finally:
        for s in [*fillers, listener]:
            s.close()


async def test_connect_timeout(black_hole: int) -> None:
    policy = RetryPolicy(max_attempts=1, connect_timeout_s=0.3)
    async with Fetcher(NetworkConfig(retry=policy)) as fetcher:
        with pytest.raises(PlayerError) as info:
            await fetcher.fetch(f"http://127.0.0.1:{black_hole}/seg")
    assert info.value.data["cause"].code is Code.CONNECT_TIMEOUT


async def test_server_down_exhausts_retries(origin: FaultServer) -> None:
    url = origin.add("seg", DATA)
    await origin.take_down()
    sleeps = Sleeps()
    policy = RetryPolicy(max_attempts=3, base_delay_s=0.01)
    async with Fetcher(NetworkConfig(retry=policy), sleep=sleeps) as fetcher:
        with pytest.raises(PlayerError) as info:
            await fetcher.fetch(url)
    err = info.value
    assert err.code is Code.RETRIES_EXHAUSTED and err.recoverable
    assert err.data["attempts"] == 3
    assert err.data["cause"].code is Code.HTTP_ERROR
    assert [e["code"] for e in err.data["errors"]] == ["HTTP_ERROR"] * 3


async def test_retries_stop_at_the_limit_with_backoff(origin: FaultServer) -> None:
    url = origin.add("seg", DATA)
    origin.inject("seg", Fault("status", status=503))  # forever
    sleeps = Sleeps()
    policy = RetryPolicy(max_attempts=4, base_delay_s=1.0, backoff_factor=2.0, fuzz_factor=0.5)
    fetcher = Fetcher(NetworkConfig(retry=policy), sleep=sleeps, rng=random.Random(7))
    async with fetcher:
        with pytest.raises(PlayerError) as info:
            await fetcher.fetch(url)
    err = info.value
    assert err.code is Code.RETRIES_EXHAUSTED
    assert err.data["cause"].code is Code.BAD_HTTP_STATUS
    assert err.data["cause"].data["status"] == 503
    assert len(origin.hits_for("seg")) == 4
    assert len(sleeps.delays) == 3
    for i, delay in enumerate(sleeps.delays):
        unfuzzed = 1.0 * 2.0**i
        assert unfuzzed * 0.5 <= delay <= unfuzzed * 1.5


async def test_retry_after_is_honoured(origin: FaultServer) -> None:
    url = origin.add("seg", DATA)
    origin.inject("seg", Fault("status", status=429, headers={"Retry-After": "7"}, times=1))
    sleeps = Sleeps()
    async with Fetcher(NetworkConfig(retry=FAST), sleep=sleeps) as fetcher:
        assert (await fetcher.fetch(url)).data == DATA
    assert sleeps.delays == [7.0]


async def test_not_found_is_not_retried(origin: FaultServer) -> None:
    sleeps = Sleeps()
    async with Fetcher(NetworkConfig(retry=FAST), sleep=sleeps) as fetcher:
        with pytest.raises(PlayerError) as info:
            await fetcher.fetch(origin.url("missing"))
    err = info.value
    assert err.code is Code.BAD_HTTP_STATUS and not err.recoverable
    assert err.data["status"] == 404
    assert len(origin.hits_for("missing")) == 1 and sleeps.delays == []


async def test_range_not_satisfiable(origin: FaultServer) -> None:
    url = origin.add("seg", DATA)
    async with Fetcher(NetworkConfig(retry=FAST)) as fetcher:
        with pytest.raises(PlayerError) as info:
            await fetcher.fetch(url, byte_range=ByteRange(10_000_000, None))
    assert info.value.code is Code.BAD_HTTP_STATUS and info.value.data["status"] == 416


async def test_response_too_large(origin: FaultServer) -> None:
    url = origin.add("seg", DATA)
    async with Fetcher(NetworkConfig(retry=FAST)) as fetcher:
        with pytest.raises(PlayerError) as info:
            await fetcher.fetch(url, max_bytes=1000)
    assert info.value.code is Code.RESPONSE_TOO_LARGE
    assert len(origin.hits_for("seg")) == 1  # not retried


@pytest.mark.parametrize(
    ("urls", "code"),
    [
        ([], Code.INVALID_ARGUMENT),
        ("", Code.INVALID_ARGUMENT),
        ("ftp://127.0.0.1/x", Code.UNSUPPORTED_SCHEME),
        ("file:///etc/passwd", Code.UNSUPPORTED_SCHEME),
        ("http:///no-host", Code.MALFORMED_URL),
        ("http://127.0.0.1:99999/x", Code.MALFORMED_URL),
        ("just words", Code.UNSUPPORTED_SCHEME),
    ],
)
async def test_bad_urls_are_typed_errors(urls: str | list[str], code: Code) -> None:
    async with Fetcher(NetworkConfig(retry=FAST)) as fetcher:
        with pytest.raises(PlayerError) as info:
            await fetcher.fetch(urls)
    assert info.value.code is code


async def test_closed_fetcher_refuses(origin: FaultServer) -> None:
    url = origin.add("seg", DATA)
    fetcher = Fetcher(NetworkConfig(retry=FAST))
    await fetcher.fetch(url)
    await fetcher.close()
    with pytest.raises(PlayerError) as info:
        await fetcher.fetch(url)
    assert info.value.code is Code.INVALID_STATE


def test_invalid_config_is_typed() -> None:
    with pytest.raises(PlayerError) as info:
        RetryPolicy(max_attempts=0, fuzz_factor=2.0)
    assert info.value.code is Code.INVALID_CONFIG
    with pytest.raises(PlayerError):
        NetworkConfig(read_bufsize=1)


async def test_given_session_is_used_and_left_open(origin: FaultServer) -> None:
    url = origin.add("seg", DATA)
    origin.inject("seg", Fault("slow_first_byte", seconds=30, times=1))
    policy = RetryPolicy(base_delay_s=0.01, connect_timeout_s=0.5, first_byte_timeout_s=0.5)
    async with aiohttp.ClientSession() as session:
        fetcher = Fetcher(NetworkConfig(retry=policy), session=session)
        result = await fetcher.fetch(url)
        await fetcher.close()
        assert not session.closed
    # without the fetcher's trace hook the first byte is timed from the attempt start
    assert [e.code for e in result.failures] == [Code.FIRST_BYTE_TIMEOUT]
    assert result.data == DATA


async def test_retry_policy_per_request_type(origin: FaultServer) -> None:
    url = origin.add("seg", DATA)
    config = NetworkConfig(
        retry=FAST, retry_by_type={RequestType.MANIFEST: RetryPolicy(max_attempts=1)}
    )
    async with Fetcher(config) as fetcher:
        origin.inject("seg", Fault("status", status=503, times=1))
        with pytest.raises(PlayerError) as info:
            await fetcher.fetch(url, request_type=RequestType.MANIFEST)
        assert info.value.data["attempts"] == 1
        origin.inject("seg", Fault("status", status=503, times=1))
        assert (await fetcher.fetch(url, request_type=RequestType.SEGMENT)).attempts == 2
