"""Fault injection for the shaped origin: the spec grammar, its parser, the injector.

Grammar of a fault spec (``--faults``), items separated by commas, order free::

    5xx=P[:STATUS]          answer STATUS (500-599, default 503) instead of the resource
    reset=P                 send the headers and half the body, then a TCP reset (RST)
    truncate=P              send the headers (full Content-Length) and half the body,
                            then close the connection cleanly (FIN): a short body
    stall=P:DUR             send half the body, pause DUR, then send the rest
    corrupt=P               send the full body (status and length as usual) with its bytes
                            replaced by garbage: a damaged segment, not a network error
    slow-first-byte=P:DUR   wait DUR more before the response headers
    outage=DUR@AT           the whole server is down for DUR starting AT after it started;
                            may be given several times
    every=DUR               repeat the outage schedule with this period
    paths=GLOB[|GLOB...]    only requests whose URL path matches a glob get the P faults
                            (outages hit everything), e.g. paths=*.m4s|*.mp4
    seed=N                  seed of the fault RNG (``--seed`` overrides it)

``P`` is a probability in [0, 1]; per request at most one of the P faults is drawn, so
the P's must sum to at most 1. ``DUR`` is a number with a unit, ``s`` or ``ms``
(``2s``, ``250ms``, ``1.5s``). Outage times are wall-clock seconds since the origin
started; they are *not* stretched by the origin's time scale. While the server is down it
accepts connections and resets them without a response (clients see a reset / server
disconnect), and responses in flight are reset at their next chunk.

Example: ``5xx=0.05,reset=0.02,truncate=0.02,stall=0.01:2s,slow-first-byte=0.1:1s,
outage=10s@30s,every=60s,paths=*.m4s``.

Bad specs raise ``PlayerError(INVALID_ARGUMENT)`` naming the offending item.
"""

from __future__ import annotations

import enum
import fnmatch
import math
import random
import re
from dataclasses import dataclass, field

from player.errors import Code, PlayerError


class FaultKind(enum.StrEnum):
    """A kind of injected fault; the value is its name in the spec and in stats."""

    ERROR_5XX = "5xx"
    RESET = "reset"
    TRUNCATE = "truncate"
    STALL = "stall"
    SLOW_FIRST_BYTE = "slow-first-byte"
    CORRUPT = "corrupt"
    OUTAGE = "outage"


@dataclass(frozen=True, slots=True)
class Outage:
    """The server is down from ``at_s`` for ``duration_s`` (seconds since start)."""

    at_s: float
    duration_s: float


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """A parsed fault spec (see the module docstring for the grammar)."""

    error_rate: float = 0.0
    error_status: int = 503
    reset_rate: float = 0.0
    truncate_rate: float = 0.0
    stall_rate: float = 0.0
    stall_s: float = 0.0
    slow_first_byte_rate: float = 0.0
    slow_first_byte_s: float = 0.0
    corrupt_rate: float = 0.0
    outages: tuple[Outage, ...] = ()
    every_s: float | None = None
    paths: tuple[str, ...] = ()
    seed: int | None = None

    def __post_init__(self) -> None:
        rates = (
            self.error_rate,
            self.reset_rate,
            self.truncate_rate,
            self.stall_rate,
            self.slow_first_byte_rate,
            self.corrupt_rate,
        )
        if any(not (0.0 <= r <= 1.0) for r in rates):
            raise _bad("", "probabilities must be within [0, 1]")
        if sum(rates) > 1.0 + 1e-9:
            raise _bad("", f"the fault probabilities sum to {sum(rates):g} > 1")
        if not 500 <= self.error_status <= 599:
            raise _bad("", f"5xx status must be 500-599, not {self.error_status}")
        if self.every_s is not None:
            if self.every_s <= 0:
                raise _bad("", "every= must be > 0")
            for o in self.outages:
                if o.at_s + o.duration_s > self.every_s:
                    raise _bad(
                        "",
                        f"outage {o.duration_s:g}s@{o.at_s:g}s does not fit in "
                        f"every={self.every_s:g}s",
                    )

    @classmethod
    def parse(cls, text: str) -> FaultSpec:
        """Parse a spec string; ``""`` is no faults."""
        return parse_faults(text)

    def is_down(self, t: float) -> bool:
        """Whether the schedule has the server down at ``t`` seconds since start."""
        if not self.outages:
            return False
        if self.every_s is not None:
            t = t % self.every_s
        return any(o.at_s <= t < o.at_s + o.duration_s for o in self.outages)

    def matches(self, path: str) -> bool:
        """Whether the probabilistic faults apply to a request for this URL path."""
        if not self.paths:
            return True
        name = path.rsplit("/", 1)[-1]
        return any(fnmatch.fnmatchcase(path, g) or fnmatch.fnmatchcase(name, g) for g in self.paths)

    def __str__(self) -> str:
        items: list[str] = []
        if self.error_rate:
            items.append(f"5xx={self.error_rate:g}:{self.error_status}")
        if self.reset_rate:
            items.append(f"reset={self.reset_rate:g}")
        if self.truncate_rate:
            items.append(f"truncate={self.truncate_rate:g}")
        if self.stall_rate:
            items.append(f"stall={self.stall_rate:g}:{self.stall_s:g}s")
        if self.slow_first_byte_rate:
            items.append(
                f"slow-first-byte={self.slow_first_byte_rate:g}:{self.slow_first_byte_s:g}s"
            )
        if self.corrupt_rate:
            items.append(f"corrupt={self.corrupt_rate:g}")
        items += [f"outage={o.duration_s:g}s@{o.at_s:g}s" for o in self.outages]
        if self.every_s is not None:
            items.append(f"every={self.every_s:g}s")
        if self.paths:
            items.append("paths=" + "|".join(self.paths))
        if self.seed is not None:
            items.append(f"seed={self.seed}")
        return ",".join(items)


