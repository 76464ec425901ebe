"""Running the viewer: the Qt application, the window, and screenshot mode.

``run_viewer(url)`` opens the window and plays until it is closed. With ``screenshot``
it plays, grabs the window ``after`` seconds after the first frame, saves the PNG and
exits (for docs and tests); a title that fails is captured with its error showing and
the exit status is 1.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from PyQt6.QtCore import QTimer
from PyQt6.QtGui import QColor, QPalette
from PyQt6.QtWidgets import QApplication

from player import OfflineStore, PlaybackStarted, PlayerConfig, PlayerError, PlayerEvent
from ui.main_window import MainWindow

__all__ = ["needs_offscreen", "run_viewer"]


def needs_offscreen() -> bool:
    """Whether Qt has no display to use (no X11/Wayland and no platform chosen)."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return False
    if sys.platform in ("darwin", "win32"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_viewer(
    source: str | None = None,
    *,
    config: PlayerConfig | None = None,
    screenshot: Path | None = None,
    after: float = 3.0,
    stats: bool = False,
    size: tuple[int, int] = (1024, 640),
    timeout: float = 900.0,
    offline_store: Path | None = None,
) -> int:
    """Show the viewer playing ``source`` (None: the sample title); returns the exit
    status. ``screenshot``: save the window there ``after`` seconds into playback and
    exit; ``timeout`` bounds screenshot mode (the sample's first build takes minutes).
    ``offline_store``: the store folder for ``offline:ID`` titles (default: the usual)."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication([sys.argv[0] if sys.argv else "abrkit"])
    app.setApplicationName("abrkit")
    _dark_theme(app)
    store: Callable[[], OfflineStore] | None = None
    if offline_store is not None:
        folder = offline_store
        store = lambda: OfflineStore(folder)  # noqa: E731
    window = MainWindow(config, offline_store=store)
    window.resize(*size)
    status = [0]

    if screenshot is not None:
        target = screenshot
        done = [False]

        def capture(code: int) -> None:
            if done[0]:
                return
            done[0] = True
            pixmap = window.grab()
            target.parent.mkdir(parents=True, exist_ok=True)
            status[0] = code if pixmap.save(str(target), "PNG") else 2
            window.close()

        def on_event(ev: PlayerEvent) -> None:
            if isinstance(ev, PlaybackStarted) and not done[0]:
                QTimer.singleShot(round(after * 1000), lambda: capture(0))

        def on_failed(err: PlayerError) -> None:
            print(f"abrkit gui: {err}", file=sys.stderr)
            QTimer.singleShot(300, lambda: capture(1))  # let the banner paint first

        window.session.playerEvent.connect(on_event)
        window.errorShown.connect(on_failed)
        QTimer.singleShot(round(timeout * 1000), lambda: capture(1))

    # Ctrl-C closes the window cleanly; the timer lets Python see the signal.
    previous = signal.signal(signal.SIGINT, lambda *_: window.close())
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(200)
    try:
        window.show()
        if stats:
            window.set_stats_visible(True)
        window.open(source)
        app.exec()
    finally:
        wake.stop()
        signal.signal(signal.SIGINT, previous)
        window.shutdown()
    return status[0]


def _dark_theme(app: QApplication) -> None:
    """Fusion with a dark palette: a video player's chrome should not outshine the picture."""
    app.setStyle("Fusion")
    p = QPalette()
    role = QPalette.ColorRole
    for r, color in (
        (role.Window, QColor(28, 28, 30)),
        (role.WindowText, QColor(225, 225, 225)),
        (role.Base, QColor(20, 20, 22)),
        (role.AlternateBase, QColor(36, 36, 40)),
        (role.Text, QColor(225, 225, 225)),
        (role.Button, QColor(40, 40, 44)),
        (role.ButtonText, QColor(225, 225, 225)),
        (role.Highlight, QColor(229, 57, 53)),
        (role.HighlightedText, QColor(255, 255, 255)),
        (role.ToolTipBase, QColor(40, 40, 44)),
        (role.ToolTipText, QColor(225, 225, 225)),
    ):
        p.setColor(r, color)
    app.setPalette(p)
