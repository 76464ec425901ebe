"""Helpers for the manifest tests: the real-manifest corpus and its index."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from player.manifest import Presentation, parse_manifest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "manifests"

# Files whose upstream expects parsing to fail.
MUST_FAIL = {"dash.js/unit/dash/manifest_error.xml"}


@dataclass(frozen=True)
class Row:
    """One row of ``index.csv``."""

    file: str
    kind: str
    features: str
    expected: dict[str, Any]
    derived: dict[str, Any]

    @property
    def path(self) -> Path:
        return FIXTURES / self.file

    @property
    def url(self) -> str:
        return self.path.as_uri()


def rows() -> list[Row]:
    """Every manifest in the corpus."""
    out = []
    with open(FIXTURES / "index.csv", newline="") as f:
        for r in csv.DictReader(f):
            out.append(
                Row(
                    r["file"],
                    r["kind"],
                    r["features"],
                    json.loads(r["expected_fields"]) if r["expected_fields"] else {},
                    json.loads(r["derived_counts"]) if r["derived_counts"] else {},
                )
            )
    return out


def load(file: str, url: str | None = None) -> Presentation:
    """Parse one corpus file (``url`` defaults to its file:// URL)."""
    path = FIXTURES / file
    return parse_manifest(path.read_bytes(), url or path.as_uri())


@pytest.fixture
def corpus() -> Path:
    return FIXTURES
