"""A real ClearKey license server on aiohttp, with a policy and failure switches for tests.

``POST /license`` takes the ClearKey JSON request and answers the JWK Set license for the
KIDs it knows (unknown KIDs are left out, as the EME spec has servers do). Beyond
ClearKey, which carries no expiry, the server can state a license duration, a playback
window and a renewal interval in the documented ``"abrkit"`` extension object (see
:mod:`drm.clearkey`). For tests it can refuse (403 with a reason), delay, fail with a 5xx
(always or the next N requests), or go down altogether; every request is logged as
received in :attr:`ClearKeyLicenseServer.requests`.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import TracebackType

from aiohttp import web

from drm.clearkey import b64url_encode, build_license, parse_license_request

MAX_REQUEST_BYTES = 64 * 1024
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")


@dataclass(frozen=True, slots=True)
class LicensePolicy:
    """What the server grants and how it misbehaves.

    ``license_duration_s``: licenses expire this long after issue; ``playback_window_s``:
    playback may last this long once started; ``renewal_interval_s``: the client should
    renew this often. ``refuse``: answer 403 with this reason; ``delay_s``: wait before
    answering; ``fail_status``: answer this HTTP status (``fail_count`` times, or always
    when None).
    """

    license_duration_s: float | None = None
    playback_window_s: float | None = None
    renewal_interval_s: float | None = None
    refuse: str | None = None
    delay_s: float = 0.0
    fail_status: int | None = None
    fail_count: int | None = None


def parse_duration(text: str) -> float:
    """Seconds in ``"90"``, ``"90s"``, ``"250ms"``, ``"10m"``, ``"48h"``, ``"30d"``."""
    m = _DURATION.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a duration (like 30s, 10m, 48h, 30d)")
    return float(m.group(1)) * _UNITS[m.group(2) or "s"]


def parse_policy(text: str) -> LicensePolicy:
    """A policy from the CLI's ``--policy`` text: comma-separated items of
    ``duration=30d``, ``window=48h``, ``renew=10m``, ``refuse`` or ``refuse=REASON``,
    ``delay=2s``, ``fail=500`` or ``fail=503x2`` (the next two requests only)."""
    policy = LicensePolicy()
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, value = item.partition("=")
        name = name.strip().lower()
        if name == "duration":
            policy = replace(policy, license_duration_s=parse_duration(value))
        elif name == "window":
            policy = replace(policy, playback_window_s=parse_duration(value))
        elif name == "renew":
            policy = replace(policy, renewal_interval_s=parse_duration(value))
        elif name == "refuse":
            policy = replace(policy, refuse=value.strip() or "refused by policy")
        elif name == "delay":
            policy = replace(policy, delay_s=parse_duration(value))
        elif name == "fail":
            status, _, count = value.partition("x")
            if not status.strip().isdigit() or not 400 <= int(status) <= 599:
                raise ValueError(f"fail={value!r}: give an HTTP error status like 500 or 503x2")
            if count and not count.strip().isdigit():
                raise ValueError(f"fail={value!r}: the count after 'x' is a whole number")
            policy = replace(
                policy, fail_status=int(status), fail_count=int(count) if count else None
            )
        else:
            raise ValueError(
                f"unknown policy item {item!r} "
                "(known: duration, window, renew, refuse, delay, fail)"
            )
    return policy


def parse_keys(keys: Mapping[str, str]) -> dict[bytes, bytes]:
    """``{kid_hex: key_hex}`` (dashes allowed) as bytes; anything else is ``ValueError``."""
    if not isinstance(keys, Mapping):
        raise ValueError("keys must be a JSON object mapping KID hex to key hex")
    out: dict[bytes, bytes] = {}
    for kid, key in keys.items():
        k = str(kid).replace("-", "")
        v = str(key).replace("-", "") if isinstance(key, str) else ""
        if not _HEX32.match(k) or not _HEX32.match(v):
            raise ValueError(f"key entry {kid!r}: KID and key must each be 32 hex digits")
        out[bytes.fromhex(k)] = bytes.fromhex(v)
    return out


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """One request as the server received it, and the status it answered."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    kids: tuple[bytes, ...] = ()
    session_type: str | None = None
    release: bool = False

    def json(self) -> object:
        """The body parsed as JSON."""
        return json.loads(self.body)


