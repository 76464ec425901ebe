"""The store key in a real OS keyring: GNOME Keyring's Secret Service on a private D-Bus.

Each scenario runs in a child process inside ``dbus-run-session`` with a fresh
``gnome-keyring-daemon`` unlocked for the test (HOME and the XDG folders in tmp), so the
``keyring`` package finds its Secret Service backend exactly as on a Linux desktop. The
Makefile installs ``gnome-keyring`` and ``dbus``; ``keyring`` is a dev dependency.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(120)

_CHILD = r"""
import json, sys
from pathlib import Path
import keyring
import keyring.errors
from player.errors import PlayerError
from player.offline import OfflineStore
from player.offline.keys import _KEYRING_SERVICE, _store_id

store_dir = Path(sys.argv[1])
user = _store_id(store_dir)
out = {"backend": type(keyring.get_keyring()).__module__}
for step in sys.argv[2:]:
    try:
        if step == "open":
            OfflineStore(store_dir).close()
        elif step == "replace":
            keyring.set_password(_KEYRING_SERVICE, user, "ab" * 32)
        elif step == "garble":
            keyring.set_password(_KEYRING_SERVICE, user, "not hex")
        elif step == "delete":
            keyring.delete_password(_KEYRING_SERVICE, user)
        out[step] = "ok"
    except PlayerError as exc:
        out[step] = exc.code.name
try:
    out["secret"] = keyring.get_password(_KEYRING_SERVICE, user)
except keyring.errors.KeyringError:  # no backend at all
    out["secret"] = "unavailable"
print(json.dumps(out))
"""

_SESSION = """
set -e
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
eval "$(printf abrkit-test | gnome-keyring-daemon --daemonize --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
"$@"
"""


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS_", "XDG_"))}
    env.pop("PYTHON_KEYRING_BACKEND", None)
    env.update(
        HOME=str(tmp / "home"),
        XDG_CONFIG_HOME=str(tmp / "config"),
        XDG_DATA_HOME=str(tmp / "data"),
        XDG_RUNTIME_DIR=str(tmp / "run"),
        **extra,
    )
    return env


def _in_session(tmp: Path, store: Path, *steps: str) -> dict[str, Any]:
    """Run the child's ``steps`` inside a D-Bus session with GNOME Keyring unlocked."""
    for tool in ("dbus-run-session", "gnome-keyring-daemon"):
        assert shutil.which(tool), f"{tool} is missing: `make setup` installs it"
    cmd = ["dbus-run-session", "--", "sh", "-c", _SESSION, "session"]
    cmd += [sys.executable, "-c", _CHILD, str(store), *steps]
    return _run(cmd, _env(tmp))


def _run(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_new_store_keeps_its_key_in_the_keyring(tmp_path: Path) -> None:
    store = tmp_path / "store"
    got = _in_session(tmp_path, store, "open", "open")
    assert got["backend"] == "keyring.backends.SecretService"
    assert got["open"] == "ok"
    assert len(bytes.fromhex(got["secret"])) == 32, "a 32-byte key, hex, in the keyring"
    assert not (tmp_path / "config" / "abrkit").exists(), "no key file when a keyring is usable"


def test_a_replaced_or_garbled_keyring_entry_is_tampering(tmp_path: Path) -> None:
    store = tmp_path / "store"
    got = _in_session(tmp_path, store, "open", "replace", "open")
    assert got["replace"] == "ok" and got["open"] == "TAMPERED"
    got = _in_session(tmp_path / "b", tmp_path / "store-b", "open", "garble", "open")
    assert got["open"] == "TAMPERED"


def test_a_lost_keyring_entry_or_keyring_locks_the_store(tmp_path: Path) -> None:
    store = tmp_path / "store"
    got = _in_session(tmp_path, store, "open", "delete", "open")
    assert got["delete"] == "ok" and got["secret"] is None
    assert got["open"] == "STORE_LOCKED"
    # A store made with a keyring, opened where there is none (a headless session):
    # locked, not silently given a new key file.
    other = tmp_path / "store-2"
    assert _in_session(tmp_path / "c", other, "open")["open"] == "ok"
    env = _env(tmp_path / "c", PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    got = _run([sys.executable, "-c", _CHILD, str(other), "open"], env)
    assert got["open"] == "STORE_LOCKED"
    assert not (tmp_path / "c" / "config" / "abrkit").exists()
