"""How often and how patiently a request is retried: :class:`RetryPolicy`."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from player.errors import Code, PlayerError


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Attempts, backoff and timeouts of one kind of request (Shaka's ``retryParameters``).

    ============================ ======= ==================================================
    field                        default meaning
    ============================ ======= ==================================================
    ``max_attempts``             2       rounds over the origins, the first included
                                         (Shaka: maxAttempts 2, i.e. one retry)
    ``base_delay_s``             1.0     wait before the second round (Shaka: baseDelay)
    ``backoff_factor``           2.0     each later wait is this many times the previous
    ``fuzz_factor``              0.5     each wait is scaled by a uniform factor in
                                         ``[1 - fuzz, 1 + fuzz]`` so clients desynchronise
    ``max_delay_s``              30.0    no single wait is longer than this
    ``timeout_s``                30.0    one attempt, connect to last byte (Shaka: timeout)
    ``connect_timeout_s``        10.0    TCP (and TLS) connection set-up
    ``first_byte_timeout_s``     10.0    request sent to response headers received
    ``stall_timeout_s``          5.0     longest silence inside the body (Shaka: 5 s)
    ``max_retry_after_s``        10.0    a ``Retry-After`` on 429/503 is honoured up to this
    ============================ ======= ==================================================

    A timeout of ``0`` (or ``math.inf``) disables it. Failing over to another origin is
    immediate and does not use up an attempt; only when every origin of the resource has
    failed in a round is the next round started after the backoff wait.
    """

    max_attempts: int = 2
    base_delay_s: float = 1.0
    backoff_factor: float = 2.0
    fuzz_factor: float = 0.5
    max_delay_s: float = 30.0
    timeout_s: float = 30.0
    connect_timeout_s: float = 10.0
    first_byte_timeout_s: float = 10.0
    stall_timeout_s: float = 5.0
    max_retry_after_s: float = 10.0

    def __post_init__(self) -> None:
        problems: list[str] = []
        if self.max_attempts < 1:
            problems.append(f"max_attempts must be >= 1, got {self.max_attempts!r}")
        if not 0.0 <= self.fuzz_factor <= 1.0:
            problems.append(f"fuzz_factor must be in [0, 1], got {self.fuzz_factor!r}")
        if not self.backoff_factor >= 1.0:
            problems.append(f"backoff_factor must be >= 1, got {self.backoff_factor!r}")
        for name in (
            "base_delay_s",
            "max_delay_s",
            "timeout_s",
            "connect_timeout_s",
            "first_byte_timeout_s",
            "stall_timeout_s",
            "max_retry_after_s",
        ):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and value >= 0 and not math.isnan(value)):
                problems.append(f"{name} must be a number >= 0, got {value!r}")
        if problems:
            raise PlayerError(Code.INVALID_CONFIG, "invalid RetryPolicy: " + "; ".join(problems))

    def delay_s(self, retry: int, rng: random.Random | None = None) -> float:
        """The wait before retry number ``retry`` (1 is the first retry, the second round).

        ``base_delay_s * backoff_factor ** (retry - 1)``, fuzzed by ``fuzz_factor`` and
        capped at ``max_delay_s``.
        """
        if retry < 1:
            return 0.0
        unfuzzed = self.base_delay_s * self.backoff_factor ** (retry - 1)
        r = (rng or random).random()
        fuzzed = unfuzzed * (1.0 + (2.0 * r - 1.0) * self.fuzz_factor)
        return min(max(fuzzed, 0.0), self.max_delay_s)


def limit(seconds: float) -> float | None:
    """A timeout as a deadline offset, None when disabled (0 or infinite)."""
    return None if seconds <= 0 or math.isinf(seconds) else seconds
