"""DrmCode mirrors the DRM block of player.errors.Code exactly; DrmError pickles."""

from __future__ import annotations

import pickle

from drm import DrmCode, DrmError
from player.errors import Category, Code, PlayerError


def test_every_drm_code_equals_the_player_code_of_the_same_name() -> None:
    for code in DrmCode:
        assert int(Code[code.name]) == int(code)


def test_every_player_drm_code_is_mirrored() -> None:
    player_drm = {c.name: int(c) for c in Code if c.category == Category.DRM}
    assert player_drm == {c.name: int(c) for c in DrmCode}


def test_drm_error_wraps_into_player_error_and_pickles() -> None:
    err = DrmError(DrmCode.EXPIRED, "license expired", recoverable=True, data={"kid": "ab"})
    again = pickle.loads(pickle.dumps(err))
    assert (again.code, again.message, again.recoverable, again.data) == (
        DrmCode.EXPIRED,
        "license expired",
        True,
        {"kid": "ab"},
    )
    wrapped = PlayerError(Code(err.code), err.message, recoverable=err.recoverable, data=err.data)
    assert wrapped.category == Category.DRM
    assert wrapped.code is Code.EXPIRED


def test_drm_imports_neither_player_nor_ui() -> None:
    import subprocess
    import sys

    code = (
        "import sys, drm, drm.adapters, drm.license_server\n"
        "bad = sorted({m.split('.')[0] for m in sys.modules} & {'player', 'ui', 'traces', 'av'})\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
