"""Files of the offline store: durable atomic writes and a URL-to-path mapping that
cannot leave the store.

Every file is written to a temporary name in its final folder, fsynced, renamed over the
final name and the folder fsynced, so a crash (``kill -9``, a power cut) leaves either
the old state or the complete new file, never a torn one. A full disk (``ENOSPC``) or a
file size limit (``EFBIG``) becomes ``PlayerError(DISK_FULL)``, with the temporary file
removed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import posixpath
import re
import secrets
from pathlib import Path
from urllib.parse import unquote, urlsplit

from player.errors import Code, PlayerError

__all__ = [
    "TMP_PREFIX",
    "atomic_write",
    "contained",
    "fsync_dir",
    "relpath_for_url",
    "remove_stale_temporaries",
]

TMP_PREFIX = ".tmp-"
_MAX_COMPONENT = 120
_MAX_DEPTH = 16
_SAFE = re.compile(r"[^A-Za-z0-9._\-=+@,]")
_DISK_FULL = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}


def _traversal(what: str, why: str) -> PlayerError:
    return PlayerError(
        Code.PATH_TRAVERSAL, f"refusing to store {what!r}: {why}", data={"name": what}
    )


def _safe_component(part: str, original: str) -> str:
    if part in ("", ".", ".."):
        raise _traversal(original, f"path component {part!r}")
    if "\0" in part or "\\" in part or "/" in part:
        raise _traversal(original, "a separator or NUL inside a path component")
    cleaned = _SAFE.sub("_", part)
    if cleaned.startswith("."):
        cleaned = "_" + cleaned[1:]  # no hidden files: those names are the store's own
    if len(cleaned) > _MAX_COMPONENT:
        digest = hashlib.sha256(part.encode()).hexdigest()[:16]
        cleaned = cleaned[: _MAX_COMPONENT - 17] + "-" + digest
    return cleaned


def relpath_for_url(url: str, base_url: str, suffix: str = "") -> str:
    """The store-relative path for a resource at ``url`` of a title whose manifest is
    ``base_url``.

    A URL under the manifest's folder keeps its relative path (``video/360p/seg-1.m4s``);
    any other goes under ``_ext/<host>/``. The query becomes part of the name (two
    segments differing only in their query stay apart), ``suffix`` is added (a byte
    range). Each component is decoded once and checked: ``..``, ``.``, empty names,
    backslashes and NULs (raw or percent-encoded) are ``PlayerError(PATH_TRAVERSAL)``;
    other unusual characters become ``_``. The result is relative and never starts with
    ``/`` or climbs out of the title's folder.
    """
    parts = urlsplit(url)
    base = urlsplit(base_url)
    raw_path = parts.path
    # Reject dot segments even when URL resolution already collapsed them: the raw text
    # is what the manifest tried to name.
    for comp in raw_path.split("/"):
        if unquote(comp) in (".", "..") and comp not in (".", ".."):
            raise _traversal(url, "a percent-encoded dot segment")
    if "\\" in unquote(raw_path) or "\0" in unquote(raw_path):
        raise _traversal(url, "a backslash or NUL in the path")
    # Collapse literal dot segments the way RFC 3986 resolution does.
    norm = posixpath.normpath("/" + raw_path.lstrip("/")) if raw_path else "/"
    base_dir = posixpath.dirname(base.path) if base.path else ""
    same_origin = (parts.scheme, parts.netloc) == (base.scheme, base.netloc)
    if same_origin and base_dir and (norm + "/").startswith(base_dir.rstrip("/") + "/"):
        rel = norm[len(base_dir.rstrip("/")) :].lstrip("/")
        prefix: list[str] = []
    else:
        rel = norm.lstrip("/")
        host = parts.netloc or "local"
        prefix = ["_ext", _safe_component(host.replace(":", "_"), url)]
    comps = [c for c in rel.split("/") if c != ""]
    if not comps:
        raise _traversal(url, "no file name")
    safe = [_safe_component(unquote(c), url) for c in comps]
    if parts.query:
        digest = hashlib.sha256(parts.query.encode()).hexdigest()[:12]
        safe[-1] = f"{safe[-1]}.q{digest}"
    safe[-1] += suffix
    out = prefix + safe
    if len(out) > _MAX_DEPTH:
        out = [*out[: _MAX_DEPTH - 1], "_".join(out[_MAX_DEPTH - 1 :])[:_MAX_COMPONENT]]
    return "/".join(out)


def contained(root: Path, rel: str) -> Path:
    """``root / rel``, after checking it stays inside ``root`` even through symlinks.

    Raises ``PlayerError(PATH_TRAVERSAL)`` for an absolute path, a ``..`` component, or
    a path whose real location is outside ``root``.
    """
    if not rel or rel.startswith("/") or "\\" in rel or "\0" in rel:
        raise _traversal(rel, "not a plain relative path")
    comps = rel.split("/")
    if any(c in ("", ".", "..") for c in comps):
        raise _traversal(rel, "a dot or empty path component")
    root_real = os.path.realpath(root)
    target = os.path.realpath(os.path.join(root_real, *comps))
    if os.path.commonpath([root_real, target]) != root_real or target == root_real:
        raise _traversal(rel, "it resolves outside the store")
    return Path(target)


def fsync_dir(path: Path) -> None:
    """fsync a folder so a rename or a new entry in it survives a power cut."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _disk_error(exc: OSError, path: Path) -> PlayerError:
    if exc.errno in _DISK_FULL:
        return PlayerError(
            Code.DISK_FULL,
            f"no space left writing {path.name}: {exc.strerror or exc}",
            recoverable=True,
            data={"path": str(path), "errno": exc.errno},
        )
    return PlayerError(
        Code.STORE_CORRUPT,
        f"cannot write {path}: {exc.strerror or exc}",
        data={"path": str(path), "errno": exc.errno},
    )


def atomic_write(root: Path, rel: str, data: bytes) -> Path:
    """Write ``data`` to ``root / rel`` durably and atomically; returns the final path.

    Folders are created (and fsynced) as needed inside ``root``; the path is checked
    with :func:`contained` first. ``ENOSPC``/``EFBIG``/``EDQUOT`` are
    ``PlayerError(DISK_FULL, recoverable=True)``; any other I/O error is
    ``STORE_CORRUPT``. Nothing is left behind on failure but the previous file, if any.
    """
    final = contained(root, rel)
    folder = final.parent
    try:
        if not root.is_dir():
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
            fsync_dir(root.parent)
        if not folder.is_dir():
            _make_dirs(root, folder)
    except OSError as exc:
        raise _disk_error(exc, folder) from None
    tmp = folder / f"{TMP_PREFIX}{final.name}.{secrets.token_hex(4)}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, final)
        fsync_dir(folder)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise _disk_error(exc, final) from None
    return final


def _make_dirs(root: Path, folder: Path) -> None:
    missing: list[Path] = []
    p = folder
    while not p.exists() and p != root:
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        d.mkdir(mode=0o700, exist_ok=True)  # another worker may have just made it
        fsync_dir(d.parent)


def remove_stale_temporaries(root: Path) -> int:
    """Delete temporary files a killed writer left under ``root``; returns how many."""
    n = 0
    if not root.is_dir():
        return 0
    for path in root.rglob(f"{TMP_PREFIX}*"):
        if path.is_file() and not path.is_symlink():
            with contextlib.suppress(OSError):
                path.unlink()
                n += 1
    return n
