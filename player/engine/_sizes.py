"""Sizes of a segment on every rung, shared by the engines that play one ladder.

A choice, and every abandonment check after it, tells the policy the size of the next
segment on each rung (``AbrContext.next_sizes``), which takes a lookup in every rung's
index. Sessions over one presentation (a simulator sweep runs hundreds) ask the same
questions of the same index objects, and a static index always gives the same answers,
so the answers are kept per ladder: keyed by the indexes' identity and the gap tolerance
that decides which segment matches. A few ladders are kept, the least recently used
dropped first; each keeps at most ``MAX_ENTRIES`` answers. The engine asks for a table
only when every index of the ladder is loaded and none is live.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from player.manifest.model import SegmentIndex

__all__ = ["MAX_ENTRIES", "SizeTable", "shared_size_table"]

#: ``(segment number, segment start)`` -> bytes per rung (None where unknown).
SizeTable = dict[tuple[int, float], tuple[int | None, ...]]

#: Answers kept per ladder (a title of this many segments is cached whole).
MAX_ENTRIES = 1 << 16
_MAX_LADDERS = 8

# key -> (the indexes, held so that their ids stay theirs while the key lives; the table)
_tables: OrderedDict[tuple[float | int, ...], tuple[list[SegmentIndex], SizeTable]] = OrderedDict()


def shared_size_table(indexes: Sequence[SegmentIndex], tolerance: float) -> SizeTable:
    """The table of answers for this ladder of static indexes (created empty once)."""
    key = (tolerance, *map(id, indexes))
    hit = _tables.get(key)
    if hit is not None:
        _tables.move_to_end(key)
        return hit[1]
    table: SizeTable = {}
    _tables[key] = (list(indexes), table)
    if len(_tables) > _MAX_LADDERS:
        _tables.popitem(last=False)
    return table
