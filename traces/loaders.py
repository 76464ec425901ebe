"""Loaders for the real trace formats, with units that are stated, never guessed.

Formats:

- ``two-column``: one sample per line, ``<time s> <throughput>`` separated by white
  space (FCC, Norway HSDPA, Puffer as cooked by Pensieve/MERINA). The throughput's unit is
  not in the file, so :func:`load_two_column` takes it as an argument. Each sample holds
  from its time stamp to the next; the last one for the median sample spacing. Times are
  shifted so the first sample is at 0.
- ``sabre-json``: Sabre's network traces, a JSON array of
  ``{"duration_ms", "bandwidth_kbps", "latency_ms"}`` (kbit/s = 1000 bit/s, bits per ms);
  the unit is part of the format.
- ``puffer``: two-column files whose values are Puffer's TCP ``delivery_rate`` / 1e6,
  i.e. **MB/s** (1e6 bytes/s, multiplied by 8 for Mbit/s), although the repository that
  cooked them labels them Mbit/s.

:func:`load_trace` picks the format from the content (JSON or text) or from a
``dataset.json`` sidecar in the file's folder, and takes the unit from the caller or from
that sidecar. A two-column file with no stated unit is refused with
``PlayerError(TRACE_INVALID)`` rather than read as Mbit/s.

A sidecar looks like ``{"format": "two-column", "unit": "Mbit/s"}``; the curated datasets
in ``traces/data/`` each carry one (see :func:`dataset_names`, :func:`load_dataset`).
"""

from __future__ import annotations

import enum
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from player.errors import Code, PlayerError
from traces.trace import Trace

SIDECAR = "dataset.json"
DATA_DIR = Path(__file__).resolve().parent / "data"


class Unit(enum.Enum):
    """A throughput unit; the value is its usual spelling, :attr:`bps` its size in bit/s.

    Decimal prefixes throughout (k = 1e3, M = 1e6); ``B`` is a byte, ``bit`` a bit.
    """

    BIT_S = "bit/s"
    KBIT_S = "kbit/s"
    MBIT_S = "Mbit/s"
    BYTE_S = "B/s"
    KBYTE_S = "kB/s"
    MBYTE_S = "MB/s"

    @property
    def bps(self) -> float:
        """How many bits per second one of this unit is."""
        return _BPS[self]

    @classmethod
    def parse(cls, text: str) -> Unit:
        """A unit from its spelling (``"Mbit/s"``, ``"mbps"``, ``"MB/s"``, ...).

        Bytes and bits are told apart by ``B`` versus ``bit``/``b``; an unknown spelling
        raises ``PlayerError(TRACE_INVALID)``.
        """
        key = text.strip()
        unit = _SPELLINGS.get(key) or _SPELLINGS.get(key.lower().replace("bits", "bit"))
        if unit is None:
            raise PlayerError(
                Code.TRACE_INVALID,
                f"unknown throughput unit {text!r} (use one of "
                + ", ".join(u.value for u in cls)
                + ")",
            )
        return unit


_BPS = {
    Unit.BIT_S: 1.0,
    Unit.KBIT_S: 1e3,
    Unit.MBIT_S: 1e6,
    Unit.BYTE_S: 8.0,
    Unit.KBYTE_S: 8e3,
    Unit.MBYTE_S: 8e6,
}
# Exact spellings first (case matters for B versus b), then case-folded bit spellings.
_SPELLINGS: dict[str, Unit] = {u.value: u for u in Unit} | {
    "bps": Unit.BIT_S,
    "bit/s": Unit.BIT_S,
    "kbps": Unit.KBIT_S,
    "kbit/s": Unit.KBIT_S,
    "mbps": Unit.MBIT_S,
    "mbit/s": Unit.MBIT_S,
    "Bps": Unit.BYTE_S,
    "kBps": Unit.KBYTE_S,
    "KB/s": Unit.KBYTE_S,
    "MBps": Unit.MBYTE_S,
}


