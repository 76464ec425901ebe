"""Result rows of many sessions: CSV in and out, and per-dataset, per-policy tables."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from player.errors import Code, PlayerError
from traces.sim.simulator import Session

__all__ = [
    "COLUMNS",
    "PolicyStats",
    "format_table",
    "read_csv",
    "row_of",
    "summarize",
    "write_csv",
]

#: The columns of a results CSV (``oracle_bound``: the DP's optimum, oracle rows only).
COLUMNS = (
    "dataset",
    "trace",
    "policy",
    "model",
    "video",
    "qoe_lin",
    "avg_bitrate_kbps",
    "rebuffer_s",
    "rebuffer_events",
    "switches",
    "startup_s",
    "oracle_bound",
)


def row_of(dataset: str, session: Session, bound: float | None = None) -> dict[str, Any]:
    """One CSV row for a session."""
    s = session.summary
    return {
        "dataset": dataset,
        "trace": session.trace,
        "policy": session.policy,
        "model": session.model,
        "video": session.video,
        "qoe_lin": s.qoe_lin,
        "avg_bitrate_kbps": s.avg_bitrate_kbps,
        "rebuffer_s": s.rebuffer_s,
        "rebuffer_events": s.rebuffer_events,
        "switches": s.switches,
        "startup_s": s.startup_s,
        "oracle_bound": "" if bound is None else bound,
    }


def write_csv(rows: Iterable[Mapping[str, Any]], out: str | Path) -> Path:
    """Write result rows (columns :data:`COLUMNS`)."""
    path = Path(out)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(COLUMNS), extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow(row)
    except OSError as exc:
        raise PlayerError(Code.INVALID_ARGUMENT, f"cannot write {path}: {exc}") from exc
    return path


def read_csv(path: str | Path) -> list[dict[str, Any]]:
    """Result rows back from a CSV (numbers as floats)."""
    try:
        with Path(path).open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise PlayerError(Code.INVALID_ARGUMENT, f"cannot read {path}: {exc}") from exc
    out: list[dict[str, Any]] = []
    for row in rows:
        conv: dict[str, Any] = dict(row)
        for k in COLUMNS[5:]:
            v = row.get(k, "")
            conv[k] = float(v) if v not in ("", None) else None
        out.append(conv)
    return out


@dataclass(frozen=True, slots=True)
class PolicyStats:
    """A metric of one policy on one dataset: count, mean and percentiles."""

    dataset: str
    policy: str
    n: int
    mean: float
    p10: float
    p50: float
    p90: float


def summarize(rows: Sequence[Mapping[str, Any]], metric: str = "qoe_lin") -> list[PolicyStats]:
    """Per dataset and policy (in first-seen order): mean, p10, p50, p90 of ``metric``."""
    groups: dict[tuple[str, str], list[float]] = {}
    for row in rows:
        v = row.get(metric)
        if v is None or v == "":
            continue
        groups.setdefault((str(row["dataset"]), str(row["policy"])), []).append(float(v))
    out: list[PolicyStats] = []
    for (ds, pol), vals in groups.items():
        arr = np.array(vals)
        p10, p50, p90 = np.percentile(arr, [10, 50, 90]).tolist()
        out.append(PolicyStats(ds, pol, len(vals), float(arr.mean()), p10, p50, p90))
    return out


def format_table(
    stats: Sequence[PolicyStats],
    *,
    reference: Mapping[str, float] | None = None,
    reference_name: str = "oracle",
) -> str:
    """A plain-text table; ``reference[dataset]`` adds each mean's fraction of it."""
    head = ["dataset", "policy", "n", "mean", "p10", "p50", "p90"]
    if reference is not None:
        head.append(f"of {reference_name}")
    lines = [head]
    for s in stats:
        row = [
            s.dataset,
            s.policy,
            str(s.n),
            f"{s.mean:.3f}",
            f"{s.p10:.3f}",
            f"{s.p50:.3f}",
            f"{s.p90:.3f}",
        ]
        if reference is not None:
            ref = reference.get(s.dataset)
            frac = s.mean / ref if ref and math.isfinite(ref) and ref != 0 else math.nan
            row.append("" if math.isnan(frac) else f"{frac:.1%}")
        lines.append(row)
    widths = [max(len(r[i]) for r in lines) for i in range(len(head))]
    text = []
    for j, r in enumerate(lines):
        text.append(
            "  ".join(
                c.ljust(w) if i < 2 else c.rjust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
        if j == 0:
            text.append("  ".join("-" * w for w in widths))
    return "\n".join(text)
