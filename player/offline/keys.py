"""The store key: where it lives and what it protects.

One 32-byte secret per store, kept apart from the content:

1. a key the app supplies (``OfflineStore(path, key=...)``: say from its own secure
   storage);
2. else the OS keyring, when the ``keyring`` package is importable *and* has a usable
   backend (a desktop session's Secret Service, macOS Keychain, Windows Credential
   Locker; headless Linux usually has none);
3. else a key file with owner-only permissions (``0600`` in a ``0700`` folder) under
   ``$XDG_CONFIG_HOME/abrkit/offline-keys/``, outside the store's folder, so copying the
   store does not copy its key.

Two subkeys are derived with HKDF-SHA256: one wraps license blobs with AES-256-GCM (the
title id as associated data, so a blob moved to another title fails), the other signs
metadata rows with HMAC-SHA256 so an edited row is detected. Where the key came from is
recorded in the store's metadata, so a keyring that appears later does not orphan a
key-file store.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from player.errors import Code, PlayerError

__all__ = ["KeySource", "StoreKey", "default_key_file", "load_store_key"]

KeySource = Literal["app", "keyring", "file"]
KEY_BYTES = 32
_NONCE_BYTES = 12
_KEYRING_SERVICE = "abrkit-offline-store"
_WRAP_VERSION = b"\x01"


def _store_id(store_path: Path) -> str:
    return hashlib.sha256(str(store_path.resolve()).encode()).hexdigest()[:32]


def default_key_file(store_path: Path) -> Path:
    """Where the key file of the store at ``store_path`` lives by default."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "abrkit" / "offline-keys" / f"{_store_id(store_path)}.key"


