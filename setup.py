"""Build hook: compile the streaming engine's core with mypyc when the build can.

Everything else about the package is in ``pyproject.toml``. The engine core
(``player/engine/core.py``) runs at every event of every session, in the Player and in
the simulator, and compiled it runs a whole simulated session about 1.5x as fast
(``bench/sim_speed.py`` measures the two side by side). The compiled module is an
accelerator only: ``player.engine`` falls back to ``core.py`` when it is missing, when
it was built from a different ``core.py`` (a stamp beside it holds the source's SHA-256)
or when ``ABRKIT_PURE_PYTHON=1`` is set. ``ABRKIT_PURE_PYTHON=1`` at build time, or a
build without mypyc or a C compiler, installs the package without it.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
COMPILED = {"player.engine.core": "player/engine/core.py"}
STAMP_SUFFIX = ".sha256"  # beside the extension (see player/engine/_core_loader.py)


class BuildExtWithStamp(build_ext):  # type: ignore[misc]
    """build_ext that writes the compiled source's SHA-256 beside each compiled module."""

    def run(self) -> None:
        super().run()
        for ext in self.extensions:
            source = COMPILED.get(ext.name)
            if source is None:
                continue
            target = Path(self.get_ext_fullpath(ext.name))
            if not target.exists():
                continue  # an optional extension that did not build: core.py runs
            digest = hashlib.sha256((ROOT / source).read_bytes()).hexdigest()
            stamp = target.parent / (ext.name.rsplit(".", 1)[-1] + STAMP_SUFFIX)
            stamp.write_text(digest + "\n")


def ext_modules() -> list[Any]:
    if os.environ.get("ABRKIT_PURE_PYTHON") == "1":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:  # no mypyc in this build environment: pure Python
        return []
    # The build environment has mypy but none of the runtime dependencies: type-check
    # for compiling only (not the project's strict config, which `make typecheck` runs
    # with everything installed), third-party modules as Any, a cache of its own.
    flags = [
        "--config-file",
        os.devnull,
        "--ignore-missing-imports",
        "--cache-dir",
        str(Path("build") / "mypyc-cache"),
    ]
    try:
        extensions = list(mypycify([*flags, *COMPILED.values()], opt_level="3"))
    except (Exception, SystemExit) as exc:  # mypyc exits on what it cannot compile
        print(f"abrkit: not compiling the engine core ({exc!r}); it runs as Python")
        return []
    for ext in extensions:
        ext.optional = True  # no C compiler: install anyway, core.py runs
    return extensions


setup(ext_modules=ext_modules(), cmdclass={"build_ext": BuildExtWithStamp})
