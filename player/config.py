"""PlayerConfig: the one configuration object of the Player, with documented defaults.

Like Shaka's ``player.configure({...})`` it groups everything a session can tune:

- ``buffer`` (:class:`~player.buffer.BufferGoals`): start 2 s, resume 4 s, goal 30 s,
  behind 30 s, cap 200 MiB;
- ``streaming`` (:class:`StreamingConfig`): retries, origin failover, live delay,
  autoplay, abandonment;
- ``abr`` (:class:`AbrConfig`): policy and estimator names (from :mod:`abr`'s registry)
  with their parameters, the start-up estimate and the bandwidth cache;
- ``network``: the fetcher's own configuration (``player.net``), passed through;
- ``cmcd`` (:class:`CmcdConfig`), ``analytics`` (:class:`AnalyticsConfig`);
- ``preferences`` (:class:`Preferences`): audio and text language, codec preference,
  a height cap;
- ``drm`` (:class:`DrmConfig`): key system, license server (an override, or one per key
  system like Shaka's ``drm.servers``), request headers, keys known up front.

The full table with every default is in ``docs/PLAYER.md``. Build one with keyword
arguments, or from a plain dict with :meth:`PlayerConfig.from_dict` (unknown keys raise
``PlayerError(INVALID_CONFIG)``, so a typo never goes unnoticed).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from player.buffer import BufferGoals
from player.capabilities import DEFAULT_CODEC_PREFERENCE
from player.errors import Code, PlayerError

__all__ = [
    "AbrConfig",
    "AnalyticsConfig",
    "CmcdConfig",
    "DrmConfig",
    "PlayerConfig",
    "Preferences",
    "StreamingConfig",
]


def _check(cond: bool, message: str) -> None:
    if not cond:
        raise PlayerError(Code.INVALID_CONFIG, message)


@dataclass(frozen=True, slots=True)
class StreamingConfig:
    """How the engine fetches, retries, fails over and follows live streams.

    ``max_attempts``: tries per segment across all origins before a fatal error (4).
    ``retry_delay_s`` / ``retry_max_delay_s``: backoff between tries (0.5 s doubling, at
    most 8 s). ``origin_penalty_s``: how long an origin that failed is tried last (30 s).
    ``refresh_on_failover``: once every origin of a segment failed, refetch the manifest
    before trying again (True). ``live_delay_s``: distance from the live edge (None:
    the manifest's suggestedPresentationDelay, else 3 target durations / segments).
    ``autoplay``: start playing as soon as ``buffer.start_s`` is buffered (True).
    ``abandon``: let the ABR policy abandon an in-flight download (True).
    ``audio_switch_margin_s``: audio already buffered this far ahead of the playhead is
    kept on a language switch, so the switch takes effect without a stall (2 s).
    ``retry_while_buffered``: a failing segment is tried past ``max_attempts`` as long as
    the buffer ahead outlasts the next backoff, so an outage shorter than the buffer is
    ridden out; the error is fatal only once waiting longer would stall (ExoPlayer's
    behaviour; True).
    ``manual_switch_margin_s``: on a manual rung choice (``select_quality(q)``), media
    buffered beyond the segment playing and this margin is dropped and fetched again at
    the chosen rung, so the choice shows within about a segment (Shaka's clearBuffer with
    a safe margin; 1 s). None keeps the buffer (the choice shows once it has played out).
    Going back to ABR never drops anything.
    """

    max_attempts: int = 4
    retry_delay_s: float = 0.5
    retry_max_delay_s: float = 8.0
    origin_penalty_s: float = 30.0
    refresh_on_failover: bool = True
    live_delay_s: float | None = None
    autoplay: bool = True
    abandon: bool = True
    audio_switch_margin_s: float = 2.0
    retry_while_buffered: bool = True
    manual_switch_margin_s: float | None = 1.0

    def __post_init__(self) -> None:
        _check(self.max_attempts >= 1, "streaming.max_attempts must be >= 1")
        _check(self.retry_delay_s >= 0, "streaming.retry_delay_s must be >= 0")
        _check(self.retry_max_delay_s >= 0, "streaming.retry_max_delay_s must be >= 0")
        _check(self.origin_penalty_s >= 0, "streaming.origin_penalty_s must be >= 0")
        _check(
            self.live_delay_s is None or self.live_delay_s >= 0,
            "streaming.live_delay_s must be >= 0",
        )
        _check(self.audio_switch_margin_s >= 0, "streaming.audio_switch_margin_s must be >= 0")
        _check(
            self.manual_switch_margin_s is None or self.manual_switch_margin_s >= 0,
            "streaming.manual_switch_margin_s must be >= 0",
        )


@dataclass(frozen=True, slots=True)
class AbrConfig:
    """Which ABR policy and throughput estimator run, and how the first choice is made.

    ``policy`` / ``estimator`` are names in :mod:`abr`'s registry (``throughput``,
    ``bola``, ``hybrid``, ``bba``, ``mpc``; ``ewma``, ...), with keyword ``params``.
    ``default_bandwidth_bps`` is the estimate before any sample when the bandwidth
    cache knows nothing about the host (None: let the policy start low).
    ``min_sample_bytes``: downloads smaller than this are not fed to the estimator (they
    measure latency, not throughput). ``use_bandwidth_cache``: seed the first choice with
    the last session's estimate for the same origin host, kept in
    ``bandwidth_cache_path`` (None: ``$XDG_CACHE_HOME/abrkit/bandwidth.json``).
    ``first_quality``: the video rung of the first segment, fixed without asking the
    policy (Pensieve's simulator starts at rung 1); None lets the policy choose.
    """

    policy: str = "throughput"
    params: Mapping[str, Any] = field(default_factory=dict)
    estimator: str = "ewma"
    estimator_params: Mapping[str, Any] = field(default_factory=dict)
    default_bandwidth_bps: float | None = None
    min_sample_bytes: int = 4096
    use_bandwidth_cache: bool = True
    bandwidth_cache_path: str | None = None
    first_quality: int | None = None

    def __post_init__(self) -> None:
        _check(bool(self.policy), "abr.policy must name a policy")
        _check(bool(self.estimator), "abr.estimator must name an estimator")
        d = self.default_bandwidth_bps
        _check(
            d is None or (math.isfinite(d) and d > 0),
            "abr.default_bandwidth_bps must be > 0",
        )
        _check(self.min_sample_bytes >= 0, "abr.min_sample_bytes must be >= 0")
        _check(
            self.first_quality is None or self.first_quality >= 0,
            "abr.first_quality must be >= 0",
        )


@dataclass(frozen=True, slots=True)
class CmcdConfig:
    """Common Media Client Data (CTA-5004) on segment requests, as Shaka and dash.js send.

    ``mode``: ``"query"`` (a ``CMCD=`` query parameter) or ``"headers"`` (CMCD-Request,
    -Object, -Status, -Session). ``content_id``: the ``cid`` key (None: omitted).
    ``session_id``: the ``sid`` key (None: a random UUID per Player session).
    """

    enabled: bool = False
    mode: Literal["query", "headers"] = "query"
    content_id: str | None = None
    session_id: str | None = None

    def __post_init__(self) -> None:
        _check(
            self.mode in ("query", "headers"), f"cmcd.mode must be query or headers: {self.mode}"
        )


@dataclass(frozen=True, slots=True)
class AnalyticsConfig:
    """Where every event goes, with its time.

    ``path``: append JSON lines to this file. ``callback``: called with a list of event
    records (dicts), batched. ``batch_size`` records or ``flush_interval_s`` seconds,
    whichever comes first, trigger a flush; closing the Player flushes the rest.
    """

    path: str | None = None
    callback: Callable[[list[dict[str, Any]]], None] | None = None
    batch_size: int = 32
    flush_interval_s: float = 5.0

    def __post_init__(self) -> None:
        _check(self.batch_size >= 1, "analytics.batch_size must be >= 1")
        _check(self.flush_interval_s > 0, "analytics.flush_interval_s must be > 0")

    @property
    def enabled(self) -> bool:
        """Whether any sink is configured."""
        return self.path is not None or self.callback is not None


@dataclass(frozen=True, slots=True)
class Preferences:
    """What the user would rather have.

    ``audio_language`` / ``text_language``: BCP 47 tags or prefixes (``"en"`` matches
    ``"en-US"``); None: the manifest's default (first) audio, and no text.
    ``codec_preference``: video codec families, preferred first, among those that decode
    here (default AV1, HEVC, VP9, H.264, VP8: most efficient first).
    ``max_height``: rungs taller than this (the display) are never chosen; the lowest
    rung is kept even if it is taller.
    """

    audio_language: str | None = None
    text_language: str | None = None
    codec_preference: tuple[str, ...] = DEFAULT_CODEC_PREFERENCE
    max_height: int | None = None

    def __post_init__(self) -> None:
        _check(self.max_height is None or self.max_height > 0, "preferences.max_height must be > 0")


def _is_hex16(text: str) -> bool:
    try:
        return len(bytes.fromhex(text.replace("-", "").strip())) == 16
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class DrmConfig:
    """How the Player gets content keys for protected media (Shaka's ``drm`` section).

    ``key_system``: the EME key system to use (``"org.w3.clearkey"``,
    ``"com.widevine.alpha"``, ...); None: the first system the manifest signals that has a
    server in ``servers``, else ClearKey when the manifest signals ClearKey, the common
    PSSH or nothing at all. ``license_url``: overrides every other license URL (``abrkit
    play --license-url``). ``servers``: license URL per key system, over the one the
    manifest names (as in Shaka). ``headers``: added to every license request.
    ``clear_keys``: content keys known up front (KID hex -> key hex, Shaka's
    ``drm.clearKeys``): no license is asked for them. ``max_attempts`` /
    ``retry_delay_s`` / ``timeout_s``: license request retries (Shaka's
    ``drm.retryParameters``: 2, 1 s doubling, 30 s). ``verify_keys``: before the first
    media of each KID reaches a decoding sink, decode its first sample with the key and
    refuse a key that does not decrypt it (``DECRYPTION_FAILED``) instead of showing
    garbage frames (True).
    """

    key_system: str | None = None
    license_url: str | None = None
    servers: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    clear_keys: Mapping[str, str] = field(default_factory=dict)
    max_attempts: int = 2
    retry_delay_s: float = 1.0
    timeout_s: float = 30.0
    verify_keys: bool = True

    def __post_init__(self) -> None:
        _check(self.key_system is None or bool(self.key_system), "drm.key_system must not be empty")
        for name in ("servers", "headers", "clear_keys"):
            value = getattr(self, name)
            _check(
                isinstance(value, Mapping)
                and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()),
                f"drm.{name} must map strings to strings",
            )
        for kid, key in self.clear_keys.items():
            _check(
                _is_hex16(kid) and _is_hex16(key),
                f"drm.clear_keys: {kid!r} is not a 16-byte KID with a 16-byte key (32 hex digits)",
            )
        _check(self.max_attempts >= 1, "drm.max_attempts must be >= 1")
        _check(self.retry_delay_s >= 0, "drm.retry_delay_s must be >= 0")
        _check(self.timeout_s > 0, "drm.timeout_s must be > 0")


@dataclass(frozen=True, slots=True)
class PlayerConfig:
    """Every setting of a Player session, grouped; see the module docstring and
    ``docs/PLAYER.md`` for the defaults. All parts are immutable: derive a changed
    config with ``dataclasses.replace`` or :meth:`from_dict`."""

    buffer: BufferGoals = field(default_factory=BufferGoals)
    streaming: StreamingConfig = field(default_factory=StreamingConfig)
    abr: AbrConfig = field(default_factory=AbrConfig)
    network: Any = None  # player.net's NetworkConfig; None: its defaults
    cmcd: CmcdConfig = field(default_factory=CmcdConfig)
    analytics: AnalyticsConfig = field(default_factory=AnalyticsConfig)
    preferences: Preferences = field(default_factory=Preferences)
    drm: DrmConfig = field(default_factory=DrmConfig)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlayerConfig:
        """Build a config from nested plain values (``{"buffer": {"goal_s": 10}}``)."""
        parts: dict[str, type[Any]] = {
            "buffer": BufferGoals,
            "streaming": StreamingConfig,
            "abr": AbrConfig,
            "cmcd": CmcdConfig,
            "analytics": AnalyticsConfig,
            "preferences": Preferences,
            "drm": DrmConfig,
        }
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key == "network":
                kwargs[key] = value
                continue
            part = parts.get(key)
            if part is None:
                raise PlayerError(Code.INVALID_CONFIG, f"unknown config section {key!r}")
            if isinstance(value, part):
                kwargs[key] = value
                continue
            if not isinstance(value, Mapping):
                raise PlayerError(Code.INVALID_CONFIG, f"config section {key!r} must be a mapping")
            names = {f.name for f in dataclasses.fields(part)}
            unknown = sorted(set(value) - names)
            if unknown:
                raise PlayerError(
                    Code.INVALID_CONFIG, f"unknown {key} settings: {', '.join(unknown)}"
                )
            values = dict(value)
            if key == "preferences" and "codec_preference" in values:
                values["codec_preference"] = tuple(values["codec_preference"])
            try:
                kwargs[key] = part(**values)
            except TypeError as exc:
                raise PlayerError(Code.INVALID_CONFIG, f"bad {key} settings: {exc}") from None
        return cls(**kwargs)
