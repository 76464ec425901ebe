"""Sweeps: every trace x policy, in parallel on a local process pool or a Dask cluster.

Work is split by trace: one task replays every policy over one trace (the trace is read
once, the simulator is built once per worker and video). By default the tasks run on a
:class:`concurrent.futures.ProcessPoolExecutor`; given a scheduler address
(``tcp://host:port``) they run on that ``dask.distributed`` cluster (the ``distributed``
extra). Results come back as rows (:mod:`traces.sim.report`), in task order whatever
order they finished in.
"""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from player.errors import Code, PlayerError
from traces.sim.presets import SimModel, get_model
from traces.sim.replay import NamedTrace, parse_policies, run_policy
from traces.sim.report import row_of
from traces.sim.simulator import Simulator
from traces.sim.video import VideoDescription

__all__ = ["SweepTask", "run_task", "sweep"]


@dataclass(frozen=True)
class SweepTask:
    """One trace and the policies to replay over it (picklable, sent to workers)."""

    trace: NamedTrace
    policies: tuple[str, ...]
    video: VideoDescription
    model: SimModel
    trace_format: str | None = None
    trace_unit: str | None = None


# Per worker process: the last simulator built, reused while the video and model match.
_SIM_CACHE: dict[str, Simulator] = {}


def _simulator(video: VideoDescription, model: SimModel) -> Simulator:
    key = f"{video.name}|{video.n_segments}|{hash(video.sizes)}|{model!r}"
    sim = _SIM_CACHE.get(key)
    if sim is None:
        _SIM_CACHE.clear()
        sim = _SIM_CACHE[key] = Simulator(video, model)
    return sim


def run_task(task: SweepTask) -> list[dict[str, Any]]:
    """Replay every policy of ``task`` over its trace; one row per session."""
    trace = task.trace.load(task.trace_format, task.trace_unit)
    sim = _simulator(task.video, task.model)
    rows = []
    for policy in task.policies:
        session, bound = run_policy(sim, trace, policy, task.trace.name)
        rows.append(row_of(task.trace.dataset, session, bound))
    return rows


def _register_policies() -> None:
    # Workers start fresh: make sure our policies are registered there too.
    import abr.policies  # noqa: F401


def _worker(task: SweepTask) -> list[dict[str, Any]]:
    _register_policies()
    return run_task(task)


def sweep(
    traces: Sequence[NamedTrace],
    policies: Sequence[str],
    video: VideoDescription,
    model: str | SimModel = "default",
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
    trace_format: str | None = None,
    trace_unit: str | None = None,
    progress: Callable[[int], None] | None = None,
    connect_timeout_s: float = 30.0,
) -> list[dict[str, Any]]:
    """Rows for every trace x policy (see the module docstring).

    ``jobs``: worker processes (default: the CPU count; 1 runs in this process).
    ``scheduler``: a Dask scheduler address; ``jobs`` is then ignored.
    ``progress(n)`` is called with the number of sessions each finished task ran.
    ``connect_timeout_s``: how long to try reaching the scheduler.
    """
    names = tuple(parse_policies(list(policies)))
    m = get_model(model)
    tasks = [SweepTask(t, names, video, m, trace_format, trace_unit) for t in traces]
    if not tasks:
        raise PlayerError(Code.INVALID_ARGUMENT, "no traces to sweep")
    if scheduler is not None:
        return _on_dask(tasks, scheduler, progress, connect_timeout_s)
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers < 1:
        raise PlayerError(Code.INVALID_ARGUMENT, f"--jobs must be >= 1, not {workers}")
    if workers == 1 or len(tasks) == 1:
        _register_policies()
        results = []
        for task in tasks:
            results.append(run_task(task))
            if progress is not None:
                progress(len(names))
        return [row for rows in results for row in rows]
    out: list[list[dict[str, Any]] | None] = [None] * len(tasks)
    with concurrent.futures.ProcessPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
        futures = {pool.submit(_worker, t): i for i, t in enumerate(tasks)}
        for fut in concurrent.futures.as_completed(futures):
            out[futures[fut]] = fut.result()
            if progress is not None:
                progress(len(names))
    return [row for rows in out if rows is not None for row in rows]


def _on_dask(
    tasks: list[SweepTask],
    scheduler: str,
    progress: Callable[[int], None] | None,
    timeout_s: float,
) -> list[dict[str, Any]]:
    try:
        import distributed
    except ImportError as exc:
        raise PlayerError(
            Code.INVALID_CONFIG,
            f"--scheduler needs dask.distributed (pip install 'abrkit[distributed]'): {exc}",
        ) from exc
    dist: Any = distributed  # untyped
    try:
        client = dist.Client(scheduler, timeout=timeout_s, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise PlayerError(
            Code.HTTP_ERROR,
            f"cannot reach the Dask scheduler at {scheduler}: {exc}",
            data={"scheduler": scheduler},
        ) from exc
    try:
        futures = client.map(_worker, tasks, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        out: list[list[dict[str, Any]] | None] = [None] * len(tasks)
        for fut in dist.as_completed(futures, loop=client.loop):
            out[index[fut.key]] = fut.result()
            if progress is not None:
                progress(len(tasks[index[fut.key]].policies))
        return [row for rows in out if rows is not None for row in rows]
    finally:
        client.close()
