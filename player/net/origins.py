"""Several origins per resource: which to try first, and which are penalised.

A resource can come from several places: DASH BaseURLs, HLS redundant variants, or a
configured list of alternative CDNs (:func:`with_alternates`). :class:`OriginHealth`
remembers which origins failed recently and orders the candidates so that requests go
to healthy origins first; a penalised origin is still tried as a last resort, so a
resource fails only when every origin fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from urllib.parse import urlsplit, urlunsplit

from yarl import URL

DEFAULT_PENALTY_S = 30.0  # dash.js and Shaka keep a failed BaseURL aside for about this


def origin_of(url: str) -> str:
    """The origin a URL belongs to: ``scheme://host:port`` (default ports made explicit).

    A URL that cannot be parsed is its own origin, so it is still tracked (and fails with
    a typed error when fetched).
    """
    try:
        u = URL(url)
    except (ValueError, TypeError):
        return url
    if not u.scheme or not u.host:
        return url
    return str(u.origin())


def with_alternates(urls: Sequence[str], alternates: Sequence[str]) -> list[str]:
    """``urls`` followed by the first URL moved onto each alternative base URL.

    An alternate is a base such as ``https://cdn-b.example.com`` or
    ``https://cdn-b.example.com/mirror``: its scheme, host and port replace the URL's, and
    its path (if any) is put in front of the URL's path. Duplicates are dropped, the
    first occurrence kept.
    """
    out: list[str] = []
    seen: set[str] = set()

    def add(u: str) -> None:
        if u not in seen:
            seen.add(u)
            out.append(u)

    for u in urls:
        add(u)
    if urls and alternates:
        # urlsplit keeps path and query exactly as given, so signed tokens pass unchanged
        src = urlsplit(urls[0])
        if src.scheme and src.netloc:
            for alt in alternates:
                base = urlsplit(alt)
                path = base.path.rstrip("/") + src.path
                add(urlunsplit((base.scheme, base.netloc, path, src.query, "")))
    return out


class OriginHealth:
    """Penalties of failing origins, shared by every request of one player.

    ``penalise(url)`` keeps the URL's origin aside for ``penalty_s`` (default 30 s);
    ``order(urls)`` puts healthy origins first in their given order, then penalised ones,
    the one whose penalty ends soonest first; ``reward(url)`` lifts a penalty at once
    (the origin just served). ``clock`` is injectable for tests.
    """

    def __init__(
        self, penalty_s: float = DEFAULT_PENALTY_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.penalty_s = penalty_s
        self._clock = clock
        self._until: dict[str, float] = {}
        self._failures: dict[str, int] = {}

    def penalise(self, url: str) -> None:
        """Mark the URL's origin as failing for ``penalty_s`` from now."""
        key = origin_of(url)
        self._until[key] = self._clock() + self.penalty_s
        self._failures[key] = self._failures.get(key, 0) + 1

    def reward(self, url: str) -> None:
        """The URL's origin served: lift its penalty."""
        self._until.pop(origin_of(url), None)

    def is_healthy(self, url: str) -> bool:
        """True when the URL's origin is not penalised now."""
        until = self._until.get(origin_of(url))
        if until is None:
            return True
        if until <= self._clock():
            del self._until[origin_of(url)]
            return True
        return False

    def failures(self, url: str) -> int:
        """How many times the URL's origin was penalised (for stats)."""
        return self._failures.get(origin_of(url), 0)

    def penalised(self) -> dict[str, float]:
        """Origins penalised now, with the clock time their penalty ends."""
        now = self._clock()
        return {k: v for k, v in self._until.items() if v > now}

    def order(self, urls: Iterable[str]) -> list[str]:
        """The URLs in the order to try them: healthy first, then by penalty end."""
        healthy: list[str] = []
        sick: list[tuple[float, int, str]] = []
        for i, u in enumerate(urls):
            if self.is_healthy(u):
                healthy.append(u)
            else:
                sick.append((self._until[origin_of(u)], i, u))
        sick.sort()
        return healthy + [u for _, _, u in sick]
