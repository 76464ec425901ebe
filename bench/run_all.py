"""``make bench``: run every bench script in ``bench/`` and print one table.

Each script runs in its own process with ``--json`` and prints, on its last line, one
JSON object of named figures, each with its unit and how it was measured
(``bench/_figures.py``). This collects them, in the order below (the headline figures
first, then every other script found), into a single Markdown table headed by the date,
the machine's core count and the Python and FFmpeg versions, so the README's table can be
refreshed from one run (``--readme README.md`` rewrites the table between its markers).

A script that fails, or whose own check fails (``"ok": false``), still gets its rows,
marked; ``run_all`` then exits 1. ``--quick`` passes smaller sizes to every script (a
smoke run of a few minutes); ``--only`` / ``--skip`` choose scripts by name.

    .venv/bin/python bench/run_all.py [--quick] [--only a,b] [--skip c] [--readme README.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

# The headline figures first (the list), then any other script found.
ORDER = [
    "sim_speed",
    "decode_throughput",
    "fetch_throughput",
    "ttff",
    "origin_shaping",
    "session_rss",
    "fuzz_long",
    "qoe_table",
    "soak",
]
# Smaller sizes for --quick (a smoke run, not numbers to publish).
QUICK: dict[str, list[str]] = {
    "sim_speed": ["--repeat", "3", "--sessions", "40"],
    "decode_throughput": ["--seconds", "4", "--reps", "1"],
    "fetch_throughput": ["--reps", "3"],
    "ttff": ["--reps", "3"],
    "origin_shaping": ["--windows", "2"],
    "session_rss": ["--seconds", "5"],
    "fuzz_long": ["--inputs", "2000"],
    "qoe_table": ["--limit", "2", "--no-oracle"],
    "property_seeds": ["--seeds", "1"],
    "soak": ["--hours", "0.1", "--every", "10"],
    "abr_policies": ["--reps", "2"],
    "drm_license_latency": ["--reps", "20"],
    "manifest_index": ["--reps", "3", "--lookups", "500"],
    "offline_download": ["--reps", "1", "--segments", "10"],
    "packager_codecs": ["--reps", "1", "--seconds", "2"],
    "realtime_1080p": ["--seconds", "10"],
    "gui_responsiveness": ["--seconds", "3"],
}
TIMEOUT_S = {"fuzz_long": 3 * 3600.0, "qoe_table": 3600.0, "decode_throughput": 1800.0}
DEFAULT_TIMEOUT_S = 1200.0
START, END = "<!-- bench-table:start -->", "<!-- bench-table:end -->"


@dataclass
class Result:
    """What one script produced."""

    script: str
    ok: bool
    wall_s: float
    figures: list[dict[str, Any]] = field(default_factory=list)
    problem: str = ""


def scripts(only: set[str], skip: set[str]) -> list[str]:
    """Bench scripts to run, headline ones first."""
    found = sorted(
        p.stem for p in HERE.glob("*.py") if not p.name.startswith("_") and p.stem != "run_all"
    )
    ordered = [s for s in ORDER if s in found] + [s for s in found if s not in ORDER]
    return [s for s in ordered if (not only or s in only) and s not in skip]


def _last_json(stdout: str) -> dict[str, Any] | None:
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                doc = json.loads(line)
            except json.JSONDecodeError:
                return None
            return doc if isinstance(doc, dict) and "figures" in doc else None
    return None


def run_script(name: str, quick: bool) -> Result:
    """Run ``bench/<name>.py --json``; its figures, or what went wrong."""
    args = QUICK.get(name, []) if quick else []
    cmd = [sys.executable, str(HERE / f"{name}.py"), *args, "--json"]
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    t0 = time.monotonic()
    try:
        done = subprocess.run(
            cmd,
            cwd=HERE,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S.get(name, DEFAULT_TIMEOUT_S),
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Result(name, False, time.monotonic() - t0, problem="timed out")
    wall = time.monotonic() - t0
    doc = _last_json(done.stdout)
    if doc is None:
        tail = (done.stderr.strip() or done.stdout.strip()).splitlines()
        why = tail[-1] if tail else "no output"
        if "unrecognized arguments: --json" in done.stderr:
            why = "does not support --json yet"
        return Result(name, False, wall, problem=f"exit {done.returncode}: {why}")
    return Result(
        name, bool(doc.get("ok", True)) and done.returncode == 0, wall, list(doc["figures"])
    )


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _value(fig: dict[str, Any]) -> str:
    value = fig.get("value")
    if isinstance(value, float):
        value = f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    elif isinstance(value, int):
        value = f"{value:,}"
    unit = fig.get("unit", "")
    return f"{value} {unit}".strip()


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")]
        if names:
            cpu = names[0]
    except OSError:
        pass
    try:
        import av

        ffmpeg = f"PyAV {av.__version__}, FFmpeg {av.ffmpeg_version_info}"
    except Exception:  # PyAV missing or odd: the header just says so
        ffmpeg = "PyAV ?"
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {ffmpeg}"


def _revision() -> str:
    """The commit measured (``+changes`` when the work tree differs from it)."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(HERE), *args], capture_output=True, text=True, check=True, timeout=30
        ).stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "an unknown commit"
    return f"commit {head}{' +changes' if dirty else ''}"


def table(results: list[Result], date: str, total_s: float) -> str:
    """The one Markdown table (with its heading line)."""
    lines = [
        f"Measured {date} at {_revision()} on {_machine()}; `make bench` took "
        f"{total_s / 60:.0f} min.",
        "",
        "| figure | value | how it was measured | script |",
        "|---|---:|---|---|",
    ]
    for r in results:
        mark = "" if r.ok else " ✗"
        if not r.figures:
            lines.append(f"| {r.script}{mark} | not measured | {_cell(r.problem)} | `{r.script}` |")
            continue
        previous = None
        for fig in r.figures:
            how = fig.get("how", "")
            shown = "same run as above" if how == previous else how
            previous = how
            lines.append(
                f"| {_cell(fig.get('name', '?'))}{mark} | {_cell(_value(fig))} | "
                f"{_cell(shown)} | `{r.script}` |"
            )
    return "\n".join(lines) + "\n"


def update_readme(path: Path, text: str) -> None:
    """Replace the table between the README's bench-table markers."""
    readme = path.read_text()
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    if not pattern.search(readme):
        raise SystemExit(f"{path} has no {START} ... {END} markers")
    path.write_text(pattern.sub(lambda _m: f"{START}\n{text}{END}", readme, count=1))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes: a smoke run")
    ap.add_argument("--only", default="", help="comma-separated script names")
    ap.add_argument("--skip", default="", help="comma-separated script names")
    ap.add_argument("--readme", default=None, help="rewrite the table in this README")
    args = ap.parse_args()
    names = scripts(
        set(filter(None, args.only.split(","))), set(filter(None, args.skip.split(",")))
    )
    date = dt.date.today().isoformat()
    t0 = time.monotonic()
    results = []
    for name in names:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        r = run_script(name, args.quick)
        status = "ok" if r.ok else f"FAILED {r.problem}".strip()
        print(f"  {name}: {r.wall_s:.0f} s, {status}", file=sys.stderr, flush=True)
        results.append(r)
    text = table(results, date, time.monotonic() - t0)
    print(text, end="")
    if args.readme:
        update_readme(Path(args.readme), text)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
