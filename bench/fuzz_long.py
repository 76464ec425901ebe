"""The long fuzz run: 100,000 inputs per parser, counting every escaped exception.

Runs every target of ``tests/fuzz/_targets.py`` (DASH and HLS manifests, ``sidx``,
PSSH, init-segment protection, and the three trace loaders), each in its own child
process, for ``--inputs`` inputs. With atheris installed (the dev extra on Linux x86_64)
the child is coverage-guided: the parsers and their dependencies are instrumented, the
real seeds are the starting corpus and the mutator's tokens the dictionary. Without it,
the seeded mutator of ``_targets.py`` (byte, value, line and element edits of the real
seeds, splices, some raw bytes) generates the inputs.

An input passes when it parses or raises the target's typed error (``PlayerError``,
``drm.DrmError`` for the DRM parsers); anything else is a finding, saved under
``--out`` for reproduction. Prints per target: inputs run, accepted, typed errors,
escaped exceptions, the slowest input, inputs per second. Exits 1 on any finding.
``make test`` runs a short hypothesis pass over the same targets (``tests/fuzz``).

    .venv/bin/python bench/fuzz_long.py [--inputs 100000] [--engine auto|atheris|random]
        [--targets dash,hls,...] [--json]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _figures import figure, print_json

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")  # numpy overflow warnings on absurd traces are expected
sys.path.insert(0, sys.argv[1])
name, engine, stats_path, out_dir = sys.argv[2], sys.argv[3], sys.argv[6], sys.argv[7]
n, seed = int(sys.argv[4]), int(sys.argv[5])
if engine == "atheris":
    import atheris
    with atheris.instrument_imports(include=["player", "drm", "traces", "mpegdash", "m3u8"]):
        from tests.fuzz import _targets
else:
    from tests.fuzz import _targets
target = _targets.TARGETS[name]
stats = {"inputs": 0, "accepted": 0, "typed": 0, "escaped": 0, "slowest_s": 0.0,
         "findings": {}, "started": time.perf_counter()}

def save():
    out = dict(stats, elapsed_s=time.perf_counter() - stats["started"])
    with open(stats_path + ".tmp", "w") as f:
        json.dump(out, f)
    import os
    os.replace(stats_path + ".tmp", stats_path)

def one(data):
    t0 = time.perf_counter()
    try:
        target.run(data)
        stats["accepted"] += 1
    except target.allowed:
        stats["typed"] += 1
    except RecursionError as exc:
        finding(exc, data)
    except Exception as exc:
        finding(exc, data)
    stats["slowest_s"] = max(stats["slowest_s"], time.perf_counter() - t0)
    stats["inputs"] += 1
    if stats["inputs"] % 2000 == 0 or stats["inputs"] >= n:
        save()

def finding(exc, data):
    import hashlib, os
    stats["escaped"] += 1
    key = f"{type(exc).__name__}: {str(exc)[:160]}"
    if key not in stats["findings"]:
        digest = hashlib.sha256(data).hexdigest()[:16]
        path = os.path.join(out_dir, f"{name}-{digest}.bin")
        with open(path, "wb") as f:
            f.write(data)
        stats["findings"][key] = path

if engine == "atheris":
    corpus = sys.argv[8]
    def test_one(data):
        if stats["inputs"] < n:
            one(bytes(data))
    atheris.Setup([sys.argv[0], f"-runs={n}", f"-seed={seed}", "-max_len=65536",
                   f"-dict={sys.argv[9]}", f"-artifact_prefix={out_dir}/",
                   "-print_final_stats=0", corpus], test_one)
    save()
    atheris.Fuzz()
else:
    for data in _targets.random_inputs(target, seed):
        if stats["inputs"] >= n:
            break
        one(data)
save()
"""


def _dict_file(tokens: tuple[bytes, ...], path: Path) -> None:
    lines = []
    for tok in tokens:
        escaped = "".join(
            chr(b) if 32 <= b < 127 and chr(b) not in '"\\' else f"\\x{b:02x}" for b in tok
        )
        lines.append(f'"{escaped}"')
    path.write_text("\n".join(lines) + "\n")


