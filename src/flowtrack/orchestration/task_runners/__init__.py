"""Task runners: where task runs execute. Threads by default; processes, Dask or Ray for heavy ones.

The runners are imported when first named: the process pool alone pulls in multiprocessing, which a flow on
the default thread pool never needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flowtrack.orchestration.task_runners.base import TaskRunner
    from flowtrack.orchestration.task_runners.dask import DaskTaskRunner
    from flowtrack.orchestration.task_runners.processes import ProcessPoolTaskRunner
    from flowtrack.orchestration.task_runners.ray import RayTaskRunner
    from flowtrack.orchestration.task_runners.threads import ThreadPoolTaskRunner

_MODULES = {
    "TaskRunner": "base",
    "DaskTaskRunner": "dask",
    "ProcessPoolTaskRunner": "processes",
    "RayTaskRunner": "ray",
    "ThreadPoolTaskRunner": "threads",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = ["DaskTaskRunner", "ProcessPoolTaskRunner", "RayTaskRunner", "TaskRunner", "ThreadPoolTaskRunner"]
