"""DASH SegmentTemplate URL templates: ``$RepresentationID$``, ``$Number$``, ``$Time$``,
``$Bandwidth$``, ``$SubNumber$``, ``$$``, with printf-style width tags (``$Number%05d$``).

A template is compiled once into literal and field parts, so expanding it for a segment
is a join; a malformed template is a ``PlayerError(TEMPLATE_INVALID)`` at parse time,
never at fetch time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from player.errors import Code, PlayerError

_FIELD = re.compile(
    r"^(RepresentationID|Number|Time|Bandwidth|SubNumber)(%0?(\d{1,3})?([diuxXo]))?$"
)
_MAX_WIDTH = 64


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    width: int
    conv: str


@dataclass(frozen=True, slots=True)
class UrlTemplate:
    """A compiled template; :meth:`expand` fills it for one segment."""

    source: str
    parts: tuple[str | _Field, ...]

    @property
    def uses_time(self) -> bool:
        """Whether the template addresses segments by ``$Time$``."""
        return any(isinstance(p, _Field) and p.name == "Time" for p in self.parts)

    @property
    def uses_number(self) -> bool:
        """Whether the template addresses segments by ``$Number$``."""
        return any(isinstance(p, _Field) and p.name == "Number" for p in self.parts)

    def expand(
        self,
        representation_id: str,
        bandwidth: int,
        number: int | None = None,
        time: int | None = None,
        sub_number: int | None = None,
    ) -> str:
        """The URL (still relative to the BaseURL) for these values."""
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            if part.name == "RepresentationID":
                out.append(representation_id)
                continue
            value = {
                "Number": number,
                "Time": time,
                "Bandwidth": bandwidth,
                "SubNumber": sub_number,
            }[part.name]
            if value is None:
                raise PlayerError(
                    Code.TEMPLATE_INVALID,
                    f"template {self.source!r} uses ${part.name}$, which this addressing "
                    "mode does not define",
                )
            out.append(_format(value, part))
        return "".join(out)


def _format(value: int, field: _Field) -> str:
    conv = field.conv
    if conv in "diu":
        text = str(abs(value))
    elif conv == "x":
        text = format(abs(value), "x")
    elif conv == "X":
        text = format(abs(value), "X")
    else:
        text = format(abs(value), "o")
    text = text.rjust(field.width, "0")
    return "-" + text if value < 0 else text


def compile_template(source: str, where: str) -> UrlTemplate:
    """Compile a SegmentTemplate ``@media``/``@initialization``/``@index`` string."""
    parts: list[str | _Field] = []
    pieces = source.split("$")
    if len(pieces) % 2 == 0:
        raise PlayerError(Code.TEMPLATE_INVALID, f"{where}: unbalanced '$' in template {source!r}")
    for i, piece in enumerate(pieces):
        if i % 2 == 0:
            if piece:
                parts.append(piece)
            continue
        if piece == "":  # "$$" is a literal dollar sign
            parts.append("$")
            continue
        m = _FIELD.match(piece)
        if m is None:
            raise PlayerError(
                Code.TEMPLATE_INVALID,
                f"{where}: unknown template identifier ${piece}$ in {source!r}",
            )
        name = m.group(1)
        width = int(m.group(3) or 1) if m.group(2) else 1
        conv = m.group(4) or "d"
        if name == "RepresentationID" and m.group(2):
            raise PlayerError(
                Code.TEMPLATE_INVALID,
                f"{where}: $RepresentationID$ takes no format tag in {source!r}",
            )
        if width > _MAX_WIDTH:
            raise PlayerError(
                Code.TEMPLATE_INVALID, f"{where}: width {width} too large in {source!r}"
            )
        parts.append(_Field(name, width, conv))
    merged: list[str | _Field] = []
    for p in parts:  # join adjacent literals so expansion is one pass
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] = merged[-1] + p
        else:
            merged.append(p)
    return UrlTemplate(source, tuple(merged))
