"""The control bar: play/pause, seek bar, time, volume, quality/audio/subtitle menus,
stats and fullscreen toggles. It shows a :class:`~ui.session.Snapshot` and emits what
the viewer asks for; it never talks to the Player itself."""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QAction, QActionGroup
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QSlider,
    QToolButton,
    QWidget,
)

from ui.seek_bar import SeekBar, format_time
from ui.session import RungView, Snapshot, TrackView

__all__ = ["ControlBar"]

_PLAY = "\u25b6"  # ▶
_PAUSE = "\u275a\u275a"  # ❚❚


def _button(text: str, tip: str, parent: QWidget) -> QToolButton:
    b = QToolButton(parent)
    b.setText(text)
    b.setToolTip(tip)
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys go to the window's shortcuts
    b.setAutoRaise(True)
    return b


class ControlBar(QWidget):
    """Playback controls under the picture."""

    playPauseClicked = pyqtSignal()
    seekRequested = pyqtSignal(float)
    volumeChanged = pyqtSignal(float)
    muteToggled = pyqtSignal(bool)
    qualitySelected = pyqtSignal(object)  # int rung index, or None for Auto
    audioSelected = pyqtSignal(str)  # track id
    textSelected = pyqtSignal(object)  # track id, or None for off
    statsToggled = pyqtSignal(bool)
    fullscreenClicked = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.play_button = _button(_PLAY, "Play / pause (Space)", self)
        self.play_button.setMinimumWidth(32)
        self.play_button.clicked.connect(self.playPauseClicked)
        self.seek_bar = SeekBar(self)
        self.seek_bar.seekRequested.connect(self.seekRequested)
        self.time_label = QLabel("--:-- / --:--", self)
        self.time_label.setMinimumWidth(90)
        self.mute_button = _button("Mute", "Mute (M)", self)
        self.mute_button.setCheckable(True)
        self.mute_button.toggled.connect(self._on_mute)
        self.volume_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.volume_slider.setRange(0, 100)
        self.volume_slider.setValue(100)
        self.volume_slider.setFixedWidth(80)
        self.volume_slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.volume_slider.setToolTip("Volume (Up / Down)")
        self.volume_slider.valueChanged.connect(lambda v: self.volumeChanged.emit(v / 100))

        self.quality_button = _button("Auto", "Quality", self)
        self.quality_menu = QMenu(self)
        self.quality_button.setMenu(self.quality_menu)
        self.quality_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self._quality_group = QActionGroup(self)
        self._quality_actions: dict[int | None, QAction] = {}
        self._ladder: tuple[RungView, ...] = ()

        self.audio_button = _button("Audio", "Audio language", self)
        self.audio_menu = QMenu(self)
        self.audio_button.setMenu(self.audio_menu)
        self.audio_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self._audio_key: tuple[tuple[str, str], ...] = ()
        self._audio_actions: dict[str, QAction] = {}

        self.text_button = _button("Subtitles", "Subtitles", self)
        self.text_menu = QMenu(self)
        self.text_button.setMenu(self.text_menu)
        self.text_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self._text_key: tuple[tuple[str, str], ...] = ()
        self._text_actions: dict[str | None, QAction] = {}

        self.stats_button = _button("Stats", "Stats for nerds (I)", self)
        self.stats_button.setCheckable(True)
        self.stats_button.toggled.connect(self.statsToggled)
        self.fullscreen_button = _button("Full screen", "Full screen (F)", self)
        self.fullscreen_button.clicked.connect(self.fullscreenClicked)

        row = QHBoxLayout(self)
        row.setContentsMargins(6, 2, 6, 4)
        for w in (self.play_button, self.seek_bar, self.time_label, self.mute_button):
            row.addWidget(w)
        row.addWidget(self.volume_slider)
        for w in (
            self.quality_button,
            self.audio_button,
            self.text_button,
            self.stats_button,
            self.fullscreen_button,
        ):
            row.addWidget(w)
        self.audio_button.hide()
        self.text_button.hide()

    # -- showing a snapshot -----------------------------------------------------------

    def show_snapshot(self, snap: Snapshot) -> None:
        """Bring every control up to date with ``snap``."""
        playing = not snap.paused and snap.state not in ("ended", "error", "idle")
        self.play_button.setText(_PAUSE if playing else _PLAY)
        self.seek_bar.set_duration(snap.duration)
        self.seek_bar.set_position(snap.position)
        self.seek_bar.set_buffered(snap.buffered)
        total = "live" if snap.is_live else format_time(snap.duration)
        self.time_label.setText(f"{format_time(snap.position)} / {total}")
        self._show_quality(snap)
        self._show_audio(snap.audio_tracks)
        self._show_text(snap.text_tracks)

    def set_muted(self, muted: bool) -> None:
        """Show the mute state (without emitting)."""
        self.mute_button.blockSignals(True)
        self.mute_button.setChecked(muted)
        self.mute_button.blockSignals(False)
        self.mute_button.setText("Muted" if muted else "Mute")

    def set_volume(self, volume: float) -> None:
        """Show the volume (without emitting)."""
        self.volume_slider.blockSignals(True)
        self.volume_slider.setValue(round(volume * 100))
        self.volume_slider.blockSignals(False)

    def set_stats_checked(self, on: bool) -> None:
        """Show whether the stats overlay is open (without emitting)."""
        self.stats_button.blockSignals(True)
        self.stats_button.setChecked(on)
        self.stats_button.blockSignals(False)

    def quality_action(self, index: int | None) -> QAction | None:
        """The quality menu's action for rung ``index`` (None: Auto)."""
        return self._quality_actions.get(index)

    def audio_action(self, track_id: str) -> QAction | None:
        """The audio menu's action for ``track_id``."""
        return self._audio_actions.get(track_id)

    def text_action(self, track_id: str | None) -> QAction | None:
        """The subtitle menu's action for ``track_id`` (None: Off)."""
        return self._text_actions.get(track_id)

    def _on_mute(self, on: bool) -> None:
        self.mute_button.setText("Muted" if on else "Mute")
        self.muteToggled.emit(on)

    def _show_quality(self, snap: Snapshot) -> None:
        if snap.ladder != self._ladder:
            self._ladder = snap.ladder
            self.quality_menu.clear()
            for a in self._quality_group.actions():
                self._quality_group.removeAction(a)
            self._quality_actions = {}
            entries: list[tuple[int | None, str]] = [(None, "Auto")]
            entries += [(r.index, r.label) for r in reversed(snap.ladder)]
            for index, label in entries:
                action = QAction(label, self.quality_menu)
                action.setCheckable(True)
                action.setData(index)
                action.triggered.connect(lambda _=False, i=index: self.qualitySelected.emit(i))
                self._quality_group.addAction(action)
                self.quality_menu.addAction(action)
                self._quality_actions[index] = action
        playing = snap.playing_quality
        for index, action in self._quality_actions.items():
            action.setChecked(index == snap.manual_quality)
            if index is None:
                now = f" ({snap.ladder[playing].label})" if playing is not None else ""
                action.setText(f"Auto{now}")
            else:
                mark = "  ▶ playing" if index == playing else ""
                action.setText(f"{snap.ladder[index].label}{mark}")
        if snap.manual_quality is None:
            height = snap.ladder[playing].height if playing is not None else None
            self.quality_button.setText(f"Auto {height}p" if height else "Auto")
        elif 0 <= snap.manual_quality < len(snap.ladder):
            rung = snap.ladder[snap.manual_quality]
            self.quality_button.setText(f"{rung.height}p" if rung.height else rung.id)

    def _show_audio(self, tracks: tuple[TrackView, ...]) -> None:
        self.audio_button.setVisible(len(tracks) > 1)
        key = tuple((t.id, t.title) for t in tracks)
        if key != self._audio_key:
            self._audio_key = key
            self.audio_menu.clear()
            self._audio_actions = {}
            group = QActionGroup(self.audio_menu)
            for t in tracks:
                action = QAction(t.title, self.audio_menu)
                action.setCheckable(True)
                action.triggered.connect(lambda _=False, i=t.id: self.audioSelected.emit(i))
                group.addAction(action)
                self.audio_menu.addAction(action)
                self._audio_actions[t.id] = action
        for t in tracks:
            self._audio_actions[t.id].setChecked(t.selected)

    def _show_text(self, tracks: tuple[TrackView, ...]) -> None:
        self.text_button.setVisible(bool(tracks))
        key = tuple((t.id, t.title) for t in tracks)
        if key != self._text_key:
            self._text_key = key
            self.text_menu.clear()
            self._text_actions = {}
            group = QActionGroup(self.text_menu)
            entries: list[tuple[str | None, str]] = [(None, "Off")]
            entries += [(t.id, t.title) for t in tracks]
            for track_id, title in entries:
                action = QAction(title, self.text_menu)
                action.setCheckable(True)
                action.triggered.connect(lambda _=False, i=track_id: self.textSelected.emit(i))
                group.addAction(action)
                self.text_menu.addAction(action)
                self._text_actions[track_id] = action
        chosen = next((t.id for t in tracks if t.selected), None)
        for track_id, action in self._text_actions.items():
            action.setChecked(track_id == chosen)
        self.text_button.setText("Subtitles: off" if chosen is None else "Subtitles: on")
