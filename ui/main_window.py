"""The viewer's main window: picture, subtitles, controls, stats overlay, menus, keys.

Everything the window shows comes from :class:`~ui.session.PlaybackSession` signals;
everything the viewer does goes to the session, which runs it on the Player's loop. So
the window never waits on the network or the decoder. Closing it closes the Player
(cancelling downloads) within a second.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import QEvent, QRect, Qt, pyqtSignal
from PyQt6.QtGui import QAction, QCloseEvent, QKeySequence, QResizeEvent, QShortcut
from PyQt6.QtWidgets import QMainWindow, QMenu, QVBoxLayout, QWidget

from player import OfflineStore, PlayerConfig, PlayerError, PlayerEvent, Seeking, Stalled
from ui.audio_output import ViewerAudioOutput, open_audio_output
from ui.controls import ControlBar
from ui.dialogs import OpenUrlDialog, choose_local_manifest
from ui.error_view import ErrorBanner, plain_words
from ui.recent import RecentTitles, default_recent_path
from ui.session import PlaybackSession, Snapshot
from ui.sources import Source, parse_source
from ui.stats_overlay import StatsOverlay
from ui.video_widget import FrameBuffer, VideoWidget

__all__ = ["MainWindow"]

_SEEK_STEP_S = 5.0
_VOLUME_STEP = 0.1
_WAITING = ("buffering", "stalled", "seeking")


class _VideoArea(QWidget):
    """The picture with the overlays (stats, error banner) laid over it."""

    def __init__(self, video: VideoWidget, stats: StatsOverlay, banner: ErrorBanner) -> None:
        super().__init__()
        self.video, self.stats, self.banner = video, stats, banner
        for w in (video, stats, banner):
            w.setParent(self)
        stats.hide()
        self.setMinimumSize(320, 180)

    def resizeEvent(self, event: QResizeEvent | None) -> None:
        self.layout_children()

    def layout_children(self) -> None:
        r = self.rect()
        self.video.setGeometry(r)
        hint = self.stats.sizeHint()
        w = min(max(hint.width(), 380), r.width() - 20)
        h = min(hint.height(), r.height() - 20)
        self.stats.setGeometry(QRect(10, 10, max(0, w), max(0, h)))
        bh = self.banner.sizeHint().height()
        self.banner.setGeometry(QRect(20, max(10, r.height() - bh - 20), r.width() - 40, bh))


class MainWindow(QMainWindow):
    """The desktop viewer. ``config`` configures the Player; ``recent`` remembers titles
    (default: the user's recent file); ``audio_factory`` makes each title's audio output;
    ``offline_store`` opens the offline store (default: ``abrkit download``'s).

    ``errorShown(PlayerError)`` is emitted whenever the error banner shows an error (a
    title that cannot be opened or cannot play on).
    """

    errorShown = pyqtSignal(object)

    def __init__(
        self,
        config: PlayerConfig | None = None,
        *,
        recent: RecentTitles | None = None,
        audio_factory: Callable[[], ViewerAudioOutput] = open_audio_output,
        offline_store: Callable[[], OfflineStore] | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle("abrkit")
        self.recent = recent if recent is not None else RecentTitles(default_recent_path())
        self.frames = FrameBuffer()
        self.video = VideoWidget(self.frames)
        self.stats = StatsOverlay()
        self.banner = ErrorBanner()
        self.area = _VideoArea(self.video, self.stats, self.banner)
        self.controls = ControlBar()
        self.session = PlaybackSession(
            self.frames, config=config, audio_factory=audio_factory, offline_store=offline_store
        )
        self.video.set_timeline(self.session.timeline)
        self.source: Source | None = None
        self.last_error: PlayerError | None = None
        self.events: list[PlayerEvent] = []  # this title's events, for the curious and tests
        self._closed = False

        central = QWidget(self)
        col = QVBoxLayout(central)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(0)
        col.addWidget(self.area, 1)
        col.addWidget(self.controls)
        self.setCentralWidget(central)
        central.setStyleSheet("background: #111; color: #ddd;")
        self._menus()
        self._shortcuts()
        self._connect()
        self.resize(1024, 640)

    # -- wiring -----------------------------------------------------------------------

    def _connect(self) -> None:
        s, c = self.session, self.controls
        s.snapshotReady.connect(self._on_snapshot)
        s.playerEvent.connect(self._on_event)
        s.failed.connect(self._on_failed)
        s.notice.connect(self._on_notice)
        s.opened.connect(self._on_opened)
        s.status.connect(self.video.set_message)
        c.playPauseClicked.connect(s.toggle_pause)
        c.seekRequested.connect(s.seek)
        c.volumeChanged.connect(s.set_volume)
        c.muteToggled.connect(s.set_muted)
        c.qualitySelected.connect(s.select_quality)
        c.audioSelected.connect(s.select_audio)
        c.textSelected.connect(s.select_text)
        c.statsToggled.connect(self.set_stats_visible)
        c.fullscreenClicked.connect(self.toggle_fullscreen)
        self.stats.closeRequested.connect(lambda: self.set_stats_visible(False))
        self.video.doubleClicked.connect(self.toggle_fullscreen)
        self.video.clicked.connect(s.toggle_pause)

    def _menus(self) -> None:
        bar = self.menuBar()
        assert bar is not None
        file = bar.addMenu("&File")
        assert file is not None
        self._action(file, "Open &URL…", "Ctrl+L", self.open_url_dialog)
        self._action(file, "&Open File…", "Ctrl+O", self._open_file_dialog)
        self._action(file, "Open the &Sample", None, lambda: self.open(""))
        offline = file.addMenu("Offline &Titles")
        assert offline is not None
        self.offline_menu = offline
        offline.aboutToShow.connect(self.refresh_offline_menu)
        recent = file.addMenu("&Recent")
        assert recent is not None
        self.recent_menu = recent
        self._fill_recent()
        file.addSeparator()
        self._action(file, "&Quit", "Ctrl+Q", self.close)
        view = bar.addMenu("&View")
        assert view is not None
        self.stats_action = self._action(view, "&Stats for nerds", None, self.toggle_stats)
        self.stats_action.setCheckable(True)
        self._action(view, "&Full screen", None, self.toggle_fullscreen)

    def _action(
        self, menu: QMenu, text: str, keys: str | None, slot: Callable[[], object]
    ) -> QAction:
        action = QAction(text, self)
        if keys:
            action.setShortcut(QKeySequence(keys))
        action.triggered.connect(lambda _=False: slot())
        menu.addAction(action)
        return action

    def _shortcuts(self) -> None:
        keys: list[tuple[Qt.Key, Callable[[], object]]] = [
            (Qt.Key.Key_Space, self.session.toggle_pause),
            (Qt.Key.Key_K, self.session.toggle_pause),
            (Qt.Key.Key_Left, lambda: self.session.seek_by(-_SEEK_STEP_S)),
            (Qt.Key.Key_Right, lambda: self.session.seek_by(_SEEK_STEP_S)),
            (Qt.Key.Key_Up, lambda: self.change_volume(_VOLUME_STEP)),
            (Qt.Key.Key_Down, lambda: self.change_volume(-_VOLUME_STEP)),
            (Qt.Key.Key_F, self.toggle_fullscreen),
            (Qt.Key.Key_M, self.toggle_mute),
            (Qt.Key.Key_I, self.toggle_stats),
            (Qt.Key.Key_Escape, self.escape),
        ]
        self._shortcut_objects: list[QShortcut] = []
        for key, fn in keys:
            sc = QShortcut(QKeySequence(key), self)
            sc.setContext(Qt.ShortcutContext.WindowShortcut)
            sc.activated.connect(fn)
            self._shortcut_objects.append(sc)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        items = self.recent.items
        for item in items:
            action = QAction(item.title, self.recent_menu)
            action.setToolTip(item.text)
            action.triggered.connect(lambda _=False, t=item.text: self.open(t))
            self.recent_menu.addAction(action)
        self.recent_menu.setEnabled(bool(items))

    def refresh_offline_menu(self) -> None:
        """Fill File > Offline Titles from the store (listed on the Player's loop)."""
        self.session.list_offline(self._fill_offline)

    def _fill_offline(self, titles: list[tuple[str, str]]) -> None:
        self.offline_menu.clear()
        for title_id, url in titles:
            action = QAction(f"{title_id}  ({url})", self.offline_menu)
            action.triggered.connect(lambda _=False, t=title_id: self.open(f"offline:{t}"))
            self.offline_menu.addAction(action)
        if not titles:
            empty = QAction("(none: download titles with abrkit download)", self.offline_menu)
            empty.setEnabled(False)
            self.offline_menu.addAction(empty)

    # -- actions ----------------------------------------------------------------------

    def open(self, text: str | None) -> None:
        """Open a URL, a local path, or (empty text) the sample title."""
        try:
            source = parse_source(text)
        except PlayerError as err:
            self._on_failed(err)
            return
        self.source = source
        self.last_error = None
        self.events = []
        self.banner.hide()
        self.video.clear()
        self.stats.clear()
        self.setWindowTitle(f"{source.title} — abrkit")
        self.session.open(source)

    def open_url_dialog(self) -> None:
        """Ask for a URL (recent titles offered) and open it."""
        dialog = OpenUrlDialog(self.recent, self)
        if dialog.exec() == OpenUrlDialog.DialogCode.Accepted and dialog.text:
            self.open(dialog.text)

    def _open_file_dialog(self) -> None:
        path = choose_local_manifest(self)
        if path:
            self.open(path)

    def set_stats_visible(self, on: bool) -> None:
        """Show or hide the stats overlay."""
        self.stats.setVisible(on)
        if on:
            self.area.layout_children()
            self.stats.raise_()
        self.controls.set_stats_checked(on)
        self.stats_action.setChecked(on)

    def toggle_stats(self) -> None:
        """Toggle the stats overlay (I)."""
        self.set_stats_visible(not self.stats.isVisible())

    def toggle_fullscreen(self) -> None:
        """Enter or leave full screen (F, double click)."""
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

    def escape(self) -> None:
        """Esc: leave full screen, else close the overlay or the error banner."""
        if self.isFullScreen():
            self.showNormal()
        elif self.stats.isVisible():
            self.set_stats_visible(False)
        elif self.banner.isVisible():
            self.banner.hide()

    def toggle_mute(self) -> None:
        """Mute or unmute (M)."""
        muted = not self.session.muted
        self.session.set_muted(muted)
        self.controls.set_muted(muted)

    def change_volume(self, delta: float) -> None:
        """Louder or softer (Up / Down)."""
        self.session.set_volume(self.session.volume + delta)
        self.controls.set_volume(self.session.volume)
        if self.session.muted and delta > 0:
            self.toggle_mute()

    # -- from the session -------------------------------------------------------------

    def _on_snapshot(self, snap: Snapshot) -> None:
        if self._closed:
            return
        self.controls.show_snapshot(snap)
        self.stats.show_snapshot(snap)
        self.video.set_buffering(snap.state in _WAITING and self.last_error is None)

    def _on_event(self, ev: PlayerEvent) -> None:
        self.events.append(ev)
        if isinstance(ev, Stalled | Seeking):
            self.video.set_buffering(True)

    def _on_opened(self, source: Source) -> None:
        self.video.set_message("")
        self.recent.add(source.text, source.title)
        self._fill_recent()

    def _on_failed(self, err: PlayerError) -> None:
        if self._closed:
            return
        self.last_error = err
        self.video.set_buffering(False)
        self.video.set_message("")
        self.banner.show_error(err)
        self.area.layout_children()
        self.errorShown.emit(err)

    def _on_notice(self, err: PlayerError) -> None:
        if self._closed:
            return
        bar = self.statusBar()
        if bar is not None:
            bar.showMessage(plain_words(err), 8000)

    # -- Qt ---------------------------------------------------------------------------

    def changeEvent(self, event: QEvent | None) -> None:
        if event is not None and event.type() == QEvent.Type.WindowStateChange:
            full = self.isFullScreen()
            bar = self.menuBar()
            if bar is not None:
                bar.setVisible(not full)
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent | None) -> None:
        self.shutdown()
        if event is not None:
            event.accept()

    def shutdown(self, timeout: float = 1.0) -> bool:
        """Close the Player and its loop (bounded by ``timeout``); returns whether the
        loop thread ended in time."""
        self._closed = True
        return self.session.shutdown(timeout)
