"""PNG plots of replays and sweeps (matplotlib with the Agg backend: no display needed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from player.errors import Code, PlayerError
from traces.sim.simulator import Session
from traces.trace import Trace

__all__ = ["plot_cdf", "plot_sessions", "pyplot", "save_figure"]

#: Most traces drawn side by side in one replay plot.
MAX_TRACES = 6


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, out: str | Path) -> Path:
    """Write ``fig`` as PNG (making folders), close it; a typed error if it cannot."""
    path = Path(out)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
    except OSError as exc:
        raise PlayerError(Code.INVALID_ARGUMENT, f"cannot write {path}: {exc}") from exc
    finally:
        pyplot().close(fig)
    return path


def plot_sessions(
    sessions: Sequence[Session],
    out: str | Path,
    traces: Mapping[str, Trace] | None = None,
) -> Path:
    """Bitrate, buffer and throughput over time, one line per policy, one column per
    trace (the first :data:`MAX_TRACES`). ``traces`` (by name) adds the link's rate."""
    if not sessions:
        raise PlayerError(Code.INVALID_ARGUMENT, "nothing to plot: no sessions")
    plt = pyplot()
    names = list(dict.fromkeys(s.trace for s in sessions))[:MAX_TRACES]
    fig, axes = plt.subplots(
        3, len(names), figsize=(5.5 * len(names), 8), squeeze=False, sharex="col"
    )
    for col, name in enumerate(names):
        ax_rate, ax_buf, ax_tp = axes[0][col], axes[1][col], axes[2][col]
        for s in (x for x in sessions if x.trace == name):
            segs = s.segments
            t = [g.complete_s for g in segs]
            ax_rate.step(t, [g.bitrate_bps / 1e3 for g in segs], where="post", label=s.policy)
            bt: list[float] = []
            bv: list[float] = []
            for g in segs:
                bt += [g.request_s, g.complete_s, g.complete_s]
                # Drains while downloading, jumps when the segment lands.
                drained = max(0.0, g.buffer_before_s - g.download_s)
                bv += [g.buffer_before_s, drained, g.buffer_after_s]
            ax_buf.plot(bt, bv, label=s.policy, linewidth=1)
            ax_tp.plot(
                t, [g.throughput_bps / 1e3 for g in segs], ".-", label=s.policy, linewidth=0.8
            )
        if traces and name in traces:
            tr = traces[name]
            end = max(x.end_s for x in sessions if x.trace == name)
            xs, ys = _trace_steps(tr, end)
            ax_tp.step(xs, ys, where="post", color="grey", alpha=0.5, label="link")
        ax_rate.set_title(name, fontsize=9)
        ax_rate.set_ylabel("bitrate (kbit/s)")
        ax_buf.set_ylabel("buffer (s)")
        ax_tp.set_ylabel("throughput (kbit/s)")
        ax_tp.set_xlabel("session time (s)")
        for ax in (ax_rate, ax_buf, ax_tp):
            ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, out)


def _trace_steps(trace: Trace, end: float) -> tuple[list[float], list[float]]:
    xs: list[float] = []
    ys: list[float] = []
    base = 0.0
    starts, rates = trace.starts.tolist(), trace.rates_bps.tolist()
    while base < end and len(xs) < 100_000:
        for s, r in zip(starts, rates, strict=True):
            if base + s > end:
                break
            xs.append(base + s)
            ys.append(r / 1e3)
        base += trace.duration
    return xs, ys


def plot_cdf(
    values: Mapping[str, Mapping[str, Sequence[float]]],
    out: str | Path,
    *,
    xlabel: str = "QoE (linear, per session)",
) -> Path:
    """CDFs of a per-session metric: one panel per dataset, one line per policy
    (``values[dataset][policy]``)."""
    if not values:
        raise PlayerError(Code.INVALID_ARGUMENT, "nothing to plot: no results")
    plt = pyplot()
    datasets = list(values)
    fig, axes = plt.subplots(1, len(datasets), figsize=(5 * len(datasets), 4), squeeze=False)
    for ax, ds in zip(axes[0], datasets, strict=True):
        for policy, vals in values[ds].items():
            xs = sorted(vals)
            if not xs:
                continue
            ys = [(i + 1) / len(xs) for i in range(len(xs))]
            ax.step(xs, ys, where="post", label=policy)
        ax.set_title(ds, fontsize=10)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("CDF")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, out)
