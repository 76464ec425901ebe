"""URL resolution for manifests: RFC 3986 joins and DASH BaseURL trees.

Several BaseURLs at one level are alternative origins, kept in order (sorted by DVB
``@dvb:priority`` when present, lower first; then by ``@dvb:weight``, higher first). A
child level's BaseURLs are resolved against every parent BaseURL, so the result is the
ordered product with duplicates removed.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from player.errors import Code, PlayerError
from player.manifest.model import BaseUrlInfo


def resolve_url(base: str, ref: str, where: str = "") -> str:
    """``ref`` resolved against ``base`` (RFC 3986); absolute refs pass through."""
    ref = ref.strip()
    if not base:
        return ref
    try:
        if urlsplit(ref).scheme:
            return ref
        if base.startswith("data:"):
            return ref
        return urljoin(base, ref)
    except ValueError as exc:
        raise PlayerError(
            Code.INVALID_ATTRIBUTE,
            f"{where or 'URL'}: cannot resolve {ref!r} against {base!r}: {exc}",
        ) from None


def combine_base_urls(
    parents: tuple[BaseUrlInfo, ...], children: list[BaseUrlInfo], where: str = ""
) -> tuple[BaseUrlInfo, ...]:
    """The BaseURLs in force at a child level: each child resolved against each parent.

    With no child BaseURL the parents stay in force. Priority and weight not given on a
    child are inherited from the parent it is resolved against.
    """
    if not children:
        return parents
    out: list[BaseUrlInfo] = []
    seen: set[str] = set()
    for child in children:
        for parent in parents or (BaseUrlInfo(""),):
            url = resolve_url(parent.url, child.url, where)
            if url in seen:
                continue
            seen.add(url)
            out.append(
                BaseUrlInfo(
                    url=url,
                    service_location=child.service_location or parent.service_location,
                    priority=child.priority if child.priority is not None else parent.priority,
                    weight=child.weight if child.weight is not None else parent.weight,
                    availability_time_offset=(
                        child.own_availability_time_offset
                        if child.own_availability_time_offset is not None
                        else parent.availability_time_offset
                    ),
                    availability_time_complete=(
                        child.availability_time_complete
                        if child.availability_time_complete is not None
                        else parent.availability_time_complete
                    ),
                    own_availability_time_offset=child.own_availability_time_offset,
                )
            )
    return order_base_urls(out)


def order_base_urls(urls: list[BaseUrlInfo]) -> tuple[BaseUrlInfo, ...]:
    """Stable order: DVB priority ascending (absent = 1), then weight descending."""
    indexed = list(enumerate(urls))
    indexed.sort(
        key=lambda iu: (
            iu[1].priority if iu[1].priority is not None else 1,
            -(iu[1].weight if iu[1].weight is not None else 1),
            iu[0],
        )
    )
    return tuple(u for _, u in indexed)
