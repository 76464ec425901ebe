"""The player's network settings: :class:`NetworkConfig`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from player.errors import Code, PlayerError
from player.net.origins import DEFAULT_PENALTY_S
from player.net.request import RequestFilter, RequestType, ResponseFilter
from player.net.retry import RetryPolicy


@dataclass(frozen=True, slots=True)
class NetworkConfig:
    """Everything the :class:`~player.net.Fetcher` needs to know, with its defaults.

    ============================ ============== ==========================================
    field                        default        meaning
    ============================ ============== ==========================================
    ``retry``                    RetryPolicy()  attempts, backoff and timeouts (see
                                                :class:`RetryPolicy`: Shaka's 2 attempts,
                                                1 s base delay, x2 backoff, 0.5 fuzz, 30 s
                                                per attempt; connect 10 s, first byte
                                                10 s, stall 5 s)
    ``retry_by_type``            {}             a different policy per request type
    ``origin_penalty_s``         30.0           how long a failing origin is kept aside
    ``alternate_origins``        ()             base URLs of mirror CDNs, tried after the
                                                manifest's own URLs
    ``request_filters``          ()             run on every attempt, in order
    ``response_filters``         ()             run on every successful response
    ``max_connections``          32             connection pool size of the session
    ``max_connections_per_host`` 6              as browsers do
    ``keepalive_s``              15.0           idle pooled connections are closed after
    ``read_bufsize``             262144         socket read buffer per response (bytes)
    ``max_response_bytes``       512 MiB        a larger body fails (RESPONSE_TOO_LARGE)
    ``user_agent``               abrkit/0.1
    ============================ ============== ==========================================
    """

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    retry_by_type: Mapping[RequestType, RetryPolicy] = field(default_factory=dict)
    origin_penalty_s: float = DEFAULT_PENALTY_S
    alternate_origins: tuple[str, ...] = ()
    request_filters: tuple[RequestFilter, ...] = ()
    response_filters: tuple[ResponseFilter, ...] = ()
    max_connections: int = 32
    max_connections_per_host: int = 6
    keepalive_s: float = 15.0
    read_bufsize: int = 256 * 1024
    max_response_bytes: int = 512 * 1024 * 1024
    user_agent: str = "abrkit/0.1"

    def __post_init__(self) -> None:
        problems = []
        if self.origin_penalty_s < 0:
            problems.append("origin_penalty_s must be >= 0")
        if self.max_connections < 1 or self.max_connections_per_host < 0:
            problems.append("max_connections must be >= 1, max_connections_per_host >= 0")
        if self.read_bufsize < 1024:
            problems.append("read_bufsize must be >= 1024")
        if self.max_response_bytes < 0:
            problems.append("max_response_bytes must be >= 0")
        if isinstance(self.alternate_origins, str):
            problems.append("alternate_origins must be a sequence of base URLs, not a string")
        if problems:
            raise PlayerError(Code.INVALID_CONFIG, "invalid NetworkConfig: " + "; ".join(problems))

    def retry_for(self, request_type: RequestType) -> RetryPolicy:
        """The retry policy for one type of request."""
        return self.retry_by_type.get(request_type, self.retry)
