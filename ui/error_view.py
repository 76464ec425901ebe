"""Errors for people: a sentence in plain words, the technical detail one click away."""

from __future__ import annotations

import json

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from player import Category, Code, PlayerError

__all__ = ["ErrorBanner", "error_details", "plain_words"]

_BY_CODE: dict[Code, str] = {
    Code.MALFORMED_URL: "That address is not a web address the player can open.",
    Code.UNSUPPORTED_SCHEME: "The player opens http and https addresses, files and folders only.",
    Code.TIMEOUT: "The server took too long to answer.",
    Code.CONNECT_TIMEOUT: "The server could not be reached in time.",
    Code.UNSUPPORTED_CODEC: "This video is in a format this player cannot decode.",
    Code.NO_DECODABLE_REPRESENTATION: "None of the video's versions can be decoded here.",
    Code.SUBTITLE_INVALID: "The subtitles could not be read; the video plays without them.",
    Code.UNKNOWN_FORMAT: "This is not a video the player understands (DASH .mpd or HLS .m3u8).",
    Code.INVALID_ARGUMENT: "That cannot be opened.",
    Code.NOT_LOADED: "Open a video first.",
    Code.TITLE_NOT_FOUND: "That downloaded title is not on this computer.",
}

_BY_CATEGORY: dict[Category, str] = {
    Category.NETWORK: "The video could not be downloaded. Check the connection and the address.",
    Category.MANIFEST: "This address does not lead to a video the player can read.",
    Category.MEDIA: "Part of the video could not be decoded.",
    Category.DRM: "This video is protected and could not be unlocked.",
    Category.STORAGE: "The downloaded copy of this video could not be read.",
    Category.PLAYER: "Something went wrong in the player.",
}


def plain_words(err: PlayerError) -> str:
    """One sentence a viewer understands, without codes."""
    status = err.data.get("status")
    if err.code is Code.BAD_HTTP_STATUS and status in (404, 410):
        return "The video could not be found on the server."
    if err.code is Code.BAD_HTTP_STATUS and status in (401, 403):
        return "The server refused access to the video."
    if err.code in (Code.HTTP_ERROR, Code.ALL_ORIGINS_FAILED, Code.RETRIES_EXHAUSTED):
        return "The server could not be reached. Check the connection and the address."
    if err.code in (Code.INVALID_ARGUMENT, Code.UNKNOWN_FORMAT) and err.data.get("path"):
        return err.message[:1].upper() + err.message[1:] + "."
    return _BY_CODE.get(err.code) or _BY_CATEGORY.get(err.category, "Something went wrong.")


def error_details(err: PlayerError) -> str:
    """The technical detail: code, name, message, data."""
    lines = [f"{err.category.name} {int(err.code)} {err.code.name}", err.message]
    if err.data:
        lines.append(json.dumps(err.data, indent=2, default=str, sort_keys=True))
    lines.append(f"recoverable: {err.recoverable}")
    return "\n".join(lines)


class ErrorBanner(QFrame):
    """A banner over the picture: what went wrong in plain words, a Details button that
    shows the technical text, and a close button."""

    dismissed = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.setStyleSheet(
            "#errorBanner { background: rgba(40, 10, 10, 225); border: 1px solid #c62828;"
            " border-radius: 6px; } QLabel { color: #fff; background: transparent; }"
        )
        self.headline = QLabel(self)
        self.headline.setWordWrap(True)
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.headline.setFont(font)
        self.details_button = QPushButton("Details", self)
        self.details_button.setCheckable(True)
        self.details_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.close_button = QPushButton("Close", self)
        self.close_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.details = QPlainTextEdit(self)
        self.details.setReadOnly(True)
        self.details.setMaximumHeight(140)
        self.details.hide()
        self.details_button.toggled.connect(self.details.setVisible)
        self.close_button.clicked.connect(self._dismiss)
        row = QHBoxLayout()
        row.addWidget(self.headline, 1)
        row.addWidget(self.details_button)
        row.addWidget(self.close_button)
        box = QVBoxLayout(self)
        box.setContentsMargins(12, 8, 12, 8)
        box.addLayout(row)
        box.addWidget(self.details)
        self.error: PlayerError | None = None
        self.hide()

    def show_error(self, err: PlayerError) -> None:
        """Show ``err`` (details folded)."""
        self.error = err
        self.headline.setText(plain_words(err))
        self.details.setPlainText(error_details(err))
        self.details_button.setChecked(False)
        self.show()
        self.raise_()

    def _dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()
