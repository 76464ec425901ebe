"""Track selection by capability and preference, track switches, the byte cap, seeding."""

from __future__ import annotations

import pytest

from player.buffer import BufferGoals
from player.capabilities import can_decode, codec_family, decoder_for
from player.config import PlayerConfig, Preferences
from player.engine import (
    Ended,
    Engine,
    Evicted,
    Fetch,
    FetchPurpose,
    Flush,
    Stalled,
    TrackChanged,
)
from player.errors import Code, PlayerError
from player.manifest.model import Presentation, Track, TrackKind

from ._model import FixedIndex, LastSample, RatePolicy, rep, vod
from ._sim import Sim


def _with_video_tracks(*codecs: str) -> Presentation:
    p = vod(duration=20)
    period = p.periods[0]
    period.tracks = [t for t in period.tracks if t.kind is not TrackKind.VIDEO]
    for k, c in enumerate(codecs):
        reps = [
            rep(
                f"{codec_family(c)}{i}",
                bw,
                FixedIndex(f"{codec_family(c)}{i}", 10, 2.0),
                codecs=c,
                height=h,
            )
            for i, (bw, h) in enumerate([(300_000, 240), (900_000, 480)])
        ]
        period.tracks.insert(k, Track(f"video-{k}", TrackKind.VIDEO, reps, codecs=c))
    return p


def test_capabilities_probe_pyav_decoders() -> None:
    assert decoder_for("avc1.64001f") == "h264"
    assert decoder_for("hvc1.1.6.L93.B0") == "hevc"
    assert decoder_for("av01.0.05M.08") in ("libdav1d", "libaom-av1")
    assert decoder_for("mp4a.40.2") == "aac"
    assert can_decode("avc1.4d401e,mp4a.40.2")
    assert not can_decode("dvh1.05.06")  # Dolby Vision: no decoder here
    assert not can_decode("xyz9.1")
    assert can_decode(None), "a manifest that does not say is not excluded"
    assert codec_family("wvtt") == "text" and can_decode("stpp.ttml.im1t")


def test_the_most_efficient_decodable_codec_is_preferred() -> None:
    p = _with_video_tracks("avc1.64001f", "hvc1.1.6.L93.B0", "xyz9.1")
    e = Engine(p, RatePolicy(), LastSample())
    track = e.selected_track(TrackKind.VIDEO)
    assert track is not None and track.codecs == "hvc1.1.6.L93.B0"
    f = next(a for a in e.start(0.0) if isinstance(a, Fetch))
    assert "hevc0" in f.url


def test_codec_preference_is_configurable() -> None:
    p = _with_video_tracks("avc1.64001f", "hvc1.1.6.L93.B0")
    cfg = PlayerConfig(preferences=Preferences(codec_preference=("avc", "hevc")))
    e = Engine(p, RatePolicy(), LastSample(), cfg)
    track = e.selected_track(TrackKind.VIDEO)
    assert track is not None and track.codecs == "avc1.64001f"


def test_undecodable_representations_are_never_chosen() -> None:
    p = _with_video_tracks("dvh1.05.06", "xyz9.1")
    with pytest.raises(PlayerError) as exc:
        Engine(p, RatePolicy(), LastSample())
    assert exc.value.code == Code.NO_DECODABLE_REPRESENTATION
    # Mixed within one track (HLS variants): the undecodable rung is dropped.
    p = vod(duration=20)
    video = p.periods[0].tracks[0]
    video.representations[-1].codecs = "dvh1.05.06"
    e = Engine(p, RatePolicy(), LastSample())
    assert [r.id for r in e.ladder()] == ["v0", "v1", "v2"]


def test_rungs_above_the_display_height_are_capped() -> None:
    cfg = PlayerConfig(preferences=Preferences(max_height=300))
    e = Engine(vod(duration=20), RatePolicy(), LastSample(), cfg)
    assert [r.height for r in e.ladder()] == [144, 288]
    sim = Sim(e, bandwidth=50e6)
    sim.start(0.0)
    sim.run(until=60.0)
    assert {f.quality for f in sim.fetches if f.track is TrackKind.VIDEO} <= {0, 1}


def test_audio_language_preference_and_switch_without_a_stall() -> None:
    cfg = PlayerConfig(preferences=Preferences(audio_language="fr"))
    e = Engine(vod(duration=60, audio_langs=("en", "fr", "de")), RatePolicy(), LastSample(), cfg)
    track = e.selected_track(TrackKind.AUDIO)
    assert track is not None and track.language == "fr"
    sim = Sim(e, bandwidth=3e6)
    sim.start(0.0)
    sim.run(until=15.0)
    pos = e.position_at(sim.now)
    acts = sim.feed(e.select_audio(sim.now, language="de"))
    assert TrackChanged(sim.now, TrackKind.AUDIO, "audio-de", "de") in acts
    assert Flush(pos) in acts
    # Audio around the playhead is kept so playback goes on while "de" arrives.
    assert e.buffer_level >= 1.0
    sim.run(until=80.0)
    assert not sim.events(Stalled)
    assert sim.events(Ended)
    later = [
        f for f in sim.fetches if f.track is TrackKind.AUDIO and sim.issued[f.request_id] >= 15.0
    ]
    assert later and all("/a-de/" in f.url for f in later)
    with pytest.raises(PlayerError) as exc:
        e.select_audio(sim.now, language="ja")
    assert exc.value.code == Code.INVALID_ARGUMENT