class StoreKey:
    """The store's secret and the two things done with it: wrapping and signing."""

    def __init__(self, secret: bytes, source: KeySource) -> None:
        if len(secret) != KEY_BYTES:
            raise PlayerError(
                Code.INVALID_ARGUMENT, f"a store key is {KEY_BYTES} bytes, not {len(secret)}"
            )
        self.source: KeySource = source
        self._wrap = AESGCM(_derive(secret, b"abrkit-offline/wrap/v1"))
        self._mac = _derive(secret, b"abrkit-offline/mac/v1")

    @property
    def check_value(self) -> str:
        """A value recorded in the store that tells a wrong key from a tampered row."""
        return self.sign("key-check")

    def sign(self, *fields: Any) -> str:
        """HMAC-SHA256 (hex) over ``fields`` in a canonical JSON encoding."""
        body = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=_json_default)
        return hmac.new(self._mac, body.encode(), hashlib.sha256).hexdigest()

    def verify(self, mac: str | None, *fields: Any) -> bool:
        """Whether ``mac`` is :meth:`sign` of ``fields`` (constant time)."""
        return mac is not None and hmac.compare_digest(mac, self.sign(*fields))

    def wrap(self, plaintext: bytes, context: str) -> bytes:
        """AES-256-GCM of ``plaintext`` bound to ``context`` (nonce prepended)."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return _WRAP_VERSION + nonce + self._wrap.encrypt(nonce, plaintext, context.encode())

    def unwrap(self, blob: bytes, context: str) -> bytes:
        """Undo :meth:`wrap`; an edited, truncated or moved blob is ``LICENSE_TAMPERED``."""
        if len(blob) < 1 + _NONCE_BYTES + 16 or blob[:1] != _WRAP_VERSION:
            raise PlayerError(Code.LICENSE_TAMPERED, "the stored license blob is malformed")
        nonce, body = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
        try:
            return self._wrap.decrypt(nonce, body, context.encode())
        except InvalidTag:
            raise PlayerError(
                Code.LICENSE_TAMPERED,
                "the stored license failed its integrity check (edited, or another title's)",
            ) from None


def _json_default(value: object) -> object:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    raise TypeError(f"cannot sign a {type(value).__name__}")


def _derive(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


# -- where the key lives ---------------------------------------------------------------


def _usable_keyring() -> Any | None:
    """The ``keyring`` module when it has a backend that really stores secrets."""
    try:
        import keyring  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
        priority = float(getattr(backend, "priority", 0))
    except Exception:  # a broken backend configuration is the same as none
        return None
    if priority <= 0 or type(backend).__module__.startswith(("keyring.backends.fail",)):
        return None
    return keyring


def _from_keyring(kr: Any, store_path: Path, create: bool) -> bytes | None:
    user = _store_id(store_path)
    try:
        text = kr.get_password(_KEYRING_SERVICE, user)
        if text is None and create:
            text = secrets.token_bytes(KEY_BYTES).hex()
            kr.set_password(_KEYRING_SERVICE, user, text)
            text = kr.get_password(_KEYRING_SERVICE, user)  # read back what was kept
    except Exception as exc:  # keyring backends raise their own errors
        raise PlayerError(
            Code.STORE_LOCKED, f"the OS keyring refused the store key: {exc}"
        ) from None
    if text is None:
        return None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise PlayerError(Code.TAMPERED, "the store key in the OS keyring is malformed")
    return key


def _from_file(path: Path, create: bool) -> bytes | None:
    try:
        st = path.lstat()
    except FileNotFoundError:
        if not create:
            return None
        return _create_key_file(path)
    except OSError as exc:
        raise PlayerError(Code.STORE_LOCKED, f"cannot read the key file {path}: {exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise PlayerError(Code.TAMPERED, f"the key file {path} is not a regular file")
    if st.st_mode & 0o077:
        raise PlayerError(
            Code.TAMPERED,
            f"the key file {path} is readable or writable by others (mode "
            f"{stat.S_IMODE(st.st_mode):04o}); it must be 0600",
            data={"path": str(path)},
        )
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise PlayerError(Code.TAMPERED, f"the key file {path} belongs to another user")
    try:
        text = path.read_text().strip()
        key = bytes.fromhex(text)
    except (OSError, ValueError, UnicodeDecodeError):
        key = b""
    if len(key) != KEY_BYTES:
        raise PlayerError(Code.TAMPERED, f"the key file {path} is malformed")
    return key


def _create_key_file(path: Path) -> bytes:
    key = secrets.token_bytes(KEY_BYTES)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            os.write(fd, key.hex().encode() + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # fails if another process made the key first
        except FileExistsError:
            existing = _from_file(path, create=False)
            assert existing is not None
            return existing
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
        from player.offline.files import fsync_dir

        fsync_dir(path.parent)
    except OSError as exc:
        raise PlayerError(
            Code.STORE_LOCKED, f"cannot create the key file {path}: {exc.strerror or exc}"
        ) from None
    return key


def load_store_key(
    store_path: Path,
    *,
    recorded: Mapping[str, str],
    key: bytes | None = None,
    key_file: Path | None = None,
    use_keyring: bool = True,
) -> StoreKey:
    """The store key of the store at ``store_path``.

    ``recorded`` is what the store's metadata says (``key_source``, ``key_check``): a new
    store (nothing recorded) takes ``key`` if given, else the keyring if usable, else a
    new key file; an existing one looks where its key was first kept. A key that does
    not match the store's check value is ``PlayerError(TAMPERED)``.
    """
    source = recorded.get("key_source")
    new = source is None
    secret: bytes | None
    chosen: KeySource
    if key is not None:
        if source not in (None, "app"):
            raise PlayerError(
                Code.INVALID_ARGUMENT, f"this store keeps its key in the {source}, not the app"
            )
        secret, chosen = bytes(key), "app"
    elif source == "app":
        raise PlayerError(Code.STORE_LOCKED, "this store's key is supplied by the app: pass key=")
    else:
        kr = _usable_keyring() if use_keyring and source in (None, "keyring") else None
        if source == "keyring" and kr is None:
            raise PlayerError(
                Code.STORE_LOCKED, "this store's key is in the OS keyring, which is unavailable"
            )
        if kr is not None:
            secret, chosen = _from_keyring(kr, store_path, create=new), "keyring"
        else:
            path = key_file or default_key_file(store_path)
            secret, chosen = _from_file(path, create=new), "file"
        if secret is None:
            raise PlayerError(
                Code.STORE_LOCKED,
                f"the store key ({source}) is missing: the store cannot be opened",
            )
    store_key = StoreKey(secret, chosen)
    check = recorded.get("key_check")
    if check is not None and not hmac.compare_digest(check, store_key.check_value):
        raise PlayerError(
            Code.TAMPERED, "the store key does not match this store (wrong key, or replaced)"
        )
    return store_key
