"""Dialogs: "Open URL" (with the recent titles) and opening a local manifest."""

from __future__ import annotations

from PyQt6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.recent import RecentTitles

__all__ = ["OpenUrlDialog", "choose_local_manifest"]


class OpenUrlDialog(QDialog):
    """Asks for a DASH/HLS URL or a local path; recent titles are one click away."""

    def __init__(self, recent: RecentTitles, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open URL")
        self.setMinimumWidth(520)
        label = QLabel("DASH (.mpd) or HLS (.m3u8) address, or a local file or folder:", self)
        self.field = QComboBox(self)
        self.field.setEditable(True)
        self.field.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for item in recent.items:
            self.field.addItem(item.text)
        self.field.setCurrentText("")
        line = self.field.lineEdit()
        if line is not None:
            line.setPlaceholderText("https://example.com/stream/manifest.mpd")
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(label)
        box.addWidget(self.field)
        box.addWidget(browse)
        box.addWidget(buttons)

    @property
    def text(self) -> str:
        """What was typed or chosen."""
        return self.field.currentText().strip()

    def _browse(self) -> None:
        path = choose_local_manifest(self)
        if path:
            self.field.setCurrentText(path)


def choose_local_manifest(parent: QWidget | None) -> str:
    """A file dialog for a local ``.mpd`` / ``.m3u8``; "" when cancelled."""
    path, _ = QFileDialog.getOpenFileName(
        parent, "Open a manifest", "", "Manifests (*.mpd *.m3u8);;All files (*)"
    )
    return path
