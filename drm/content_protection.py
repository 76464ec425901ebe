"""What one DASH ``ContentProtection`` element (or its parts) says: system, KIDs, license URL.

The manifest parser reads the XML; this module interprets the values it found, so the
DRM meaning of a descriptor lives in one place. KIDs come from ``cenc:default_KID``, a
version 1 PSSH, Widevine PSSH data, a PlayReady Object or Marlin content ids; the license
URL from ``dashif:Laurl`` / ``clearkey:Laurl`` / ``ms:laurl`` or else the WRMHEADER's
``LA_URL``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from drm.errors import DrmCode, DrmError
from drm.playready import WrmHeader, parse_playready_object
from drm.pssh import PsshBox, parse_pssh
from drm.systems import MP4PROTECTION_SCHEME, PLAYREADY, WIDEVINE, system_by_id
from drm.widevine_pssh import WidevinePsshData, parse_widevine_pssh_data

_MARLIN_KID_PREFIX = "urn:marlin:kid:"


@dataclass(frozen=True, slots=True)
class ContentProtectionInfo:
    """The meaning of one ``ContentProtection`` descriptor.

    ``system`` is a short name from :mod:`drm.systems` (``"cenc"`` for the mp4protection
    element, ``"unknown"`` for systems not listed); ``key_system`` the EME key system;
    ``key_ids`` every KID it names, in order; ``problems`` what was malformed and left
    out (only in lenient mode).
    """

    scheme_id_uri: str
    system: str
    system_id: bytes | None
    key_system: str | None
    value: str | None
    default_kid: bytes | None
    pssh: PsshBox | None
    key_ids: tuple[bytes, ...]
    license_url: str | None
    playready_header: WrmHeader | None = None
    widevine_data: WidevinePsshData | None = None
    problems: tuple[str, ...] = ()

    @property
    def scheme(self) -> str | None:
        """The protection scheme the mp4protection element names (``"cenc"``, ``"cbcs"``)."""
        return self.value if self.scheme_id_uri.lower() == MP4PROTECTION_SCHEME else None


def parse_kid(text: str) -> bytes:
    """A KID from ``cenc:default_KID`` text (UUID with or without dashes, any case)."""
    try:
        return uuid.UUID(text.strip()).bytes
    except ValueError:
        raise DrmError(DrmCode.INIT_DATA_INVALID, f"{text!r} is not a 128-bit key id") from None


def describe_content_protection(
    scheme_id_uri: str,
    *,
    value: str | None = None,
    default_kid: str | None = None,
    pssh: str | bytes | None = None,
    pro: str | bytes | None = None,
    license_urls: Iterable[str] = (),
    marlin_content_ids: Iterable[str] = (),
    strict: bool = True,
) -> ContentProtectionInfo:
    """Interpret the values of one ``ContentProtection`` element.

    ``pssh`` is the ``cenc:pssh`` text (or bytes), ``pro`` the ``mspr:pro`` text,
    ``license_urls`` the texts (or ``licenseUrl`` attributes) of its Laurl elements.
    In strict mode a malformed KID, PSSH or PRO raises ``DrmError`` (INIT_DATA_INVALID,
    PSSH_INVALID); lenient mode leaves it out and says so in ``problems``.
    """
    problems: list[str] = []

    def soft(err: DrmError) -> None:
        if strict:
            raise err
        problems.append(err.message)

    scheme = scheme_id_uri.strip()
    is_mp4 = scheme.lower() == MP4PROTECTION_SCHEME
    system = None if is_mp4 else system_by_id(scheme)
    kids: list[bytes] = []

    def add(kid: bytes) -> None:
        if kid not in kids:
            kids.append(kid)

    kid = None
    if default_kid:
        try:
            kid = parse_kid(default_kid)
            add(kid)
        except DrmError as err:
            soft(err)
    box = None
    widevine = None
    if pssh:
        try:
            box = parse_pssh(pssh)
        except DrmError as err:
            soft(err)
    if box is not None:
        for k in box.key_ids:
            add(k)
        if system is None and not is_mp4:
            system = box.system
        if box.system is WIDEVINE:
            try:
                widevine = parse_widevine_pssh_data(box.data)
                for k in widevine.key_ids:
                    if len(k) == 16:
                        add(k)
            except DrmError as err:
                soft(err)
    header = None
    pro_sources: list[str | bytes] = [pro] if pro else []
    if box is not None and box.system is not None and box.system.name == PLAYREADY.name:
        pro_sources.append(box.data)
    for source in pro_sources:
        try:
            header = parse_playready_object(source).wrm_header or header
        except DrmError as err:
            soft(err)
        if header is not None:
            break
    if header is not None:
        for k in header.key_ids:
            add(k)
    for mc in marlin_content_ids:
        text = mc.strip()
        if text.lower().startswith(_MARLIN_KID_PREFIX):
            try:
                add(parse_kid(text[len(_MARLIN_KID_PREFIX) :]))
            except DrmError as err:
                soft(err)
    urls = [u.strip() for u in license_urls if u and u.strip()]
    license_url = urls[0] if urls else (header.la_url if header else None)
    if is_mp4:
        name, system_id, key_system = "cenc", None, None
    elif system is not None:
        name, system_id, key_system = system.name, system.system_id, system.key_system
    else:
        name, system_id, key_system = "unknown", _uuid_of(scheme), None
    return ContentProtectionInfo(
        scheme_id_uri=scheme,
        system=name,
        system_id=system_id,
        key_system=key_system,
        value=value,
        default_kid=kid,
        pssh=box,
        key_ids=tuple(kids),
        license_url=license_url,
        playready_header=header,
        widevine_data=widevine,
        problems=tuple(problems),
    )


def _uuid_of(scheme: str) -> bytes | None:
    if not scheme.lower().startswith("urn:uuid:"):
        return None
    try:
        return uuid.UUID(scheme[len("urn:uuid:") :]).bytes
    except ValueError:
        return None
