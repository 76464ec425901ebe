"""Running ``mpegdash`` safely on a DOM we parsed, with its gaps closed.

``mpegdash`` is only ever handed the already-parsed, defused DOM (its ``MPEGDASHParser``
would open any non-XML string as a path or URL). Before it runs, the DOM is checked and
normalised where ``mpegdash`` would get it wrong:

* booleans: it calls ``bool("false")``, which is True; "false"/"0" become "" (False);
* typed attributes: it calls ``int()``/``float()`` and would raise a bare ValueError (or
  accept ``"1_000"``); every attribute it converts is validated here first and a bad one
  is a ``PlayerError(INVALID_ATTRIBUTE)`` naming the element, attribute and line;
* ids that the standard types as integers but real MPDs write as strings
  (``AdaptationSet@id``, ``Event@id``, ``ContentComponent@id``, ``AdaptationSet@group``)
  are moved aside for it and read by us from the stash.
"""

from __future__ import annotations

import re
from typing import Any

from mpegdash.nodes import MPEGDASH
from mpegdash.utils import parse_child_nodes

from player.errors import Code, PlayerError
from player.manifest._xml import ParsedXml

_UNSIGNED = re.compile(r"^\s*\+?\d{1,30}\s*$")
_SIGNED = re.compile(r"^\s*[+-]?\d{1,30}\s*$")
_FLOAT = re.compile(r"^\s*([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?|[+-]?INF)\s*$", re.I)

_REP_BASE = {
    "width": "u",
    "height": "u",
    "maximumSAPPeriod": "f",
    "startWithSAP": "u",
    "maxPlayoutRate": "f",
    "codingDependency": "b",
}
_SEG_BASE = {
    "timescale": "u",
    "presentationTimeOffset": "u",
    "availabilityTimeOffset": "f",
    "indexRangeExact": "b",
    "availabilityTimeComplete": "b",
}
_MULTI_SEG = {**_SEG_BASE, "duration": "u", "startNumber": "u", "endNumber": "u"}

# Attribute kinds by element local name: u unsigned int, s signed int, f float, b bool,
# x a string id mpegdash would int() (stashed).
TYPED: dict[str, dict[str, str]] = {
    "Representation": {
        **_REP_BASE,
        "bandwidth": "u",
        "qualityRanking": "u",
        "numChannels": "u",
        "sampleRate": "u",
    },
    "AdaptationSet": {
        **_REP_BASE,
        "id": "x",
        "group": "x",
        "minBandwidth": "u",
        "maxBandwidth": "u",
        "minWidth": "u",
        "maxWidth": "u",
        "minHeight": "u",
        "maxHeight": "u",
        "selectionPriority": "u",
        "subsegmentStartsWithSAP": "u",
        "segmentAlignment": "b",
        "subsegmentAlignment": "b",
        "bitstreamSwitching": "b",
    },
    "SubRepresentation": {**_REP_BASE, "level": "u", "bandwidth": "u", "dependencyLevel": "x"},
    "ContentComponent": {"id": "x"},
    "SegmentBase": _SEG_BASE,
    "SegmentTemplate": _MULTI_SEG,
    "SegmentList": _MULTI_SEG,
    "S": {"t": "u", "d": "u", "r": "s"},
    "Event": {"presentationTime": "u", "duration": "u", "id": "x"},
    "EventStream": {"timescale": "u"},
    "BaseURL": {"availabilityTimeOffset": "f", "availabilityTimeComplete": "b"},
    "Period": {"bitstreamSwitching": "b"},
    "Subset": {"contains": "x"},
}


class Stash:
    """Attributes moved out of ``mpegdash``'s way, by element."""

    def __init__(self) -> None:
        self._values: dict[int, dict[str, str]] = {}

    def put(self, element: Any, name: str, value: str) -> None:
        """Remember ``element@name``."""
        self._values.setdefault(id(element), {})[name] = value

    def get(self, element: Any, name: str) -> str | None:
        """The stashed ``element@name``, or the live attribute when not stashed."""
        found = self._values.get(id(element), {}).get(name)
        if found is not None:
            return found
        node = element.getAttributeNode(name)
        return None if node is None else str(node.value)


