"""Every real manifest of the corpus parses into the model (or fails typed where its
upstream expects failure), and the parsed model is internally consistent."""

from __future__ import annotations

import itertools
import math

import pytest

from player.errors import Category, PlayerError
from player.manifest import IndexRequest, SegmentIndex
from tests.manifest.conftest import MUST_FAIL, Row, load, rows

ROWS = rows()


def test_corpus_is_complete() -> None:
    assert len(ROWS) == 149
    for row in ROWS:
        assert row.path.is_file(), row.file


@pytest.mark.parametrize("row", ROWS, ids=[r.file for r in ROWS])
def test_parses_or_fails_typed(row: Row) -> None:
    if row.file in MUST_FAIL:
        with pytest.raises(PlayerError) as info:
            load(row.file)
        assert info.value.category == Category.MANIFEST
        return
    pres = load(row.file)
    assert pres.format == ("dash" if row.kind == "dash" else "hls")
    assert pres.periods
    for period in pres.periods:
        for track in period.tracks:
            for rep in track.representations:
                index = rep.index
                if isinstance(index, IndexRequest):
                    assert index.urls and index.url.startswith(("file:", "http"))
                    continue
                if not isinstance(index, SegmentIndex):
                    continue
                last = index.last_number
                if last is None:  # unbounded live: a few by number
                    first = index.by_number(index.first_number)
                    assert first is not None and first.duration > 0
                    continue
                segments = list(index)
                assert len(segments) == len(index)
                for a, b in itertools.pairwise(segments):
                    assert b.number == a.number + 1
                    assert b.start >= a.start - 1e-6
                for s in segments[:50]:
                    assert index.by_number(s.number) == s
                    assert math.isfinite(s.start) and s.duration >= 0
                    if s.duration > 0:
                        assert index.at_time(s.start + s.duration / 2) == s
