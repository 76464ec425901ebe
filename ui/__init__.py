"""ui: the PyQt6 desktop viewer (needs the ``gui`` extra).

:class:`MainWindow` plays DASH/HLS URLs, local manifests and the sample title with
controls, subtitles, quality/audio/subtitle menus and a stats overlay;
:func:`run_viewer` runs it (``abrkit gui``). :class:`PlaybackSession` is the window's
link to the Player (on its own asyncio thread), usable by other Qt front ends.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ui.app import run_viewer
    from ui.audio_output import QtAudioOutput, SilentAudioOutput, open_audio_output
    from ui.main_window import MainWindow
    from ui.session import PlaybackSession, Snapshot
    from ui.sources import Source, parse_source
    from ui.video_widget import FrameBuffer, VideoWidget

# Qt loads on first use (PEP 562): ``abrkit`` discovers the ``gui`` command through
# ``ui.cli`` without importing PyQt6 for every other command.
_LAZY = {
    "run_viewer": "ui.app",
    "QtAudioOutput": "ui.audio_output",
    "SilentAudioOutput": "ui.audio_output",
    "open_audio_output": "ui.audio_output",
    "MainWindow": "ui.main_window",
    "PlaybackSession": "ui.session",
    "Snapshot": "ui.session",
    "Source": "ui.sources",
    "parse_source": "ui.sources",
    "FrameBuffer": "ui.video_widget",
    "VideoWidget": "ui.video_widget",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ui' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "FrameBuffer",
    "MainWindow",
    "PlaybackSession",
    "QtAudioOutput",
    "SilentAudioOutput",
    "Snapshot",
    "Source",
    "VideoWidget",
    "open_audio_output",
    "parse_source",
    "run_viewer",
]
