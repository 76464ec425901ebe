"""The compiled engine core (setup.py, mypyc) and its loader (player/engine/_core_loader.py).

The compiled core must behave exactly as ``core.py``: sessions replayed on both agree to
the last bit. The loader must run the compiled core only when it was built from the
``core.py`` beside it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import player.engine
import player.engine.core

ENGINE_DIR = Path(player.engine.__file__).parent
STAMP = ENGINE_DIR / "core.sha256"

# Sessions with stalls, abandonment, switches, and both timing models: the policies'
# repr'd sessions, every float exact.
_SESSIONS = r"""
import sys
import abr.policies  # noqa: F401
from traces import trace_files
from traces.loaders import load_trace
from traces.sim import Simulator, get_model, load_video
import player.engine
print("compiled" if player.engine.COMPILED else "pure")
bbb = load_video("bbb.json")
pensieve = load_video("pensieve-envivio-sizes.json")
traces = [load_trace(trace_files(ds)[i]) for ds, i in
          (("norway-hsdpa-3g", 0), ("norway-hsdpa-3g", 3), ("fcc-2016", 1))]
for video, model in ((bbb, "sabre"), (pensieve, "pensieve"), (bbb, "default")):
    sim = Simulator(video, model)
    for trace in traces:
        for policy in ("throughput", "bola", "hybrid", "mpc", "bba"):
            print(repr(sim.run(trace, policy)))
"""


def _run(
    code: str, env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "always", "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
        cwd=cwd,
        check=False,
    )


def test_the_built_core_runs_when_it_is_current() -> None:
    """`make setup` builds the core; then the compiled module is what runs."""
    built = any(ENGINE_DIR.glob("core.*.so")) and STAMP.exists()
    if os.environ.get(player.engine.PURE_PYTHON_ENV) == "1" or not built:
        assert not player.engine.COMPILED
        assert player.engine.core.__file__ == str(ENGINE_DIR / "core.py")
    else:
        assert player.engine.COMPILED, "a current build exists beside core.py but did not load"
        assert player.engine.core.__file__.endswith(".so")


def test_pure_python_is_chosen_by_the_environment() -> None:
    out = _run(
        "import player.engine as e, player.engine.core as c; print(e.COMPILED, c.__file__)",
        {player.engine.PURE_PYTHON_ENV: "1"},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", str(ENGINE_DIR / "core.py")]


def test_an_edited_core_py_runs_as_python(tmp_path: Path) -> None:
    """A build beside a core.py it was not made from is not run (imports prefer a
    compiled module to the source; the loader checks the stamp)."""
    copy = tmp_path / "player"
    shutil.copytree(ENGINE_DIR.parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    core = copy / "engine" / "core.py"
    core.write_text(core.read_text() + "\nEDITED = True\n")
    out = _run(
        "import player.engine as e, player.engine.core as c; "
        "print(e.COMPILED, c.__file__, getattr(c, 'EDITED', False))",
        {"PYTHONPATH": str(tmp_path), player.engine.PURE_PYTHON_ENV: "0"},
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", str(core), "True"]
    if any((copy / "engine").glob("core.*.so")):
        assert "built from another core.py" in out.stderr


def test_compiled_and_pure_cores_replay_sessions_alike() -> None:
    pure = _run(_SESSIONS, {player.engine.PURE_PYTHON_ENV: "1"})
    assert pure.returncode == 0, pure.stderr
    current = _run(_SESSIONS, {})
    assert current.returncode == 0, current.stderr
    pure_lines, current_lines = pure.stdout.splitlines(), current.stdout.splitlines()
    assert pure_lines[0] == "pure"
    assert current_lines[0] == ("compiled" if player.engine.COMPILED else "pure")
    assert len(pure_lines) == 1 + 3 * 3 * 5
    stalled = sum("stalls=()" not in line for line in pure_lines[1:])
    abandoned = sum("abandoned=0," not in line for line in pure_lines[1:])
    assert stalled > 5 and abandoned > 0, "the sessions exercise stalls and abandonment"
    for a, b in zip(pure_lines[1:], current_lines[1:], strict=True):
        assert a == b