def element_path(xml: ParsedXml, element: Any) -> str:
    """``MPD/Period[0]/AdaptationSet[1]/Representation[id=v1] (line 12)`` for messages."""
    parts: list[str] = []
    node = element
    while node is not None and getattr(node, "nodeType", None) == node.ELEMENT_NODE:
        name = node.localName or node.nodeName
        ident = node.getAttribute("id") if node.hasAttribute("id") else ""
        if ident and name in ("Representation", "Period", "AdaptationSet"):
            parts.append(f"{name}[id={ident}]")
        elif node.parentNode is not None and node.parentNode.nodeType == node.ELEMENT_NODE:
            same = [
                c
                for c in node.parentNode.childNodes
                if c.nodeType == c.ELEMENT_NODE and c.localName == node.localName
            ]
            parts.append(f"{name}[{same.index(node)}]" if len(same) > 1 else name)
        else:
            parts.append(name)
        node = node.parentNode
    path = "/".join(reversed(parts))
    line = xml.line(element)
    return f"{path} (line {line})" if line is not None else path


def prepare(xml: ParsedXml) -> Stash:
    """Validate and normalise every attribute ``mpegdash`` converts; stash string ids."""
    stash = Stash()
    stack: list[Any] = [xml.root]
    while stack:
        el = stack.pop()
        stack.extend(c for c in el.childNodes if c.nodeType == c.ELEMENT_NODE)
        kinds = TYPED.get(el.localName)
        if not kinds:
            continue
        for name, kind in kinds.items():
            node = el.getAttributeNode(name)
            if node is None:
                continue
            value = str(node.value)
            if kind == "x":
                stash.put(el, name, value)
                el.removeAttribute(name)
            elif kind == "b":
                low = value.strip().lower()
                if low in ("true", "1"):
                    el.setAttribute(name, "true")
                elif low in ("false", "0"):
                    el.setAttribute(name, "")  # mpegdash: bool("") is False
                else:
                    # conditional-uint attributes (segmentAlignment="2") mean true
                    if _UNSIGNED.match(value):
                        el.setAttribute(name, "true")
                    else:
                        _bad(xml, el, name, value, "a boolean")
            elif kind == "u":
                if not _UNSIGNED.match(value):
                    _bad(xml, el, name, value, "a non-negative integer")
                el.setAttribute(name, value.strip().lstrip("+"))
            elif kind == "s":
                if not _SIGNED.match(value):
                    _bad(xml, el, name, value, "an integer")
                el.setAttribute(name, value.strip().lstrip("+"))
            elif kind == "f":
                if not _FLOAT.match(value):
                    _bad(xml, el, name, value, "a number")
                el.setAttribute(name, value.strip())
    return stash


def _bad(xml: ParsedXml, el: Any, name: str, value: str, what: str) -> None:
    shown = value if len(value) <= 40 else value[:40] + "..."
    raise PlayerError(
        Code.INVALID_ATTRIBUTE,
        f"{element_path(xml, el)}: @{name}={shown!r} is not {what}",
        data={"line": xml.line(el), "attribute": name},
    )


def run_mpegdash(xml: ParsedXml) -> Any:
    """``mpegdash``'s MPD object for the prepared DOM."""
    try:
        found = parse_child_nodes(xml.document, "MPD", MPEGDASH)
    except (ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
        # prepare() validates what mpegdash converts; this is the last line of defence.
        raise PlayerError(Code.DASH_INVALID, f"MPD could not be read: {exc}") from None
    if not found:
        raise PlayerError(Code.DASH_INVALID, "no MPD element at the root")
    return found[0]
