"""The ABR policies abrkit ships, each registered by name when this package is imported.

``throughput`` (dash.js rate rules), ``bola`` (BOLA-E), ``hybrid`` (throughput at low
buffer, BOLA-E at high buffer, with hysteresis), ``bba`` (BBA-0), ``mpc`` (robustMPC).
"""

from abr.policies._common import InvalidContextError
from abr.policies.bba import BbaPolicy
from abr.policies.bola import BolaPolicy
from abr.policies.hybrid import HybridPolicy
from abr.policies.mpc import MpcPolicy
from abr.policies.throughput import ThroughputPolicy

__all__ = [
    "BbaPolicy",
    "BolaPolicy",
    "HybridPolicy",
    "InvalidContextError",
    "MpcPolicy",
    "ThroughputPolicy",
]
