"""Building frozen slotted dataclasses cheaply, for values made at every decision.

A frozen dataclass's generated ``__init__`` sets each field through
``object.__setattr__``; setting the slots through their descriptors makes the same object
in about half the time. The engine builds an :class:`~abr.AbrContext` for every decision
and abandonment check, BOLA a state per decision, the simulator a log per segment: the
difference is measurable per simulated session (``bench/sim_speed.py``).
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["slot_constructor"]

T = TypeVar("T")


def slot_constructor(cls: type[T], names: tuple[str, ...]) -> Callable[..., T]:
    """A positional constructor of ``cls`` taking the fields ``names``, in order.

    ``names`` must be the first fields of ``cls``, in its order (``TypeError`` if not:
    callers pass positions, so a reordered class must fail loudly, not mix fields up);
    the fields after them take their defaults. The slots are set directly when ``cls``
    is slotted and has no ``__post_init__``; otherwise the result is ``cls`` itself,
    which makes the same object.
    """
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if tuple(f.name for f in fields[: len(names)]) != names:
        raise TypeError(f"{cls.__name__}'s first fields are not {names}")
    rest = fields[len(names) :]
    if any(
        f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING for f in rest
    ):
        raise TypeError(f"{cls.__name__} has fields after {names} without a default")
    descriptors = [cls.__dict__.get(f.name) for f in fields]
    if hasattr(cls, "__post_init__") or not all(
        isinstance(d, types.MemberDescriptorType) for d in descriptors
    ):
        return cls
    # One straight-line function per class, as dataclasses generates its __init__.
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    args = [f"a{i}" for i in range(len(names))]
    body = ["    o = new(cls)"]
    for i, d in enumerate(descriptors):
        namespace[f"s{i}"] = d.__set__  # type: ignore[union-attr]
        if i < len(names):
            value = args[i]
        elif rest[i - len(names)].default_factory is not dataclasses.MISSING:
            namespace[f"d{i}"] = rest[i - len(names)].default_factory
            value = f"d{i}()"
        else:
            namespace[f"d{i}"] = rest[i - len(names)].default
            value = f"d{i}"
        body.append(f"    s{i}(o, {value})")
    source = f"def build({', '.join(args)}):\n" + "\n".join(body) + "\n    return o\n"
    exec(source, namespace)
    build: Callable[..., T] = namespace["build"]
    build.__qualname__ = build.__name__ = f"new_{cls.__name__}"
    build.__doc__ = f"``{cls.__name__}({', '.join(names)})`` through its slots."
    return build
