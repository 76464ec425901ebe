"""The shaped origin: serve a folder over HTTP on loopback under network conditions.

:class:`ShapedOrigin` serves files with byte ranges and streaming content types through
one shared bottleneck that follows a bandwidth :class:`~traces.Trace`, adds per-request
latency, injects faults from a :class:`FaultSpec` (grammar in :func:`parse_faults`) and can
serve a VOD title as live (:class:`LiveConfig`). ``abrkit serve`` is its command line.
"""

from traces.origin._faults import FaultKind, FaultSpec, Outage, parse_faults
from traces.origin._live import LiveConfig
from traces.origin._server import OriginStats, RequestRecord, ShapedOrigin
from traces.origin._static import CONTENT_TYPES, content_type_for

__all__ = [
    "CONTENT_TYPES",
    "FaultKind",
    "FaultSpec",
    "LiveConfig",
    "OriginStats",
    "Outage",
    "RequestRecord",
    "ShapedOrigin",
    "content_type_for",
    "parse_faults",
]
