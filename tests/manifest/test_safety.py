"""The parser never opens what its input names, refuses oversize input and XML entity
tricks, and reports every failure as a typed MANIFEST error."""

from __future__ import annotations

import pytest

from player.errors import Category, Code, PlayerError
from player.manifest import MAX_MANIFEST_BYTES, detect_format, parse_manifest
from tests.manifest.conftest import FIXTURES

URL = "https://example.com/m.mpd"


def _fails(data: bytes | str, code: Code, url: str = URL) -> PlayerError:
    with pytest.raises(PlayerError) as info:
        parse_manifest(data, url)
    assert info.value.category == Category.MANIFEST
    assert info.value.code == code, info.value
    return info.value


def test_a_path_is_content_not_a_file_to_open() -> None:
    """mpegdash would open any non-XML string as a path or URL; we never do."""
    real = FIXTURES / "mpd-parser" / "segmentList.mpd"
    assert real.is_file()
    _fails(str(real), Code.UNKNOWN_FORMAT)
    _fails(str(real).encode(), Code.UNKNOWN_FORMAT)
    _fails(real.as_uri().encode(), Code.UNKNOWN_FORMAT)
    _fails(b"/etc/passwd", Code.UNKNOWN_FORMAT)
    _fails(b"http://127.0.0.1:9/manifest.mpd", Code.UNKNOWN_FORMAT)


def test_not_xml_is_refused() -> None:
    err = _fails(b"data", Code.UNKNOWN_FORMAT)
    assert "neither an MPD nor an HLS playlist" in err.message
    _fails(b"", Code.UNKNOWN_FORMAT)
    _fails(b"<MPD", Code.INVALID_XML)


def test_oversize_input_is_refused_before_parsing() -> None:
    big = b"#EXTM3U\n" + b"#" * MAX_MANIFEST_BYTES
    err = _fails(big, Code.MANIFEST_TOO_LARGE)
    assert err.data["size"] == len(big)
    assert MAX_MANIFEST_BYTES == 16 * 1024 * 1024


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<MPD type="static"><Period><AdaptationSet><Representation id="&lol3;"/>
</AdaptationSet></Period></MPD>
"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE MPD [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<MPD type="static"><Location>&secret;</Location><Period/></MPD>
"""

DTD_ONLY = b"""<?xml version="1.0"?>
<!DOCTYPE MPD SYSTEM "http://127.0.0.1:9/mpd.dtd">
<MPD type="static"><Period/></MPD>
"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, XXE, DTD_ONLY])
def test_dtds_and_entities_are_forbidden(data: bytes) -> None:
    err = _fails(data, Code.FORBIDDEN_CONSTRUCT)
    assert "not allowed" in err.message or "forbidden" in err.message


def test_malformed_xml_names_the_line() -> None:
    err = _fails(b'<?xml version="1.0"?>\n<MPD>\n<Period>\n</MPD>', Code.INVALID_XML)
    assert err.data["line"] == 4 and "line 4" in err.message


def test_detection() -> None:
    assert detect_format(b"\xef\xbb\xbf  <?xml version='1.0'?><MPD/>") == "dash"
    assert detect_format(b"# comment\n#EXTM3U\n") == "hls"
    assert detect_format(b"#EXT-X-VERSION:3\n#EXTINF:1,\na.ts") == "hls"  # no #EXTM3U
    assert detect_format(b"", "https://e.com/live/empty.m3u8") == "hls"
    with pytest.raises(PlayerError):
        detect_format(b"", "https://e.com/a.mpd")


def test_wrong_input_type() -> None:
    with pytest.raises(PlayerError) as info:
        parse_manifest(12345, URL)  # type: ignore[arg-type]
    assert info.value.code == Code.UNKNOWN_FORMAT
