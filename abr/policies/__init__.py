"""The ABR policies abrkit ships, each registered by name when this package is imported.

``throughput`` (dash.js rate rules with Shaka's up/down hysteresis), ``bola`` (BOLA-E),
``hybrid`` (throughput at low buffer, BOLA-E at high buffer, with hysteresis), ``bba``
(BBA-0), ``mpc`` (robustMPC made stable; ``MpcPolicy.pensieve()`` is Pensieve's own).
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
