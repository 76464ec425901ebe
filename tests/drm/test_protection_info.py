"""read_protection_info on real PyAV output: scheme, default KID, IV size; clear content."""

from __future__ import annotations

import pytest

from drm import DrmCode, DrmError, read_protection_info
from tests.drm._media import KID_HEX, Title


def test_cenc_init_segment_names_scheme_and_default_kid(cenc_title: Title) -> None:
    info = read_protection_info(cenc_title.init)
    assert info.encrypted
    assert info.scheme == "cenc"
    assert info.default_kid == bytes.fromhex(KID_HEX)
    assert info.key_ids == [bytes.fromhex(KID_HEX)]
    (track,) = info.tracks
    assert track.handler == "vide"
    assert track.original_format == "avc1"
    assert track.per_sample_iv_size in (8, 16)
    assert track.is_protected


def test_clear_init_segment_is_not_encrypted(clear_title: Title) -> None:
    info = read_protection_info(clear_title.init)
    assert not info.encrypted
    assert (info.scheme, info.default_kid, info.pssh, info.tracks) == (None, None, [], ())


def test_media_segment_alone_is_init_data_invalid(cenc_title: Title) -> None:
    with pytest.raises(DrmError) as err:
        read_protection_info(cenc_title.media)
    assert err.value.code == DrmCode.INIT_DATA_INVALID


@pytest.mark.parametrize("cut", [10, 100, 300, 500])
def test_truncated_init_segment_is_init_data_invalid(cenc_title: Title, cut: int) -> None:
    with pytest.raises(DrmError) as err:
        read_protection_info(cenc_title.init[:cut])
    assert err.value.code == DrmCode.INIT_DATA_INVALID