class ClearKeyLicenseServer:
    """The ClearKey license server; an async context manager serving on ``host:port``.

    ``keys`` maps KID hex to key hex. Port 0 picks a free port; :attr:`url` is the
    license URL once started.
    """

    def __init__(
        self,
        keys: Mapping[str, str],
        policy: LicensePolicy | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = parse_keys(keys)
        self.policy = policy or LicensePolicy()
        self.host = host
        self.port = port
        self.clock = clock
        self.requests: list[ReceivedRequest] = []
        self._runner: web.AppRunner | None = None
        self._failures_left: int | None = None

    @property
    def url(self) -> str:
        """The license URL."""
        return f"http://{self.host}:{self.port}/license"

    @property
    def running(self) -> bool:
        """Whether the server is listening."""
        return self._runner is not None

    async def __aenter__(self) -> ClearKeyLicenseServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Listen (again) on ``host:port``."""
        if self._runner is not None:
            return
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_post("/license", self._handle)
        app.router.add_post("/", self._handle)
        app.router.add_route("OPTIONS", "/license", self._preflight)
        # A short shutdown: in-flight (delayed) answers are dropped when the server goes down.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self.port = runner.addresses[0][1]
        self._runner = runner

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    # Test controls: each replaces part of the policy at run time.

    async def go_down(self) -> None:
        """Stop listening: clients now find nothing on the port."""
        await self.stop()

    async def come_up(self) -> None:
        """Listen again on the same port."""
        await self.start()

    def refuse(self, reason: str = "refused by policy") -> None:
        """Answer 403 with ``reason`` from now on."""
        self.policy = replace(self.policy, refuse=reason)

    def delay(self, seconds: float) -> None:
        """Wait ``seconds`` before each answer."""
        self.policy = replace(self.policy, delay_s=seconds)

    def fail(self, status: int = 500, count: int | None = None) -> None:
        """Answer ``status`` (to the next ``count`` requests, or always)."""
        self.policy = replace(self.policy, fail_status=status, fail_count=count)
        self._failures_left = None

    def healthy(self) -> None:
        """Forget refuse/delay/fail (the grant terms stay)."""
        self.policy = replace(
            self.policy, refuse=None, delay_s=0.0, fail_status=None, fail_count=None
        )

    # -- handlers ---------------------------------------------------------------------

    async def _preflight(self, request: web.Request) -> web.Response:
        return web.Response(status=204, headers=_cors())

    async def _handle(self, request: web.Request) -> web.Response:
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._answer(request, b"", 413, {"error": "request too large"})
        policy = self.policy
        if policy.delay_s > 0:
            await asyncio.sleep(policy.delay_s)
        if policy.fail_status is not None:
            if self._failures_left is None:
                self._failures_left = policy.fail_count
            if self._failures_left is None or self._failures_left > 0:
                if self._failures_left is not None:
                    self._failures_left -= 1
                return self._answer(
                    request, body, policy.fail_status, {"error": "injected failure"}
                )
        if policy.refuse is not None:
            return self._answer(request, body, 403, {"error": "refused", "reason": policy.refuse})
        try:
            kids, session_type, release = parse_license_request(body)
        except ValueError as exc:
            return self._answer(request, body, 400, {"error": "bad request", "reason": str(exc)})
        if release:
            answer = {"kids": [b64url_encode(k) for k in kids]}
            return self._answer(request, body, 200, answer, kids, session_type, True)
        now = self.clock()
        granted = {k: self.keys[k] for k in kids if k in self.keys}
        license_bytes = build_license(
            granted,
            session_type,
            issued_at=now,
            expires_at=(
                now + policy.license_duration_s if policy.license_duration_s is not None else None
            ),
            playback_window_s=policy.playback_window_s,
            renewal_interval_s=policy.renewal_interval_s,
        )
        return self._answer(request, body, 200, license_bytes, kids, session_type)

    def _answer(
        self,
        request: web.Request,
        body: bytes,
        status: int,
        payload: object,
        kids: list[bytes] | None = None,
        session_type: str | None = None,
        release: bool = False,
    ) -> web.Response:
        self.requests.append(
            ReceivedRequest(
                request.method,
                request.path,
                dict(request.headers),
                body,
                status,
                tuple(kids or ()),
                session_type,
                release,
            )
        )
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return web.Response(
            status=status, body=data, content_type="application/json", headers=_cors()
        )


def _cors() -> dict[str, str]:
    # Browsers' EME apps may call this server from another origin during development.
    return {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Headers": "Content-Type, Authorization",
        "Access-Control-Allow-Methods": "POST, OPTIONS",
    }
