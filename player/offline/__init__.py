"""player.offline: download titles and play them with no network.

:class:`OfflineStore` downloads a DASH/HLS title (the rungs and languages a
:class:`Selection` names) into a folder, durably and resumably, with its persistent
license wrapped by a store key kept apart from the content; it lists, renews and removes
titles and plays them through the same :class:`~player.Player` (:meth:`OfflineStore.play`,
or :meth:`OfflineStore.open` for an app that manages its Player). Expiry (absolute and a
playback window after the first play) is enforced at open and during playback; a clock
set back is detected. See the README section "Offline downloads".
"""

from player.offline.presentation import SCHEME, StoreFetcher
from player.offline.selection import Selection
from player.offline.store import DownloadProgress, OfflinePlayback, OfflineStore, TitleInfo

__all__ = [
    "SCHEME",
    "DownloadProgress",
    "OfflinePlayback",
    "OfflineStore",
    "Selection",
    "StoreFetcher",
    "TitleInfo",
]
