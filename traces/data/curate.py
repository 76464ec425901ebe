"""Re-create the curated trace subsets in this folder from ../shared/traces-real.

Run once by a maintainer (``python traces/data/curate.py SRC_ROOT``); the result is
committed so demos and tests stand alone. Selection is deterministic: the trace files of
each dataset sorted by name (Puffer's first restricted to files of at most 24 kB, to keep
the repository small), then ``COUNT`` of them at evenly spaced positions in that order.
Each folder gets the dataset's SOURCE.md verbatim, a note of the selection, the license
notice and a ``dataset.json`` stating format and unit.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

# name: (format, unit, how many, max file size in bytes or None, license file)
DATASETS: dict[str, tuple[str, str, int, int | None, str]] = {
    "fcc-2016": ("two-column", "Mbit/s", 24, None, "LICENSE-MIT"),
    "norway-hsdpa-3g": ("two-column", "Mbit/s", 24, None, "LICENSE-MIT"),
    "puffer-2022-02-18": ("puffer", "MB/s", 24, 24_000, "LICENSE-MIT"),
    "ghent-4g-lte": ("sabre-json", "kbit/s", 20, None, "LICENSE-BSD-2-Clause"),
}


def select(files: list[Path], count: int, max_size: int | None) -> list[Path]:
    """``count`` files at evenly spaced positions of the name-sorted, size-capped list."""
    pool = sorted(files, key=lambda f: f.name)
    if max_size is not None:
        pool = [f for f in pool if f.stat().st_size <= max_size]
    if len(pool) <= count:
        return pool
    idx = np.unique(np.round(np.linspace(0, len(pool) - 1, count)).astype(int))
    return [pool[i] for i in idx]


def main(src_root: Path) -> None:
    for name, (fmt, unit, count, max_size, license_file) in DATASETS.items():
        src = src_root / name
        dst = HERE / name
        if dst.exists():
            shutil.rmtree(dst)
        dst.mkdir()
        files = [f for f in src.iterdir() if f.is_file() and f.name != "SOURCE.md"]
        chosen = select(files, count, max_size)
        for f in chosen:
            shutil.copyfile(f, dst / f.name)
        cap = f", restricted to files of at most {max_size} bytes" if max_size else ""
        note = (
            "\n\n---\n\n## Selection in abrkit\n\n"
            f"The text above is the dataset's SOURCE.md, copied verbatim. This folder holds "
            f"{len(chosen)} of the {len(files)} trace files there, unchanged: the files "
            f"sorted by name{cap}, then {count} at evenly spaced positions in that order "
            f"(`traces/data/curate.py` re-creates the selection). Format `{fmt}`, "
            f"throughput unit **{unit}** (stated in `dataset.json`). License notice: "
            f"`{license_file}`.\n\nFiles:\n\n" + "".join(f"- `{f.name}`\n" for f in chosen)
        )
        source_md = (src / "SOURCE.md").read_text(encoding="utf-8").rstrip("\n")
        (dst / "SOURCE.md").write_text(source_md + note, encoding="utf-8")
        shutil.copyfile(HERE / "licenses" / license_file, dst / license_file)
        sidecar = {"name": name, "format": fmt, "unit": unit, "files": len(chosen)}
        (dst / "dataset.json").write_text(json.dumps(sidecar, indent=2) + "\n")
        print(f"{name}: {len(chosen)} files")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/traces-real"))