def test_subtitles_on_switch_and_off() -> None:
    cfg = PlayerConfig(preferences=Preferences(text_language="en"))
    e = Engine(vod(duration=40, text_langs=("en", "es")), RatePolicy(), LastSample(), cfg)
    sim = Sim(e, bandwidth=3e6)
    sim.start(0.0)
    sim.run(until=5.0)
    assert any("/t-en/" in f.url for f in sim.fetches)
    sim.feed(e.select_text(sim.now, language="es"))
    sim.run(until=10.0)
    assert any("/t-es/" in f.url and sim.issued[f.request_id] >= 5.0 for f in sim.fetches)
    sim.feed(e.select_text(sim.now))
    assert TrackKind.TEXT not in e.active_kinds()
    n = len(sim.fetches)
    sim.run(until=60.0)
    assert not any(f.track is TrackKind.TEXT for f in sim.fetches[n:])
    assert not sim.events(Stalled)


def test_the_buffer_never_exceeds_its_byte_cap() -> None:
    cap = 1_500_000  # 2.4 top-rung segments (625 kB each)
    cfg = PlayerConfig(buffer=BufferGoals(goal_s=30.0, max_bytes=cap))
    e = Engine(vod(duration=120), RatePolicy(), LastSample(), cfg)
    sim = Sim(e, bandwidth=40e6)
    peak = {"bytes": 0}

    def check(s: Sim) -> None:
        assert e.buffered_bytes <= cap
        peak["bytes"] = max(peak["bytes"], e.buffered_bytes)

    sim.after_step = check
    sim.start(0.0)
    sim.run(until=300.0)
    assert sim.events(Ended)
    assert peak["bytes"] > cap // 2, "the cap, not the time goal, limited the buffer"
    assert sim.events(Evicted)
    assert not sim.events(Stalled)


def test_a_choice_held_back_by_the_byte_cap_is_made_again_when_it_goes_out() -> None:
    """Each media Fetch carries a choice made at the moment it is issued, not one made
    on the fuller buffer of an earlier, cap-blocked attempt."""
    cap = 1_500_000
    cfg = PlayerConfig(buffer=BufferGoals(goal_s=30.0, max_bytes=cap))
    asked: list[tuple[int, float]] = []  # (segment number, now)

    class Recording(RatePolicy):
        def choose(self, ctx):  # type: ignore[no-untyped-def]
            asked.append((ctx.segment_number, ctx.now))
            return super().choose(ctx)

    e = Engine(vod(duration=120), Recording(), LastSample(), cfg)
    sim = Sim(e, bandwidth=40e6)
    sim.start(0.0)
    sim.run(until=300.0)
    assert sim.events(Ended)
    media = [
        f for f in sim.fetches if f.purpose is FetchPurpose.MEDIA and f.track is TrackKind.VIDEO
    ]
    blocked = 0
    for f in media:
        assert f.segment is not None
        times = [t for n, t in asked if n == f.segment.number - 1]  # vod() counts from 1
        blocked += len(times) > 1
        # Made when it went out (an init segment's fetch may come between), not seconds
        # before, while the cap held it back.
        assert times and 0 <= sim.issued[f.request_id] - times[-1] < 0.1, (
            f"segment {f.segment.number}: asked at {times}, issued at {sim.issued[f.request_id]}"
        )
    assert blocked, "the cap held some choices back"


def test_a_cap_smaller_than_one_segment_is_a_config_error() -> None:
    cfg = PlayerConfig(buffer=BufferGoals(max_bytes=10_000))
    e = Engine(vod(duration=20), RatePolicy(), LastSample(), cfg)
    sim = Sim(e, bandwidth=4e6)
    sim.start(0.0)
    sim.run(until=30.0)
    errors = [a for a in sim.events() if a.type == "error"]
    assert errors and errors[0].error.code == Code.INVALID_CONFIG  # type: ignore[attr-defined]


def test_a_cached_bandwidth_seeds_the_first_choice() -> None:
    cold = Engine(vod(), RatePolicy(), LastSample())
    warm = Engine(vod(), RatePolicy(), LastSample(), initial_bandwidth_bps=3e6)
    f_cold = next(a for a in cold.start(0.0) if isinstance(a, Fetch))
    f_warm = next(a for a in warm.start(0.0) if isinstance(a, Fetch))
    assert f_cold.purpose is FetchPurpose.INIT and f_cold.quality == 0
    assert f_warm.quality == 2  # 1 Mbit/s fits 0.8 x 3 Mbit/s, 2.5 Mbit/s does not


def test_switching_subtitles_replaces_a_whole_title_text_segment() -> None:
    p = vod(duration=40)
    period = p.periods[0]
    for lang in ("en", "de"):
        # One WebVTT file for the whole title, as a BaseURL-only text representation.
        idx = FixedIndex(f"t-{lang}", 1, 40.0)
        period.tracks.append(
            Track(
                f"text-{lang}",
                TrackKind.TEXT,
                [rep(f"t-{lang}", 100, idx, codecs=None)],
                language=lang,
            )
        )
    cfg = PlayerConfig(preferences=Preferences(text_language="en"))
    e = Engine(p, RatePolicy(), LastSample(), cfg)
    sim = Sim(e, bandwidth=3e6)
    sim.start(0.0)
    sim.run(until=8.0)
    assert any("/t-en/" in f.url for f in sim.fetches)
    sim.feed(e.select_text(sim.now, language="de"))
    sim.run(until=12.0)
    assert any("/t-de/" in f.url for f in sim.fetches), "the new language is fetched"
    segs = e.buffered_segments(TrackKind.TEXT, 0.0)
    assert len(segs) == 1 and segs[0].end == 40.0
    track = e.selected_track(TrackKind.TEXT)
    assert track is not None and track.language == "de"
