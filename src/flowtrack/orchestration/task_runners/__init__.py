"""Task runners: where task runs execute. Threads by default; processes, Dask or Ray for heavy ones."""

from flowtrack.orchestration.task_runners.base import TaskRunner
from flowtrack.orchestration.task_runners.dask import DaskTaskRunner
from flowtrack.orchestration.task_runners.processes import ProcessPoolTaskRunner
from flowtrack.orchestration.task_runners.ray import RayTaskRunner
from flowtrack.orchestration.task_runners.threads import ThreadPoolTaskRunner

__all__ = ["DaskTaskRunner", "ProcessPoolTaskRunner", "RayTaskRunner", "TaskRunner", "ThreadPoolTaskRunner"]
