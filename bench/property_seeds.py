"""How often does each policy fail ``abr.testing.check_policy`` on random seeds?

``make test`` runs the property suite derandomized (one fixed set of examples per
policy), so a property a policy breaks only on some inputs can pass there. This runs the
whole suite (decision and session properties, the engine-driven simulator) for every
built-in policy with ``--seeds`` fresh random seeds each and prints, per policy, how many
runs failed and which properties failed; ``--show`` prints each failure's message (the
ladder, bandwidth and rungs that broke it). Side by side in one run; takes a few minutes.

    .venv/bin/python bench/property_seeds.py [--seeds 12] [--policies hybrid,bola] [--show]
        [--import my_policies --policies half]
"""

from __future__ import annotations

import argparse
import collections
import importlib
import re
import sys

from _figures import figure, print_json

import abr.policies  # noqa: F401  (registers the policies)
from abr import create_policy, policy_names
from abr.testing import PropertySettings, check_policy


def failures(name: str, seeds: int, show: bool) -> collections.Counter[str]:
    """Failed runs of ``check_policy`` for ``name``, counted by the property that failed."""
    failed: collections.Counter[str] = collections.Counter()
    for _ in range(seeds):
        # A fresh random seed per run (hypothesis draws one when none is fixed).
        try:
            check_policy(lambda: create_policy(name), config=PropertySettings())
        except Exception as exc:  # PolicyPropertyError, or hypothesis's group of several
            text = str(exc)
            props = re.findall(r"property '([^']+)'", text) or ["(other)"]
            failed.update(set(props))
            failed["runs"] += 1
            if show:
                print(f"  {name}: {text[:600]}")
    return failed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=12, help="random runs per policy")
    ap.add_argument("--policies", default="", help="comma-separated (default: all built in)")
    ap.add_argument("--show", action="store_true", help="print each failure's message")
    ap.add_argument(
        "--import",
        dest="modules",
        action="append",
        default=[],
        metavar="MODULE",
        help="import MODULE first (one that registers your policy with register_policy)",
    )
    ap.add_argument("--json", action="store_true", help="print the figures as JSON (last line)")
    args = ap.parse_args()
    for module in args.modules:
        importlib.import_module(module)
    names = [p for p in args.policies.split(",") if p] or sorted(policy_names())
    print(f"check_policy on {args.seeds} random seeds per policy")
    print(f"{'policy':<12} {'failed runs':>11}  properties that failed")
    results: dict[str, collections.Counter[str]] = {}
    for name in names:
        failed = failures(name, args.seeds, args.show)
        results[name] = failed
        props = ", ".join(f"{k} x{v}" for k, v in sorted(failed.items()) if k != "runs")
        print(f"{name:<12} {failed['runs']:>5} / {args.seeds:<3}  {props or '-'}")
    if args.json:
        value = " / ".join(f"{n} {results[n]['runs']}" for n in names)
        print_json(
            __file__,
            [
                figure(
                    "check_policy failures on random seeds",
                    value,
                    f"of {args.seeds} runs",
                    "abr.testing.check_policy (every property, the engine-driven "
                    f"simulator) per policy, {args.seeds} fresh random seeds each; make test "
                    "runs it derandomized",
                )
            ],
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
