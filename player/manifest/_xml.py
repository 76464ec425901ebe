"""Safe XML parsing for MPDs: defused expat into a minidom tree with line numbers.

The parser never resolves anything its input names: DTDs, entity declarations and
external references are refused with ``FORBIDDEN_CONSTRUCT``. Real MPDs often use a
namespace prefix (``dashif:``, ``yt:``, ``scte35:``) without declaring it, which a
namespace-aware parser rejects; such prefixes are declared on the root element before
parsing (well-known ones with their real namespace URI), so the document parses the way
lenient players read it.
"""

from __future__ import annotations

import re
from typing import Any
from xml.dom import minidom
from xml.parsers.expat import ExpatError

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden
from defusedxml.expatbuilder import DefusedExpatBuilderNS

from player.errors import Code, PlayerError

# Namespaces of prefixes that MPDs use, sometimes without declaring them.
KNOWN_PREFIXES: dict[str, str] = {
    "cenc": "urn:mpeg:cenc:2013",
    "mspr": "urn:microsoft:playready",
    "ms": "urn:microsoft",
    "dashif": "https://dashif.org/CPS",
    "clearkey": "http://dashif.org/guidelines/clearKey",
    "dvb": "urn:dvb:dash:extensions:2014",
    "xlink": "http://www.w3.org/1999/xlink",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "scte35": "http://www.scte.org/schemas/35/2016",
    "scte214": "urn:scte:dash:scte214-extensions",
    "cpix": "urn:dashif:org:cpix",
}
UNDECLARED_NS = "urn:abrkit:undeclared:"

_PREFIX_IN_TAG = re.compile(rb"</?([A-Za-z_][\w.\-]*):[A-Za-z_]")
_PREFIX_IN_ATTR = re.compile(rb"\s([A-Za-z_][\w.\-]*):[A-Za-z_][\w.\-]*\s*=")
_DECLARED = re.compile(rb"xmlns:([A-Za-z_][\w.\-]*)\s*=")
# The root element's start tag: the first '<' followed by a name (not '<?' or '<!').
_ROOT_TAG = re.compile(rb"<([A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)")
_SKIP_PROLOG = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->)", re.S)


class ParsedXml:
    """A parsed document plus the source line of each element (for error messages)."""

    def __init__(self, document: minidom.Document, lines: dict[int, int]) -> None:
        self.document = document
        self._lines = lines

    @property
    def root(self) -> minidom.Element:
        """The document element."""
        root = self.document.documentElement
        assert root is not None
        return root

    def line(self, element: Any) -> int | None:
        """Line of ``element``'s start tag in the input, when known."""
        return self._lines.get(id(element))


class _LineBuilder(DefusedExpatBuilderNS):  # type: ignore[misc]
    """A defused namespace-aware builder that remembers each element's line."""

    def __init__(self) -> None:
        super().__init__(forbid_dtd=True, forbid_entities=True, forbid_external=True)
        self.lines: dict[int, int] = {}

    def start_element_handler(self, name: str, attributes: list[str]) -> None:
        super().start_element_handler(name, attributes)
        self.lines[id(self.curNode)] = self._parser.CurrentLineNumber


def _declare_missing_prefixes(data: bytes) -> bytes:
    used = set(_PREFIX_IN_TAG.findall(data)) | set(_PREFIX_IN_ATTR.findall(data))
    used -= {b"xml", b"xmlns"}
    if not used:
        return data
    declared = set(_DECLARED.findall(data))
    missing = sorted(used - declared)
    if not missing:
        return data
    pos = 0
    while True:
        m = _SKIP_PROLOG.match(data, pos)
        if m is None:
            break
        pos = m.end()
    root = _ROOT_TAG.search(data, pos)
    if root is None:
        return data
    decls = b"".join(
        b' xmlns:%s="%s"'
        % (p, KNOWN_PREFIXES.get(p.decode("ascii"), UNDECLARED_NS + p.decode("ascii")).encode())
        for p in missing
    )
    return data[: root.end()] + decls + data[root.end() :]


def parse_xml(data: bytes, what: str = "MPD") -> ParsedXml:
    """Parse ``data`` safely; raise ``PlayerError`` (MANIFEST) on any failure."""
    fixed = _declare_missing_prefixes(data)
    builder = _LineBuilder()
    try:
        document = builder.parseString(fixed)
    except (DTDForbidden, EntitiesForbidden) as exc:
        raise PlayerError(
            Code.FORBIDDEN_CONSTRUCT,
            f"{what}: DTDs and entity declarations are not allowed ({type(exc).__name__})",
        ) from None
    except DefusedXmlException as exc:
        raise PlayerError(
            Code.FORBIDDEN_CONSTRUCT, f"{what}: forbidden XML construct ({exc})"
        ) from None
    except ExpatError as exc:
        raise PlayerError(
            Code.INVALID_XML,
            f"{what} is not well-formed XML: {exc}",
            data={"line": getattr(exc, "lineno", None)},
        ) from None
    except (ValueError, LookupError, UnicodeError, RecursionError) as exc:
        # LookupError: an unknown encoding in the XML declaration.
        raise PlayerError(Code.INVALID_XML, f"{what} is not readable XML: {exc}") from None
    return ParsedXml(document, builder.lines)


def children(element: Any, local_name: str | None = None) -> list[minidom.Element]:
    """Element children of ``element``, optionally only those with this local name."""
    return [
        n
        for n in element.childNodes
        if n.nodeType == n.ELEMENT_NODE and (local_name is None or n.localName == local_name)
    ]


def attr(element: minidom.Element, name: str) -> str | None:
    """An un-namespaced attribute's value, or None when absent."""
    node = element.getAttributeNode(name)
    return None if node is None else str(node.value)


def attr_local(element: minidom.Element, local_name: str) -> str | None:
    """An attribute by local name in any namespace (``cenc:default_KID``, ``dvb:priority``)."""
    value = attr(element, local_name)
    if value is not None:
        return value
    for node in element.attributes.values():
        if node.localName == local_name:
            return str(node.value)
    return None


def text_of(element: minidom.Element) -> str:
    """The concatenated text and CDATA content of ``element`` (not of its children)."""
    return "".join(
        n.data for n in element.childNodes if n.nodeType in (n.TEXT_NODE, n.CDATA_SECTION_NODE)
    )


def inner_xml(element: minidom.Element) -> str:
    """Everything inside ``element`` as text: character data kept verbatim, child
    elements serialized."""
    parts: list[str] = []
    for n in element.childNodes:
        if n.nodeType in (n.TEXT_NODE, n.CDATA_SECTION_NODE):
            parts.append(n.data)
        elif n.nodeType == n.ELEMENT_NODE:
            parts.append(n.toxml())
    return "".join(parts)
