"""The cue model: one timed piece of subtitle text and where the cue says to put it.

Positions follow the WebVTT rendering rules (W3C WebVTT, "cue computed position" and
friends): percentages of the video viewport, ``line`` either a percentage or a line
number (negative counts from the bottom), so any renderer can place a cue from these
numbers alone.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

__all__ = ["Cue", "CueSettings", "TextSpan"]

_TAG = re.compile(r"<(/?)([^>\s./]*)([^>]*)>")
_ENTITY = re.compile(r"&(amp|lt|gt|nbsp|lrm|rlm);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "nbsp": "\u00a0", "lrm": "\u200e", "rlm": "\u200f"}
_STYLE_TAGS = {"b", "i", "u"}


@dataclass(frozen=True, slots=True)
class CueSettings:
    """A cue's settings line (``line:10% align:start ...``), as parsed.

    ``line`` is None for "auto"; ``snap_to_lines`` tells whether it counts lines (an
    integer, negative from the bottom) or is a percentage of the viewport height.
    ``position`` is None for "auto" (then it follows ``align``). ``size`` is the width of
    the cue box in percent of the viewport.
    """

    vertical: str = ""  # "", "rl" or "lr"
    line: float | None = None
    snap_to_lines: bool = True
    line_align: str = "start"  # start | center | end
    position: float | None = None
    position_align: str = "auto"  # line-left | center | line-right | auto
    size: float = 100.0
    align: str = "center"  # start | center | end | left | right
    region: str | None = None

    def computed_position(self) -> float:
        """The horizontal anchor in percent (WebVTT "computed position")."""
        if self.position is not None:
            return self.position
        if self.align in ("left", "start"):
            return 0.0
        if self.align in ("right", "end"):
            return 100.0
        return 50.0

    def computed_position_align(self) -> str:
        """``line-left``, ``center`` or ``line-right`` (WebVTT "computed position alignment")."""
        if self.position_align != "auto":
            return self.position_align
        if self.align in ("left", "start"):
            return "line-left"
        if self.align in ("right", "end"):
            return "line-right"
        return "center"

    def box(self) -> tuple[float, float]:
        """The cue box's left edge and width, in percent of the viewport width.

        The width is ``size`` limited by the room the anchor leaves on the aligned side
        (WebVTT's "maximum size"), so a cue never runs off the picture.
        """
        pos = self.computed_position()
        palign = self.computed_position_align()
        if palign == "line-left":
            room = 100.0 - pos
        elif palign == "line-right":
            room = pos
        else:
            room = 2 * min(pos, 100.0 - pos)
        width = max(0.0, min(self.size, room))
        if palign == "line-left":
            left = pos
        elif palign == "line-right":
            left = pos - width
        else:
            left = pos - width / 2
        return max(0.0, min(100.0 - width, left)), width


@dataclass(frozen=True, slots=True)
class TextSpan:
    """A run of cue text with one style: what a renderer draws in one go."""

    text: str
    bold: bool = False
    italic: bool = False
    underline: bool = False


@dataclass(frozen=True, slots=True)
class Cue:
    """A subtitle cue: shown from ``start`` (inclusive) to ``end`` (exclusive), seconds on
    the presentation timeline. ``text`` is the payload as written (WebVTT markup kept)."""

    start: float
    end: float
    text: str
    id: str = ""
    settings: CueSettings = field(default_factory=CueSettings)

    def active_at(self, t: float) -> bool:
        """Whether the cue is on screen at presentation time ``t``."""
        return self.start <= t < self.end

    @property
    def plain_text(self) -> str:
        """The text without markup, entities decoded (lines kept)."""
        return "".join(s.text for s in self.spans)

    @property
    def spans(self) -> tuple[TextSpan, ...]:
        """The text as styled runs (``<b>``, ``<i>``, ``<u>``); other tags are dropped
        (voice, class, language, ruby and timestamp tags keep their text)."""
        out: list[TextSpan] = []
        stack: list[str] = []
        pos = 0
        for m in _TAG.finditer(self.text):
            _append(out, self.text[pos : m.start()], stack)
            pos = m.end()
            closing, name = m.group(1) == "/", m.group(2).lower()
            if name not in _STYLE_TAGS:
                continue
            if closing:
                if name in stack:
                    # Close the innermost matching tag (markup is not always well nested).
                    del stack[len(stack) - 1 - stack[::-1].index(name)]
            else:
                stack.append(name)
        _append(out, self.text[pos:], stack)
        return tuple(out)

    def to_html(self) -> str:
        """The text as simple HTML (``<b>``, ``<i>``, ``<u>``, ``<br>``) for rich-text
        renderers such as Qt's."""
        parts: list[str] = []
        for span in self.spans:
            text = html.escape(span.text).replace("\n", "<br>")
            for flag, tag in ((span.underline, "u"), (span.italic, "i"), (span.bold, "b")):
                if flag:
                    text = f"<{tag}>{text}</{tag}>"
            parts.append(text)
        return "".join(parts)


def _append(out: list[TextSpan], raw: str, stack: list[str]) -> None:
    if not raw:
        return
    text = _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], raw)
    span = TextSpan(text, "b" in stack, "i" in stack, "u" in stack)
    if out and (out[-1].bold, out[-1].italic, out[-1].underline) == (
        span.bold,
        span.italic,
        span.underline,
    ):
        out[-1] = TextSpan(out[-1].text + text, span.bold, span.italic, span.underline)
    else:
        out.append(span)
