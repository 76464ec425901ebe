"""Offline titles in the viewer: a title downloaded into an offline store plays by id
with the origin gone, is listed in File > Offline Titles, and keeps its position."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from player import Code, OfflineStore
from player.packager import PackageResult
from tests.ui._origin import TestOrigin
from tests.ui.conftest import LOAD_MS, wait_playing
from ui.main_window import MainWindow
from ui.recent import RecentTitles

pytestmark = pytest.mark.gui


def _store(path: Path) -> OfflineStore:
    return OfflineStore(path / "store", key_file=path / "store.key", use_keyring=False)


def test_an_offline_title_plays_without_the_network(
    qtbot: object,
    tmp_path: Path,
    tiny_title: PackageResult,
    origin_for: Callable[[Path], TestOrigin],
) -> None:
    origin = origin_for(Path(tiny_title.dir))

    async def download() -> str:
        store = _store(tmp_path)
        try:
            info = await store.download(origin.url("manifest.mpd"))
            assert info.complete
            return info.id
        finally:
            store.close()

    title_id = asyncio.run(download())
    origin.stop()  # from here on there is no network to fall back on
    served = len(origin.requests)

    window = MainWindow(offline_store=lambda: _store(tmp_path), recent=RecentTitles(None))
    window.resize(640, 400)
    window.show()
    try:
        window.refresh_offline_menu()
        qtbot.waitUntil(  # type: ignore[attr-defined]
            lambda: any(title_id in a.text() for a in window.offline_menu.actions()),
            timeout=10_000,
        )
        next(a for a in window.offline_menu.actions() if title_id in a.text()).trigger()
        wait_playing(qtbot, window, past=1.0)
        assert window.windowTitle().startswith(f"offline title {title_id}")
        assert len(origin.requests) == served
        assert window.session.last_snapshot.ladder  # the stored rungs
    finally:
        assert window.shutdown(timeout=2.0)
        window.close()
    store = _store(tmp_path)
    try:
        position = store.get(title_id).position
        assert position is not None and position >= 1.0  # saved when the window closed
    finally:
        store.close()


def test_an_unknown_offline_title_is_an_error_in_plain_words(
    qtbot: object, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    window = MainWindow(offline_store=lambda: _store(tmp_path), recent=RecentTitles(None))
    window.show()
    try:
        window.open("offline:0123456789abcdef")
        qtbot.waitUntil(window.banner.isVisible, timeout=LOAD_MS)  # type: ignore[attr-defined]
        assert window.banner.error is not None
        assert window.banner.error.code is Code.TITLE_NOT_FOUND
        assert "not on this computer" in window.banner.headline.text()
    finally:
        window.shutdown(timeout=2.0)
        window.close()