def _bad(item: str, why: str) -> PlayerError:
    where = f" in {item!r}" if item else ""
    return PlayerError(Code.INVALID_ARGUMENT, f"bad fault spec{where}: {why}", data={"item": item})


_DUR = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(ms|s)\s*$")


def _duration(text: str, item: str) -> float:
    m = _DUR.match(text)
    if not m:
        raise _bad(item, f"{text!r} is not a duration like 2s or 250ms")
    value = float(m.group(1))
    return value / 1000 if m.group(2) == "ms" else value


def _prob(text: str, item: str) -> float:
    try:
        p = float(text)
    except ValueError:
        raise _bad(item, f"{text!r} is not a probability") from None
    if not (math.isfinite(p) and 0.0 <= p <= 1.0):
        raise _bad(item, f"probability {text} is not within [0, 1]")
    return p


def _prob_and_duration(value: str, item: str) -> tuple[float, float]:
    p, sep, d = value.partition(":")
    if not sep:
        raise _bad(item, "needs P:DURATION, e.g. 0.1:2s")
    return _prob(p, item), _duration(d, item)


def parse_faults(text: str) -> FaultSpec:
    """Parse a fault spec string into a :class:`FaultSpec` (grammar in the module doc)."""
    kw: dict[str, object] = {}
    outages: list[Outage] = []
    seen: set[str] = set()
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            continue
        key, eq, value = item.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not eq or not value:
            raise _bad(item, "expected KEY=VALUE")
        if key in seen and key != "outage":
            raise _bad(item, f"{key} given twice")
        seen.add(key)
        if key == "5xx":
            p, sep, status = value.partition(":")
            kw["error_rate"] = _prob(p, item)
            if sep:
                if not status.strip().isdigit():
                    raise _bad(item, f"{status!r} is not an HTTP status")
                kw["error_status"] = int(status)
        elif key == "reset":
            kw["reset_rate"] = _prob(value, item)
        elif key == "truncate":
            kw["truncate_rate"] = _prob(value, item)
        elif key == "stall":
            kw["stall_rate"], kw["stall_s"] = _prob_and_duration(value, item)
        elif key == "slow-first-byte":
            kw["slow_first_byte_rate"], kw["slow_first_byte_s"] = _prob_and_duration(value, item)
        elif key == "corrupt":
            kw["corrupt_rate"] = _prob(value, item)
        elif key == "outage":
            dur, at_sep, at = value.partition("@")
            if not at_sep:
                raise _bad(item, "needs DURATION@START, e.g. outage=10s@30s")
            outages.append(Outage(at_s=_duration(at, item), duration_s=_duration(dur, item)))
        elif key == "every":
            kw["every_s"] = _duration(value, item)
        elif key == "paths":
            globs = tuple(g.strip() for g in value.split("|") if g.strip())
            if not globs:
                raise _bad(item, "no path pattern")
            kw["paths"] = globs
        elif key == "seed":
            try:
                kw["seed"] = int(value)
            except ValueError:
                raise _bad(item, f"{value!r} is not an integer") from None
        else:
            raise _bad(
                item,
                f"unknown fault {key!r} (known: 5xx, reset, truncate, stall, "
                "slow-first-byte, corrupt, outage, every, paths, seed)",
            )
    if "every" in seen and not outages:
        raise _bad("every", "every= needs at least one outage=")
    return FaultSpec(outages=tuple(outages), **kw)  # type: ignore[arg-type]


@dataclass(slots=True)
class FaultInjector:
    """Draws the fault for each request from a seeded RNG (one draw per matching
    request, so a sequential test sees the same faults on every run)."""

    spec: FaultSpec
    seed: int | None = None
    _rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed if self.seed is not None else self.spec.seed)

    def draw(self, path: str) -> FaultKind | None:
        """The fault for a request of this URL path, or None."""
        s = self.spec
        if not self.spec.matches(path):
            return None
        u = self._rng.random()
        for kind, p in (
            (FaultKind.ERROR_5XX, s.error_rate),
            (FaultKind.RESET, s.reset_rate),
            (FaultKind.TRUNCATE, s.truncate_rate),
            (FaultKind.STALL, s.stall_rate),
            (FaultKind.SLOW_FIRST_BYTE, s.slow_first_byte_rate),
            (FaultKind.CORRUPT, s.corrupt_rate),
        ):
            if u < p:
                return kind
            u -= p
        return None
