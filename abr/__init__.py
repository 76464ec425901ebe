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
from abr.registry import (
    UnknownNameError,
    create_estimator,
    create_policy,
    estimator_names,
    policy_names,
    register_estimator,
    register_policy,
)

__all__ = [
    "AbrContext",
    "AbrPolicy",
    "BandwidthEstimator",
    "Decision",
    "DownloadProgress",
    "EwmaEstimator",
    "HarmonicMeanEstimator",
    "LatencyTracker",
    "PlaybackState",
    "Rung",
    "SlidingPercentileEstimator",
    "ThroughputSample",
    "UnknownNameError",
    "abandon_check",
    "create_estimator",
    "create_policy",
    "estimator_names",
    "policy_names",
    "register_estimator",
    "register_policy",
]
