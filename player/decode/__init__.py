"""player.decode: the PyAV decode path, from fetched segments to timed frames and sound.

:class:`DecodingSink` is the :class:`player.sink.MediaSink` that decodes: it takes init +
media segments, decodes them in worker threads (H.264, HEVC, VP9, AV1, AAC; CENC ``cenc``
and ``cbcs`` with keys from the CDM), and presents frames to a :class:`VideoOutput` and
PCM to an :class:`AudioOutput` in sync, the audio clock leading. :class:`VideoDecoder` and
:class:`AudioDecoder` are the segment decoders it uses, usable on their own.
"""

from player.decode.audio import AudioBlock, AudioDecoder, AudioFormat
from player.decode.clock import PresentationClock
from player.decode.outputs import (
    AudioOutput,
    CallbackVideoOutput,
    NullVideoOutput,
    VideoOutput,
    VirtualAudioOutput,
)
from player.decode.sink import DecodingSink
from player.decode.video import VideoDecoder, VideoFrame

__all__ = [
    "AudioBlock",
    "AudioDecoder",
    "AudioFormat",
    "AudioOutput",
    "CallbackVideoOutput",
    "DecodingSink",
    "NullVideoOutput",
    "PresentationClock",
    "VideoDecoder",
    "VideoFrame",
    "VideoOutput",
    "VirtualAudioOutput",
]
