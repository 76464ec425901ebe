"""A minimal MPD reader for the DRM tests: every ContentProtection element, interpreted.

The manifest parser is another part's; these tests only need the descriptors, so they
read them with ElementTree and hand the values to ``drm.describe_content_protection``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import defusedxml.ElementTree as SafeET

from drm.content_protection import ContentProtectionInfo, describe_content_protection

_PREFIX_USE = re.compile(
    r"</?([A-Za-z_][\w.-]*):[A-Za-z_]|\s([A-Za-z_][\w.-]*):[A-Za-z_][\w.-]*\s*="
)
_DECLARED = re.compile(r"xmlns:([A-Za-z_][\w.-]*)\s*=")


@dataclass(frozen=True)
class FoundProtection:
    """A ContentProtection element: where it is (AdaptationSet/Representation ids)."""

    where: str
    info: ContentProtectionInfo


def _declare_prefixes(text: str) -> str:
    used = {a or b for a, b in _PREFIX_USE.findall(text)} - {"xml", "xmlns"}
    missing = sorted(used - set(_DECLARED.findall(text)))
    if not missing:
        return text
    decl = "".join(f' xmlns:{p}="urn:undeclared:{p}"' for p in missing)
    return re.sub(r"(<MPD\b)", r"\1" + decl, text, count=1)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def read_protections(mpd: bytes, *, strict: bool = False) -> list[FoundProtection]:
    root = SafeET.fromstring(_declare_prefixes(mpd.decode("utf-8")))
    out: list[FoundProtection] = []

    def walk(el: ET.Element, where: str) -> None:
        for child in el:
            name = _local(child.tag)
            if name == "ContentProtection":
                out.append(FoundProtection(where, _interpret(child, strict)))
            elif name in ("Period", "AdaptationSet", "Representation"):
                walk(child, f"{where}/{name}[{child.get('id', '')}]")

    walk(root, "MPD")
    return out


def _interpret(el: ET.Element, strict: bool) -> ContentProtectionInfo:
    default_kid = next((v for k, v in el.attrib.items() if _local(k) == "default_KID"), None)
    pssh = pro = None
    urls: list[str] = []
    marlin: list[str] = []
    for sub in el.iter():
        name = _local(sub.tag)
        if name == "pssh":
            pssh = sub.text or ""
        elif name == "pro":
            pro = sub.text or ""
        elif name.lower() == "laurl":
            urls.append(sub.get("licenseUrl") or sub.text or "")
        elif name == "MarlinContentId":
            marlin.append(sub.text or "")
    return describe_content_protection(
        el.get("schemeIdUri", ""),
        value=el.get("value"),
        default_kid=default_kid,
        pssh=pssh,
        pro=pro,
        license_urls=urls,
        marlin_content_ids=marlin,
        strict=strict,
    )
