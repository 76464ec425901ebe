"""``abr.testing.check_policy`` with its default runner: the simulator on the real engine.

No runner is passed, so this also checks the lazy lookup of ``traces.testing``.
"""

from __future__ import annotations

import pytest

import abr.policies  # noqa: F401  (registers the policies)
from abr import create_policy
from abr.testing import PropertySettings, check_policy, default_session_runner
from traces.testing import EngineSessionRunner


def test_default_runner_is_the_engine_simulator() -> None:
    runner = default_session_runner()
    assert isinstance(runner, EngineSessionRunner)
    # A real session: the records come from the engine's segment log.
    from abr.interface import Rung

    ladder = [Rung(0, 300_000), Rung(1, 750_000), Rung(2, 1_200_000)]
    records = runner.run(create_policy("throughput"), [(10.0, 2e6)], ladder, 4.0, 12)
    assert [r.index for r in records] == list(range(12))
    assert records[-1].quality == 2  # 2 Mbit/s sustains 1.2 Mbit/s
    assert sum(r.rebuffer_s for r in records[1:]) == 0


@pytest.mark.parametrize("name", ["throughput", "bola", "hybrid", "bba", "mpc"])
def test_our_policies_pass_check_policy(name: str) -> None:
    check_policy(lambda: create_policy(name), config=PropertySettings(derandomize=True))
