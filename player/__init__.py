"""player: the abrkit player SDK (manifests, network, engine, decode, offline, CLI).

The public API is what this module re-exports; everything else is private.
"""

from player.errors import Category, Code, PlayerError

__all__ = ["Category", "Code", "PlayerError"]
