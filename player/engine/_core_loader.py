"""Which engine core runs: the mypyc-compiled ``core`` when it is current, else ``core.py``.

``setup.py`` compiles ``core.py`` with mypyc when it can and writes the SHA-256 of the
source it compiled into ``core.sha256`` beside the compiled module. Python's import
system would prefer a compiled module over ``core.py`` even after ``core.py`` is edited;
this loader does not: it runs the compiled module only when the stamp matches the
``core.py`` beside it, and ``core.py`` itself otherwise, or when the environment sets
``ABRKIT_PURE_PYTHON=1``. The two behave alike (``tests/engine/test_compiled_core.py``
replays sessions on both and requires them equal to the last bit).
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import sys
import warnings
from pathlib import Path
from types import ModuleType

_NAME = "player.engine.core"
_SOURCE = Path(__file__).with_name("core.py")
_STAMP = Path(__file__).with_name("core.sha256")
_EXTENSION = importlib.machinery.ExtensionFileLoader
#: Set to ``1`` to run the pure-Python engine core even when a compiled one is built.
PURE_PYTHON_ENV = "ABRKIT_PURE_PYTHON"


def _compiled_spec() -> importlib.machinery.ModuleSpec | None:
    """The compiled core's spec, or None when none is built beside ``core.py``."""
    spec = importlib.util.find_spec(_NAME)
    if spec is None or not isinstance(spec.loader, _EXTENSION):
        return None
    return spec


def _is_current() -> bool:
    try:
        stamp = _STAMP.read_text().strip()
        source = _SOURCE.read_bytes()
    except OSError:
        return False
    return stamp == hashlib.sha256(source).hexdigest()


def _load_source() -> ModuleType:
    spec = importlib.util.spec_from_file_location(_NAME, _SOURCE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[_NAME] = module
    # As an import would (setattr: the package declares no such attribute to mypy).
    setattr(sys.modules["player.engine"], "core", module)  # noqa: B010
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[_NAME]
        raise
    return module


def load_core() -> tuple[ModuleType, bool]:
    """Import ``player.engine.core``; ``(module, compiled)``."""
    loaded = sys.modules.get(_NAME)
    if loaded is not None:
        return loaded, isinstance(getattr(loaded, "__loader__", None), _EXTENSION)
    if os.environ.get(PURE_PYTHON_ENV) == "1" or _compiled_spec() is None:
        return _load_source(), False
    if not _is_current():
        # An edited core.py beside an older build: run the source, say how to rebuild.
        warnings.warn(
            "the compiled engine core was built from another core.py; running core.py "
            "(rebuild with `pip install -e .` or `make setup`)",
            RuntimeWarning,
            stacklevel=2,
        )
        return _load_source(), False
    import player.engine.core as compiled  # the ExtensionFileLoader's module

    return compiled, True
