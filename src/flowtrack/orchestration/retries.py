"""Retry delays: a number, a list (one entry per retry, the last repeated) or ``exponential_backoff``."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import TypeGuard

from flowtrack.exceptions import InvalidArgument

RetryDelay = float | Sequence[float] | Callable[[int], Sequence[float]]

__all__ = ["RetryDelay", "exponential_backoff", "retry_delays"]


def exponential_backoff(backoff_factor: float) -> Callable[[int], list[float]]:
    """Delays ``backoff_factor * 2**n`` for retry ``n``: pass as ``retry_delay_seconds``."""
    if backoff_factor < 0:
        raise InvalidArgument("backoff_factor must be >= 0", field="backoff_factor")

    def delays(retries: int) -> list[float]:
        return [backoff_factor * 2**n for n in range(retries)]

    return delays


def retry_delays(spec: RetryDelay, retries: int) -> tuple[float, ...]:
    """The delay before each of ``retries`` retries; raises InvalidArgument naming ``retry_delay_seconds``."""
    given = spec(retries) if callable(spec) else spec
    if _is_number(given):
        values: list[float] = [float(given)]
    elif isinstance(given, Sequence) and not isinstance(given, str) and all(_is_number(v) for v in given):
        values = [float(v) for v in given]
    else:
        raise InvalidArgument(
            "retry_delay_seconds must be seconds, a list of seconds or a function of the retry count "
            f"returning one; got {given!r}",
            field="retry_delay_seconds",
        )
    if any(v < 0 for v in values):
        raise InvalidArgument("retry_delay_seconds must not be negative", field="retry_delay_seconds")
    if retries and not values:
        raise InvalidArgument("retry_delay_seconds is an empty list", field="retry_delay_seconds")
    return tuple((values + [values[-1]] * retries)[:retries]) if values else ()


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def with_jitter(delay: float, jitter_factor: float | None) -> float:
    """``delay`` stretched by up to ``jitter_factor`` times itself, so retrying clients spread out."""
    if not jitter_factor or delay <= 0:
        return delay
    return delay * (1 + random.uniform(0, jitter_factor))
