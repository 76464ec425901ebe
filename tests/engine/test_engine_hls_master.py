"""The engine resolving an HLS master's media playlists itself settles what the master
leaves open: the duration of an on-demand title, and liveness (with its target duration)
of a live one, by the same rule as ``player.manifest.load_indexes``."""

from __future__ import annotations

from player.config import PlayerConfig
from player.engine import Engine, Fetch, FetchPurpose, PlaybackStarted
from player.manifest import load_indexes, parse_manifest

from ._model import LastSample, RatePolicy
from ._sim import Sim

BASE = "https://cdn.example.com/t/"
MASTER = b"""#EXTM3U
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",LANGUAGE="en",NAME="en",DEFAULT=YES,URI="audio.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=300000,RESOLUTION=256x144,CODECS="avc1.64000c,mp4a.40.2",AUDIO="a"
low.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=900000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2",AUDIO="a"
high.m3u8
"""


def _playlist(name: str, count: int, *, vod: bool) -> bytes:
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:2"]
    lines += ["#EXT-X-PLAYLIST-TYPE:VOD"] if vod else []
    lines.append(f'#EXT-X-MAP:URI="{name}-init.mp4"')
    for i in range(count):
        lines += ["#EXTINF:2.0,", f"{name}-{i}.m4s"]
    lines += ["#EXT-X-ENDLIST"] if vod else []
    return ("\n".join(lines) + "\n").encode()


def _bodies(vod: bool) -> dict[str, bytes]:
    return {BASE + f"{name}.m3u8": _playlist(name, 5, vod=vod) for name in ("low", "high", "audio")}


def _engine(vod: bool) -> tuple[Engine, Sim]:
    pres = parse_manifest(MASTER, BASE + "master.m3u8")
    assert pres.duration is None and not pres.is_live  # the master alone does not say
    engine = Engine(pres, RatePolicy(), LastSample(), PlayerConfig(), decodable=lambda codecs: True)
    bodies = _bodies(vod)

    def data(f: Fetch) -> bytes | None:
        return bodies[f.url] if f.purpose is FetchPurpose.INDEX else None

    return engine, Sim(engine, bandwidth=5e6, data=data)


def test_a_vod_master_gets_its_duration_from_the_playlists_the_engine_resolves() -> None:
    engine, sim = _engine(vod=True)
    sim.start()
    sim.run(until=5.0)
    assert sim.events(PlaybackStarted)
    assert any(f.purpose is FetchPurpose.INDEX for f in sim.fetches)
    pres = engine.presentation
    assert not engine.is_live and not pres.is_live
    assert pres.duration == 10.0 and pres.periods[0].duration == 10.0
    # The same facts load_indexes gives the same master.
    loaded = parse_manifest(MASTER, BASE + "master.m3u8")
    load_indexes(loaded, _bodies(vod=True).__getitem__)
    assert (loaded.duration, loaded.is_live) == (pres.duration, pres.is_live)


def test_a_live_master_becomes_live_with_its_target_duration() -> None:
    engine, sim = _engine(vod=False)
    sim.start(wall_time=1_700_000_000.0)
    sim.run(until=1.0)
    pres = engine.presentation
    assert engine.is_live and pres.is_live and pres.duration is None
    assert pres.live is not None and pres.live.target_duration == 2.0
