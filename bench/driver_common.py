"""What the benchmark drivers share: size flags, --only, the machine's state and number formatting."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Callable, Sequence
from typing import Any


def size_picker(quick: bool) -> Callable[[int | None, int, int], int]:
    """``pick(given, full, small)``: the flag's value, else the full or ``--quick`` size; at least 1."""

    def pick(value: int | None, full: int, small: int) -> int:
        chosen = value if value is not None else (small if quick else full)
        if chosen < 1:
            raise SystemExit("sizes, counts and --repeats must be at least 1")
        return chosen

    return pick


def selected_workloads(only: str, known: Sequence[str]) -> list[str]:
    """The workloads an ``--only`` comma list names (any case), in the order of ``known``."""
    by_key = {name.lower(): name for name in known}
    chosen = []
    for part in only.split(","):
        key = part.strip().lower()
        if key not in by_key:
            raise SystemExit(f"--only: unknown workload {part!r}; choose from {', '.join(known)}")
        chosen.append(by_key[key])
    return [name for name in known if name in chosen]


def machine_info() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "loadavg": list(os.getloadavg()),
        "python": sys.version.split()[0],
    }


def fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"