def run_target(
    name: str, engine: str, inputs: int, seed: int, out_dir: Path, timeout: float
) -> dict[str, Any]:
    """Fuzz one target in a child process; its stats."""
    sys.path.insert(0, str(ROOT))
    from tests.fuzz._targets import TARGETS

    target = TARGETS[name]
    with tempfile.TemporaryDirectory(prefix=f"abrkit-fuzz-{name}-") as tmp:
        stats_path = Path(tmp) / "stats.json"
        cmd = [sys.executable, "-c", _CHILD, str(ROOT), name, engine, str(inputs), str(seed)]
        cmd += [str(stats_path), str(out_dir)]
        if engine == "atheris":
            corpus = Path(tmp) / "corpus"
            corpus.mkdir()
            for i, data in enumerate(target.seeds()):
                (corpus / f"seed-{i}").write_bytes(data)
            dict_path = Path(tmp) / "tokens.dict"
            _dict_file(target.tokens, dict_path)
            cmd += [str(corpus), str(dict_path)]
        t0 = time.monotonic()
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
            crashed = done.returncode not in (0,) and not stats_path.exists()
            tail = done.stderr[-2000:]
        except subprocess.TimeoutExpired:
            crashed, tail = False, f"stopped after {timeout:.0f} s"
        stats: dict[str, Any] = (
            json.loads(stats_path.read_text()) if stats_path.exists() else {"inputs": 0}
        )
        stats["wall_s"] = time.monotonic() - t0
        stats["crashed"] = crashed
        if crashed or stats.get("inputs", 0) < inputs:
            stats["note"] = tail.strip().splitlines()[-1] if tail.strip() else "no output"
        return stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=100_000, help="inputs per target")
    parser.add_argument("--engine", choices=["auto", "atheris", "random"], default="auto")
    parser.add_argument("--targets", default="", help="comma-separated (default: all)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1800.0, help="per target, seconds")
    parser.add_argument("--out", default=None, help="where findings are saved")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from tests.fuzz._targets import TARGETS

    engine = args.engine
    if engine == "auto":
        engine = "atheris" if importlib.util.find_spec("atheris") else "random"
    names = [n for n in args.targets.split(",") if n] or sorted(TARGETS)
    unknown = sorted(set(names) - set(TARGETS))
    if unknown:
        parser.error(f"unknown targets {unknown}; known: {sorted(TARGETS)}")
    out_dir = Path(args.out or tempfile.mkdtemp(prefix="abrkit-fuzz-findings-"))
    out_dir.mkdir(parents=True, exist_ok=True)

    rows: dict[str, dict[str, Any]] = {}
    for name in names:
        rows[name] = run_target(name, engine, args.inputs, args.seed, out_dir, args.timeout)
        if not args.json:
            _print_row(name, rows[name])
    total = sum(int(r.get("inputs", 0)) for r in rows.values())
    escaped = sum(int(r.get("escaped", 0)) for r in rows.values())
    short = [n for n, r in rows.items() if int(r.get("inputs", 0)) < args.inputs]
    crashed = [n for n, r in rows.items() if r.get("crashed")]
    ok = escaped == 0 and not crashed and not short
    how = (
        f"{engine} ({'coverage-guided, instrumented' if engine == 'atheris' else 'seeded mutator'})"
        f" over mutated real inputs, {args.inputs:,} per target: "
        + ", ".join(f"{n} {int(r.get('inputs', 0)):,}" for n, r in rows.items())
        + "; anything but the typed error counts"
    )
    if args.json:
        print_json(
            __file__,
            [
                figure("fuzz: inputs run", total, f"inputs ({len(rows)} parsers)", how),
                figure("fuzz: exceptions other than the typed error", escaped, "exceptions", how),
            ],
            ok=ok,
        )
        return 0 if ok else 1
    print(f"engine {engine}: {total:,} inputs over {len(rows)} targets, {escaped} escaped")
    if short or crashed:
        print(f"incomplete: {short or ''} crashed: {crashed or ''}")
    for name, r in rows.items():
        for key, path in r.get("findings", {}).items():
            print(f"  {name}: {key}  ({path})")
    return 0 if ok else 1


def _print_row(name: str, r: dict[str, Any]) -> None:
    elapsed = float(r.get("elapsed_s", r.get("wall_s", 0.0))) or 1e-9
    print(
        f"{name:<18} {int(r.get('inputs', 0)):>8,} inputs  accepted {int(r.get('accepted', 0)):>7,}"
        f"  typed {int(r.get('typed', 0)):>7,}  escaped {int(r.get('escaped', 0)):>3}"
        f"  slowest {float(r.get('slowest_s', 0.0)) * 1000:7.1f} ms"
        f"  {int(r.get('inputs', 0)) / elapsed:8.0f}/s"
        + (f"  [{r['note']}]" if "note" in r else ""),
        flush=True,
    )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
