"""BOLA's abandonment pre-check (``may_abandon``): False only where ``should_abandon``
keeps going, so the engine may skip building the context."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from abr.interface import AbrContext, DownloadProgress, PlaybackState, Rung
from abr.policies import BolaPolicy
from abr.policies.bola import bola_abandon, bola_parameters
from abr.testing import contexts

LADDER = tuple(Rung(i, b * 1000) for i, b in enumerate([300, 750, 1200, 1850, 2850, 4300]))


@settings(max_examples=400, deadline=None)
@given(
    data=st.data(),
    placeholder=st.floats(0.0, 60.0),
    done=st.floats(0.0, 1.0),
    latency=st.one_of(st.none(), st.floats(0.0, 2.0)),
)
def test_false_means_no_abandonment(
    data: st.DataObject, placeholder: float, done: float, latency: float | None
) -> None:
    ctx: AbrContext = data.draw(contexts())
    ctx = AbrContext(**{**_fields(ctx), "latency_s": latency})  # type: ignore[arg-type]
    q = data.draw(st.integers(0, ctx.top))
    total = data.draw(st.integers(1, 20_000_000))
    loaded = int(total * done)
    elapsed = data.draw(st.floats(1e-3, 30.0))
    pol = BolaPolicy()
    params = bola_parameters(ctx.ladder, ctx.buffer_target)
    if pol.may_abandon(ctx.ladder, ctx.buffer_target, q, loaded, total) or params is None:
        return
    progress = DownloadProgress(q, loaded, total, elapsed, ctx.segment_duration)
    assert bola_abandon(ctx, progress, params, placeholder) is None
    assert pol.should_abandon(ctx, progress) is None


def _fields(ctx: AbrContext) -> dict[str, object]:
    return {f: getattr(ctx, f) for f in AbrContext.__dataclass_fields__}


def test_cuts_near_the_end_and_keeps_real_abandonments() -> None:
    pol = BolaPolicy()
    total = 2_000_000
    # Nearly done: no lower rung can be cheaper than what is left.
    assert not pol.may_abandon(LADDER, 60.0, 5, total - 1000, total)
    # Nothing known about the size, or nothing loaded/rung 0: as should_abandon.
    assert pol.may_abandon(LADDER, 60.0, 5, 1000, None)
    assert not pol.may_abandon(LADDER, 60.0, 0, 1000, total)
    assert not pol.may_abandon(LADDER, 60.0, 5, 0, total)
    # A slow top-rung download on a short buffer is abandoned, and the pre-check lets it.
    ctx = AbrContext(
        now=10.0,
        ladder=LADDER,
        segment_duration=4.0,
        buffer_level=2.0,
        buffer_target=60.0,
        buffer_capacity=60.0,
        throughput_bps=500_000.0,
        state=PlaybackState.PLAYING,
        segment_number=3,
    )
    progress = DownloadProgress(5, 50_000, total, 3.0, 4.0)
    assert pol.should_abandon(ctx, progress) is not None
    assert pol.may_abandon(LADDER, 60.0, 5, 50_000, total)
