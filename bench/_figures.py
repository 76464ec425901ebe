"""The common machine-readable output of the bench scripts (``--json``).

Every script run with ``--json`` prints one JSON object on its last line of stdout::

    {"bench": "fetch_throughput", "ok": true,
     "figures": [{"name": "fetch throughput", "value": 0.97, "unit": "x bare aiohttp",
                  "how": "median MB/s over 15 interleaved reps of 4 x 4 MB on loopback"}]}

``value`` is a number (a ratio where the figure is a comparison), ``unit`` says what it
is in, ``how`` says how it was measured. ``bench/run_all.py`` collects these into one
table.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any


def figure(name: str, value: float | int | str, unit: str, how: str) -> dict[str, Any]:
    """One named figure with its unit and how it was measured."""
    if isinstance(value, float) and not math.isfinite(value):
        value = str(value)
    return {"name": name, "value": value, "unit": unit, "how": how}


def print_json(script: str, figures: list[dict[str, Any]], ok: bool = True) -> None:
    """Print the script's figures as the one JSON object ``run_all.py`` reads."""
    print(json.dumps({"bench": Path(script).stem, "ok": bool(ok), "figures": figures}))
