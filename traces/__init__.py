"""traces: bandwidth traces, the trace-driven link model, the shaped origin, replay and sweeps."""

from traces.loaders import (
    TraceFormat,
    Unit,
    dataset_names,
    dataset_path,
    load_dataset,
    load_puffer,
    load_sabre_json,
    load_trace,
    load_two_column,
    trace_files,
)
from traces.trace import Trace

__all__: list[str] = [
    "Trace",
    "TraceFormat",
    "Unit",
    "dataset_names",
    "dataset_path",
    "load_dataset",
    "load_puffer",
    "load_sabre_json",
    "load_trace",
    "load_two_column",
    "trace_files",
]
