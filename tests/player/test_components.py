"""CMCD encoding, the bandwidth cache, analytics sinks, stats and the config object."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from player.analytics import CallbackAnalytics, JsonLinesAnalytics, make_analytics
from player.bandwidth_cache import BandwidthCache, host_of
from player.cmcd import encode, headers, query, relative_url, request_keys
from player.config import AnalyticsConfig, PlayerConfig
from player.engine import (
    Downloaded,
    FetchPurpose,
    PlaybackStarted,
    QualityChanged,
    Resumed,
    SegmentAppended,
    Stalled,
)
from player.errors import Code, PlayerError
from player.manifest.model import TrackKind
from player.net.filters import append_query
from player.stats import StatsCollector

# The CTA-5004 example keys (section 5), as dash.js builds them.
EXAMPLE = {
    "br": 3200,
    "bl": 21300,
    "bs": True,
    "cid": "faec5fc2-ac30-11ea-bb37-0242ac130002",
    "d": 4004,
    "mtp": 25400,
    "nor": "../300kbps/segment35.m4v",
    "ot": "v",
    "pr": 1.0,
    "rtp": 12000,
    "sf": "d",
    "sid": "6e2fb550-c457-11e9-bb97-0800200c9a66",
    "st": "v",
    "su": False,
    "tb": 6000,
}


def test_cmcd_payload_is_sorted_typed_and_quoted() -> None:
    assert encode(EXAMPLE) == (
        'bl=21300,br=3200,bs,cid="faec5fc2-ac30-11ea-bb37-0242ac130002",d=4004,mtp=25400,'
        'nor="../300kbps/segment35.m4v",ot=v,rtp=12000,sf=d,'
        'sid="6e2fb550-c457-11e9-bb97-0800200c9a66",st=v,tb=6000'
    )
    # pr=1 and false booleans are left out; other rates are written; quotes escaped.
    assert encode({"pr": 1.25, "su": True, "cid": 'a"b\\c'}) == 'cid="a\\"b\\\\c",pr=1.25,su'


def test_cmcd_query_matches_dashjs_encoding() -> None:
    url = append_query("http://cdn.test/v/seg-1.m4s", query(EXAMPLE))
    assert url == (
        "http://cdn.test/v/seg-1.m4s?CMCD=bl%3D21300%2Cbr%3D3200%2Cbs%2Ccid%3D%22faec5fc2-ac30-"
        "11ea-bb37-0242ac130002%22%2Cd%3D4004%2Cmtp%3D25400%2Cnor%3D%22..%2F300kbps%2Fsegment35"
        ".m4v%22%2Cot%3Dv%2Crtp%3D12000%2Csf%3Dd%2Csid%3D%226e2fb550-c457-11e9-bb97-0800200c9a6"
        "6%22%2Cst%3Dv%2Ctb%3D6000"
    )
    assert query({"su": False}) == {}


def test_cmcd_headers_split_keys_by_header() -> None:
    assert headers(EXAMPLE) == {
        "CMCD-Object": "br=3200,d=4004,ot=v,tb=6000",
        "CMCD-Request": 'bl=21300,mtp=25400,nor="../300kbps/segment35.m4v"',
        "CMCD-Session": (
            'cid="faec5fc2-ac30-11ea-bb37-0242ac130002",sf=d,'
            'sid="6e2fb550-c457-11e9-bb97-0800200c9a66",st=v'
        ),
        "CMCD-Status": "bs,rtp=12000",
    }


def test_cmcd_request_keys_round_and_convert_units() -> None:
    keys = request_keys(
        object_type="v",
        session_id="s",
        streaming_format="d",
        bitrate_bps=3_199_600,
        top_bitrate_bps=6_000_000,
        duration_s=4.004,
        buffer_s=21.349,
        throughput_bps=25_432_000,
        startup=True,
        next_url="seg-2.m4s",
    )
    assert encode(keys) == (
        'bl=21300,br=3200,d=4004,mtp=25400,nor="seg-2.m4s",ot=v,rtp=16000,sf=d,sid="s",st=v,'
        "su,tb=6000"
    )
    assert relative_url("http://a.test/v/2/seg-3.m4s", "http://a.test/v/2/seg-2.m4s") == "seg-3.m4s"
    assert relative_url("http://b.test/x.m4s", "http://a.test/y.m4s") == "http://b.test/x.m4s"


def test_bandwidth_cache_round_trip_age_and_corruption(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "bw.json"
    cache = BandwidthCache(path, max_age_s=100)
    assert cache.get("a.test") is None
    assert cache.put("A.test:8080", 3.5e6, now=1000.0)
    assert BandwidthCache(path, max_age_s=100).get("a.test:8080", now=1050.0) == 3.5e6
    assert cache.get("a.test:8080", now=1200.0) is None  # too old
    assert not cache.put("a.test", float("nan"))
    path.write_text("{not json")
    assert cache.get("a.test:8080") is None  # a corrupt file is an empty cache
    assert cache.put("b.test", 1e6)
    assert json.loads(path.read_text())["b.test"]["bps"] == 1e6
    assert host_of("http://Media.Example:81/x/y.mpd") == "media.example:81"


def test_analytics_sinks_batch_and_survive_failures(tmp_path: Path) -> None:
    path = tmp_path / "a" / "events.jsonl"
    sink = JsonLinesAnalytics(path, batch_size=3, flush_interval_s=100)
    for i in range(7):
        sink.emit({"type": "x", "i": i}, now=float(i))
    assert [json.loads(x)["i"] for x in path.read_text().splitlines()] == [0, 1, 2, 3, 4, 5]
    sink.close()
    assert len(path.read_text().splitlines()) == 7

    got: list[list[dict[str, object]]] = []
    cb = CallbackAnalytics(got.append, batch_size=100, flush_interval_s=1.0)
    cb.emit({"i": 0}, now=0.0)
    cb.emit({"i": 1}, now=0.5)
    cb.emit({"i": 2}, now=1.5)  # the interval passed: delivered
    assert [len(b) for b in got] == [3]

    def broken(batch: list[dict[str, object]]) -> None:
        raise OSError("disk full")

    bad = CallbackAnalytics(broken, batch_size=1)
    assert bad.emit({"i": 0}, now=0.0) is False and bad.failures == 1
    assert make_analytics(AnalyticsConfig()) is None


def test_stats_follow_the_events() -> None:
    c = StatsCollector(start_time=100.0)
    v = TrackKind.VIDEO
    events = [
        QualityChanged(100.5, v, None, 0, 200_000, "v0", 0.0),
        SegmentAppended(100.5, v, 1, 0.0, 2.0, 0, 200_000, 50_000),
        Downloaded(100.5, FetchPurpose.MEDIA, v, "u", 50_000, 0.4),
        PlaybackStarted(101.0, 0.0),
        QualityChanged(102.0, v, 0, 2, 1_000_000, "v2", 2.0, "rate"),
        SegmentAppended(102.0, v, 2, 2.0, 2.0, 2, 1_000_000, 250_000),
        Stalled(104.0, 4.0),
        Resumed(105.5, 4.0, 1.5),
        SegmentAppended(105.5, v, 3, 4.0, 2.0, 2, 1_000_000, 250_000),
        Stalled(108.0, 6.0),
    ]
    for ev in events:
        c.on_event(ev)
    st = c.snapshot(109.0)
    assert st.time_to_first_frame_s == pytest.approx(1.0)
    assert st.rebuffer_count == 2
    assert st.rebuffer_s == pytest.approx(1.5 + 1.0)  # the ongoing stall counts to now
    assert st.switches == 1 and st.switch_history[0].time == pytest.approx(2.0)
    assert st.avg_bitrate_kbps == pytest.approx((200 + 1000 + 1000) / 3)
    assert st.bytes == 50_000
    # Pensieve: chunks 1..2 score R - 4.3 T - |dR| (Mbit/s); chunk 2 carries the stall
    # before its append, the ongoing one at the end counts on the last chunk too.
    assert st.qoe_lin == pytest.approx((1.0 - 0.8) + (1.0 - 4.3 * (1.5 + 1.0)))
    rec = st.to_json()
    for key in (
        "time_to_first_frame_s",
        "rebuffer_count",
        "rebuffer_s",
        "switches",
        "avg_bitrate_kbps",
        "qoe_lin",
        "bytes",
        "dropped_frames",
        "errors",
    ):
        assert key in rec


def test_config_from_dict_and_typos() -> None:
    cfg = PlayerConfig.from_dict(
        {"buffer": {"goal_s": 12.0}, "preferences": {"codec_preference": ["avc", "hevc"]}}
    )
    assert cfg.buffer.goal_s == 12.0 and cfg.buffer.start_s == 2.0
    assert cfg.preferences.codec_preference == ("avc", "hevc")
    for bad in (
        {"bufer": {}},
        {"buffer": {"goal": 1}},
        {"buffer": 3},
        {"cmcd": {"mode": "carrier-pigeon"}},
        {"abr": {"default_bandwidth_bps": -1.0}},
        {"streaming": {"max_attempts": 0}},
    ):
        with pytest.raises(PlayerError) as exc:
            PlayerConfig.from_dict(bad)
        assert exc.value.code == Code.INVALID_CONFIG
