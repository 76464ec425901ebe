"""ui: the PyQt6 desktop viewer (needs the ``gui`` extra)."""

__all__: list[str] = []
