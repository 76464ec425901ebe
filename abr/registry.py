"""Policies and estimators registered by name, so configs and the CLI can name them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from abr.interface import AbrPolicy, BandwidthEstimator

PolicyFactory = Callable[..., AbrPolicy]
EstimatorFactory = Callable[..., BandwidthEstimator]

_POLICIES: dict[str, PolicyFactory] = {}
_ESTIMATORS: dict[str, EstimatorFactory] = {}


class UnknownNameError(LookupError):
    """A policy or estimator name nobody registered (``player`` wraps it in PlayerError)."""


def register_policy(name: str, factory: PolicyFactory, *, replace: bool = False) -> None:
    """Make ``factory`` available as ``name`` (``abrkit replay --policy name``)."""
    if name in _POLICIES and not replace:
        raise ValueError(f"policy {name!r} is already registered")
    _POLICIES[name] = factory


def create_policy(name: str, **kwargs: Any) -> AbrPolicy:
    """A new instance of the policy registered as ``name``."""
    try:
        factory = _POLICIES[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown ABR policy {name!r}; known: {', '.join(sorted(_POLICIES))}"
        ) from None
    return factory(**kwargs)


def policy_names() -> list[str]:
    """Registered policy names, sorted."""
    return sorted(_POLICIES)


def register_estimator(name: str, factory: EstimatorFactory, *, replace: bool = False) -> None:
    """Make ``factory`` available as ``name`` in the player's config."""
    if name in _ESTIMATORS and not replace:
        raise ValueError(f"estimator {name!r} is already registered")
    _ESTIMATORS[name] = factory


def create_estimator(name: str, **kwargs: Any) -> BandwidthEstimator:
    """A new instance of the estimator registered as ``name``."""
    try:
        factory = _ESTIMATORS[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown estimator {name!r}; known: {', '.join(sorted(_ESTIMATORS))}"
        ) from None
    return factory(**kwargs)


def estimator_names() -> list[str]:
    """Registered estimator names, sorted."""
    return sorted(_ESTIMATORS)
