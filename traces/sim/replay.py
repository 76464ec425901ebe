"""Replay: every trace x policy through the simulator, with the JSON ``abrkit replay`` writes.

Traces are named by file, by folder (a dataset: every trace file in it) or by the name
of a curated dataset (``fcc-2016``...). The policy name ``oracle`` plays the offline
optimum's plan (:func:`~traces.sim.oracle.oracle`) through the same simulator.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from abr import policy_names
from player.errors import Code, PlayerError
from traces.loaders import DATA_DIR, dataset_names, load_trace, trace_files
from traces.sim.oracle import ScriptedPolicy, oracle
from traces.sim.presets import SimModel, get_model
from traces.sim.simulator import Session, Simulator
from traces.sim.video import VideoDescription
from traces.trace import Trace

__all__ = [
    "ORACLE",
    "NamedTrace",
    "ReplayResult",
    "parse_policies",
    "replay",
    "resolve_traces",
    "run_policy",
]

#: The policy name that plays the offline optimum.
ORACLE = "oracle"


@dataclass(frozen=True, slots=True)
class NamedTrace:
    """A trace file and the dataset (folder) it belongs to."""

    dataset: str
    path: Path

    @property
    def name(self) -> str:
        """The file name, as reports show it."""
        return self.path.name

    def load(self, fmt: str | None = None, unit: str | None = None) -> Trace:
        """The trace (format and unit from the arguments, else the folder's sidecar)."""
        return load_trace(self.path, format=fmt, unit=unit)


def resolve_traces(specs: Sequence[str | Path]) -> list[NamedTrace]:
    """Trace files from files, folders and curated dataset names, in the given order."""
    out: list[NamedTrace] = []
    for spec in specs:
        p = Path(spec)
        if p.is_file():
            out.append(NamedTrace(p.parent.name, p))
        elif p.is_dir() or (str(spec) in dataset_names()):
            folder = p if p.is_dir() else DATA_DIR / str(spec)
            files = trace_files(folder)
            if not files:
                raise PlayerError(Code.TRACE_INVALID, f"no trace files in {folder}")
            out.extend(NamedTrace(folder.name, f) for f in files)
        elif (DATA_DIR / str(spec)).is_file() and ".." not in p.parts:
            f = DATA_DIR / str(spec)
            out.append(NamedTrace(f.parent.name, f))
        else:
            raise PlayerError(
                Code.TRACE_INVALID,
                f"no trace {str(spec)!r}: not a file, a folder or a curated dataset "
                f"({', '.join(dataset_names())})",
            )
    if not out:
        raise PlayerError(Code.TRACE_INVALID, "no traces given")
    return out


def parse_policies(text: str | Sequence[str]) -> list[str]:
    """Policy names from ``"a,b"`` (or a list of such); unknown names raise
    ``PlayerError(UNKNOWN_POLICY)``."""
    parts = [text] if isinstance(text, str) else list(text)
    names = [n.strip() for p in parts for n in p.split(",") if n.strip()]
    if not names:
        raise PlayerError(Code.INVALID_ARGUMENT, "no policy named")
    known = set(policy_names()) | {ORACLE}
    for n in names:
        if n not in known:
            raise PlayerError(
                Code.UNKNOWN_POLICY,
                f"unknown ABR policy {n!r}; known: {', '.join(sorted(known))}",
            )
    return list(dict.fromkeys(names))


def run_policy(
    sim: Simulator, trace: Trace, policy: str, trace_name: str
) -> tuple[Session, float | None]:
    """One session; for ``oracle`` also the DP's optimum (an upper bound on every QoE)."""
    if policy == ORACLE:
        best = oracle(sim.video, trace, sim.model)
        session = sim.run(trace, ScriptedPolicy(best.qualities, ORACLE), trace_name=trace_name)
        return session, best.qoe
    return sim.run(trace, policy, trace_name=trace_name), None


@dataclass(frozen=True)
class ReplayResult:
    """The sessions of a replay, in trace-major order."""

    sessions: tuple[Session, ...]
    oracle_bounds: tuple[float | None, ...]

    def to_json(self) -> dict[str, Any]:
        """``{"sessions": [{"trace", "policy", "summary", "segments"}]}``."""
        return {"sessions": [s.to_json() for s in self.sessions]}


def replay(
    traces: Sequence[NamedTrace | Trace],
    policies: Sequence[str],
    video: VideoDescription,
    model: str | SimModel = "default",
    *,
    trace_format: str | None = None,
    trace_unit: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ReplayResult:
    """Every trace x policy through one :class:`Simulator`; ``progress(1)`` per session."""
    sim = Simulator(video, get_model(model))
    names = parse_policies(list(policies))
    sessions: list[Session] = []
    bounds: list[float | None] = []
    for t in traces:
        if isinstance(t, NamedTrace):
            trace, name = t.load(trace_format, trace_unit), t.name
        else:
            trace, name = t, t.name
        for policy in names:
            session, bound = run_policy(sim, trace, policy, name)
            sessions.append(session)
            bounds.append(bound)
            if progress is not None:
                progress(1)
    return ReplayResult(tuple(sessions), tuple(bounds))
