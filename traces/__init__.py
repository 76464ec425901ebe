"""traces: bandwidth traces, the trace-driven link model, the shaped origin, replay and sweeps."""

__all__: list[str] = []