class TraceFormat(enum.Enum):
    """The on-disk trace formats :func:`load_trace` knows."""

    TWO_COLUMN = "two-column"
    SABRE_JSON = "sabre-json"
    PUFFER = "puffer"


def _bad(path: Path, message: str, **data: Any) -> PlayerError:
    return PlayerError(Code.TRACE_INVALID, f"{path}: {message}", data={"path": str(path), **data})


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise _bad(path, "no such trace file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise _bad(path, f"cannot read trace: {exc}") from exc


def _coerce_unit(unit: Unit | str) -> Unit:
    return unit if isinstance(unit, Unit) else Unit.parse(unit)


def load_two_column(path: str | Path, unit: Unit | str) -> Trace:
    """A ``<time s> <throughput>`` text file; ``unit`` says what the throughput is in.

    There is deliberately no default unit: the datasets disagree (Puffer's cooked values
    are MB/s, FCC's and Norway's Mbit/s) and a wrong guess is off by a factor of 8.
    Blank lines and lines starting with ``#`` are skipped; anything else that is not two
    finite numbers (a third column is ignored) raises ``PlayerError(TRACE_INVALID)`` with
    the line number.
    """
    p = Path(path)
    u = _coerce_unit(unit)
    times: list[float] = []
    values: list[float] = []
    for lineno, line in enumerate(_read_text(p).splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) < 2:
            raise _bad(p, f"line {lineno}: expected two columns, got {line!r}", line=lineno)
        try:
            t, v = float(fields[0]), float(fields[1])
        except ValueError as exc:
            raise _bad(p, f"line {lineno}: not numbers: {line!r}", line=lineno) from exc
        if not (math.isfinite(t) and math.isfinite(v)) or v < 0:
            raise _bad(p, f"line {lineno}: bad value {line!r}", line=lineno)
        if times and t <= times[-1]:
            raise _bad(p, f"line {lineno}: time {t} does not increase", line=lineno)
        times.append(t)
        values.append(v)
    if not times:
        raise _bad(p, "no samples")
    starts = np.array(times) - times[0]
    return Trace(starts, np.array(values) * u.bps, name=p.name)


def load_puffer(path: str | Path) -> Trace:
    """A Puffer two-column file (values in MB/s, converted: Mbit/s = value * 8)."""
    return load_two_column(path, Unit.MBYTE_S)


def load_sabre_json(path: str | Path) -> Trace:
    """A Sabre network trace: JSON periods of ``duration_ms``, ``bandwidth_kbps`` (kbit/s)
    and ``latency_ms`` (per request)."""
    p = Path(path)
    try:
        doc = json.loads(_read_text(p))
    except json.JSONDecodeError as exc:
        raise _bad(p, f"not JSON: {exc}") from exc
    if not isinstance(doc, list) or not doc:
        raise _bad(p, "a Sabre trace is a non-empty JSON array of periods")
    durations: list[float] = []
    rates: list[float] = []
    latencies: list[float] = []
    for i, period in enumerate(doc):
        try:
            d = float(period["duration_ms"]) / 1e3
            b = float(period["bandwidth_kbps"]) * Unit.KBIT_S.bps
            lat = float(period.get("latency_ms", 0)) / 1e3
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise _bad(p, f"period {i}: need numeric duration_ms and bandwidth_kbps") from exc
        if not (math.isfinite(d) and d > 0 and math.isfinite(b) and b >= 0):
            raise _bad(p, f"period {i}: duration must be > 0 and bandwidth >= 0")
        durations.append(d)
        rates.append(b)
        latencies.append(lat)
    return Trace.from_periods(durations, rates, latency_s=latencies, name=p.name)


def read_sidecar(folder: str | Path) -> dict[str, Any] | None:
    """The ``dataset.json`` of a trace folder, or None when it has none."""
    side = Path(folder) / SIDECAR
    if not side.is_file():
        return None
    try:
        doc = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad(side, f"unreadable sidecar: {exc}") from exc
    if not isinstance(doc, dict):
        raise _bad(side, "a sidecar is a JSON object")
    return doc


def _coerce_format(fmt: TraceFormat | str) -> TraceFormat:
    if isinstance(fmt, TraceFormat):
        return fmt
    try:
        return TraceFormat(fmt)
    except ValueError as exc:
        raise PlayerError(
            Code.TRACE_INVALID,
            f"unknown trace format {fmt!r} (use one of "
            + ", ".join(f.value for f in TraceFormat)
            + ")",
        ) from exc


def load_trace(
    path: str | Path,
    format: TraceFormat | str | None = None,
    unit: Unit | str | None = None,
) -> Trace:
    """Load a trace file of any known format.

    The format comes from ``format``, else the folder's ``dataset.json``, else the
    content (a JSON array is Sabre's format, text is two-column). The unit of a
    two-column file comes from ``unit``, else the sidecar; with neither,
    ``PlayerError(TRACE_INVALID)``. A unit that contradicts the format (Puffer is MB/s,
    Sabre kbit/s) is refused too.
    """
    p = Path(path)
    if p.is_dir():
        raise _bad(p, "is a folder; use load_dataset() for a folder of traces")
    side = read_sidecar(p.parent) or {}
    fmt_value = format if format is not None else side.get("format")
    if fmt_value is not None:
        fmt = _coerce_format(fmt_value)
    else:
        fmt = (
            TraceFormat.SABRE_JSON
            if _read_text(p).lstrip().startswith("[")
            else TraceFormat.TWO_COLUMN
        )
    unit_value = unit if unit is not None else side.get("unit")
    u = _coerce_unit(unit_value) if unit_value is not None else None
    if fmt is TraceFormat.SABRE_JSON:
        if u is not None and u is not Unit.KBIT_S:
            raise _bad(p, f"Sabre traces are in kbit/s, not {u.value}")
        return load_sabre_json(p)
    if fmt is TraceFormat.PUFFER:
        if u is not None and u is not Unit.MBYTE_S:
            raise _bad(p, f"Puffer traces are in MB/s, not {u.value}")
        return load_puffer(p)
    if u is None:
        raise _bad(
            p,
            "two-column trace with no stated unit: pass unit= (e.g. 'Mbit/s') or put a "
            f"{SIDECAR} beside it; units are never guessed",
        )
    return load_two_column(p, u)


def dataset_names() -> list[str]:
    """Names of the curated datasets shipped in ``traces/data/``."""
    if not DATA_DIR.is_dir():
        return []
    return sorted(d.name for d in DATA_DIR.iterdir() if (d / SIDECAR).is_file())


def dataset_path(name_or_path: str | Path) -> Path:
    """The folder of a curated dataset by name, or the given folder itself."""
    p = Path(name_or_path)
    if p.is_dir():
        return p
    q = DATA_DIR / str(name_or_path)
    if q.is_dir() and "/" not in str(name_or_path):
        return q
    raise PlayerError(
        Code.TRACE_INVALID,
        f"no trace dataset {str(name_or_path)!r} (curated: {', '.join(dataset_names())})",
    )


def trace_files(name_or_path: str | Path) -> list[Path]:
    """The trace files of a dataset folder, sorted by name (SOURCE.md, LICENSE* and the
    sidecar excluded)."""
    folder = dataset_path(name_or_path)
    return sorted(f for f in folder.iterdir() if f.is_file() and not _is_metadata(f.name))


def _is_metadata(name: str) -> bool:
    return name in (SIDECAR, "SOURCE.md", "README.md") or name.startswith((".", "LICENSE"))


def load_dataset(
    name_or_path: str | Path,
    *,
    unit: Unit | str | None = None,
    limit: int | None = None,
) -> list[Trace]:
    """Every trace of a dataset folder (a curated name such as ``"fcc-2016"`` or a path),
    sorted by file name; ``limit`` keeps the first few. Units as in :func:`load_trace`."""
    files = trace_files(name_or_path)
    if limit is not None:
        files = files[: max(0, limit)]
    return [load_trace(f, unit=unit) for f in files]
