"""abr: pure ABR policies, throughput estimators and QoE metrics (numpy only).

Import policies by name through the registry (``create_policy("bola")``) or directly.
"""

from abr.estimators import (
    EwmaEstimator,
    HarmonicMeanEstimator,
    LatencyTracker,
    SlidingPercentileEstimator,
)
from abr.interface import (
    AbrContext,
    AbrPolicy,
    BandwidthEstimator,
    Decision,
    DownloadProgress,
    PlaybackState,
    Rung,
    ThroughputSample,
    abandon_check,
)
from abr.policies import (
    BbaPolicy,
    BolaPolicy,
    HybridPolicy,
    InvalidContextError,
    MpcPolicy,
    ThroughputPolicy,
)
from abr.qoe import SegmentRecord, SessionStats, qoe_hd, qoe_lin, qoe_log
from abr.registry import (
    UnknownNameError,
    create_estimator,
    create_policy,
    estimator_names,
    policy_names,
    register_estimator,
    register_policy,
)
from abr.slots import slot_constructor

__all__ = [
    "AbrContext",
    "AbrPolicy",
    "BandwidthEstimator",
    "BbaPolicy",
    "BolaPolicy",
    "Decision",
    "DownloadProgress",
    "EwmaEstimator",
    "HarmonicMeanEstimator",
    "HybridPolicy",
    "InvalidContextError",
    "LatencyTracker",
    "MpcPolicy",
    "PlaybackState",
    "Rung",
    "SegmentRecord",
    "SessionStats",
    "SlidingPercentileEstimator",
    "ThroughputPolicy",
    "ThroughputSample",
    "UnknownNameError",
    "abandon_check",
    "create_estimator",
    "create_policy",
    "estimator_names",
    "policy_names",
    "qoe_hd",
    "qoe_lin",
    "qoe_log",
    "register_estimator",
    "register_policy",
    "slot_constructor",
]
