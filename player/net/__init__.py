"""The network layer: the segment :class:`Fetcher`, retries, origin failover, filters.

Typical use, one fetcher per player::

    async with Fetcher(NetworkConfig()) as fetcher:
        result = await fetcher.fetch(segment.urls, byte_range=segment.byte_range,
                                     on_progress=..., cancel=token)
        estimator.add_sample(result.sample())
"""

from player.net.cancel import CancelToken
from player.net.config import NetworkConfig
from player.net.fetcher import Download, Fetcher
from player.net.filters import (
    append_query,
    header_filter,
    hmac_signer,
    query_filter,
    sign_url,
    verify_signed_url,
)
from player.net.origins import OriginHealth, origin_of, with_alternates
from player.net.request import (
    FetchResult,
    Progress,
    ProgressCallback,
    Request,
    RequestFilter,
    RequestType,
    ResponseFilter,
)
from player.net.retry import RetryPolicy

__all__ = [
    "CancelToken",
    "Download",
    "FetchResult",
    "Fetcher",
    "NetworkConfig",
    "OriginHealth",
    "Progress",
    "ProgressCallback",
    "Request",
    "RequestFilter",
    "RequestType",
    "ResponseFilter",
    "RetryPolicy",
    "append_query",
    "header_filter",
    "hmac_signer",
    "origin_of",
    "query_filter",
    "sign_url",
    "verify_signed_url",
    "with_alternates",
]
