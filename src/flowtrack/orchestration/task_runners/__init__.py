"""Task runners: where submitted task runs execute. Threads by default; processes or Dask for heavy work."""

from flowtrack.orchestration.task_runners.base import TaskRunner
from flowtrack.orchestration.task_runners.dask import DaskTaskRunner
from flowtrack.orchestration.task_runners.processes import ProcessPoolTaskRunner
from flowtrack.orchestration.task_runners.threads import ThreadPoolTaskRunner

__all__ = ["DaskTaskRunner", "ProcessPoolTaskRunner", "TaskRunner", "ThreadPoolTaskRunner"]
