"""The headless simulator: trace replay through the real engine, sweeps and the oracle.

- :class:`Simulator` / :func:`simulate`: one session of a policy over a trace, driving
  :class:`player.engine.Engine` on a virtual clock (:mod:`traces.sim.simulator`);
- :class:`Link`: the trace-driven link (latency, exact integration, looping, noise);
- :class:`VideoDescription` and its loaders: what is streamed (per-segment sizes);
- :class:`SimModel` and the presets ``pensieve``, ``sabre``, ``default``;
- :func:`oracle`: the offline optimum (dynamic programming over the whole trace);
- :func:`replay`, :func:`sweep`: many sessions, JSON/CSV results, tables and plots.
"""

from traces.sim.link import Link, Transfer, pensieve_view
from traces.sim.oracle import OracleResult, ScriptedPolicy, evaluate_plan, oracle
from traces.sim.plot import plot_cdf, plot_sessions
from traces.sim.presets import MODELS, SimModel, get_model, model_names
from traces.sim.replay import NamedTrace, ReplayResult, parse_policies, replay, resolve_traces
from traces.sim.report import PolicyStats, format_table, read_csv, summarize, write_csv
from traces.sim.simulator import (
    PolicySpec,
    SegmentLog,
    Session,
    SessionSummary,
    Simulator,
    make_policy,
    simulate,
)
from traces.sim.sweep import sweep
from traces.sim.video import (
    PENSIEVE_CHUNKS,
    VIDEOS_DIR,
    VideoDescription,
    load_manifest_video,
    load_manifest_video_async,
    load_pensieve_video,
    load_sabre_video,
    load_video,
    video_names,
)

__all__ = [
    "MODELS",
    "PENSIEVE_CHUNKS",
    "VIDEOS_DIR",
    "Link",
    "NamedTrace",
    "OracleResult",
    "PolicySpec",
    "PolicyStats",
    "ReplayResult",
    "ScriptedPolicy",
    "SegmentLog",
    "Session",
    "SessionSummary",
    "SimModel",
    "Simulator",
    "Transfer",
    "VideoDescription",
    "evaluate_plan",
    "format_table",
    "get_model",
    "load_manifest_video",
    "load_manifest_video_async",
    "load_pensieve_video",
    "load_sabre_video",
    "load_video",
    "make_policy",
    "model_names",
    "oracle",
    "parse_policies",
    "pensieve_view",
    "plot_cdf",
    "plot_sessions",
    "read_csv",
    "replay",
    "resolve_traces",
    "simulate",
    "summarize",
    "sweep",
    "video_names",
    "write_csv",
]
