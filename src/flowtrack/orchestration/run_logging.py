"""Run logs: ``get_run_logger()`` and ``log_prints``, stored per flow and task run through the recorder."""

from __future__ import annotations

import builtins
import io
import logging
import threading
from collections.abc import MutableMapping
from typing import Any

from flowtrack.orchestration.context import flow_run_context, task_run_context
from flowtrack.orchestration.entities import LogRecord
from flowtrack.orchestration.errors import MissingFlowRun

__all__ = ["RUN_LOGGER_NAME", "RunLogger", "enable_print_capture", "get_run_logger"]

RUN_LOGGER_NAME = "flowtrack.runs"


class _RecorderHandler(logging.Handler):
    """Turns a log record emitted inside a run into a LogRecord of that run."""

    def emit(self, record: logging.LogRecord) -> None:
        flow = flow_run_context.get()
        if flow is None:
            return
        task = task_run_context.get()
        flow.recorder.log(
            LogRecord(
                flow_run_id=flow.flow_run_id,
                task_run_id=task.task_run_id if task is not None else None,
                level=record.levelno,
                logger=record.name,
                message=record.getMessage(),
                timestamp_ms=int(record.created * 1000),
            )
        )


_run_logger = logging.getLogger(RUN_LOGGER_NAME)
_run_logger.setLevel(logging.DEBUG)  # the handler stores everything; propagation follows the root's level
_run_logger.addHandler(_RecorderHandler())


class RunLogger(logging.LoggerAdapter[logging.Logger]):
    """A logger bound to the current run; its records are stored with the run and propagate normally."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        extra = dict(self.extra or {})
        extra.update(kwargs.get("extra") or {})
        kwargs["extra"] = extra
        return msg, kwargs


def get_run_logger(name: str | None = None) -> RunLogger:
    """The logger of the current task run (or flow run); raises MissingFlowRun outside any run."""
    flow = flow_run_context.get()
    if flow is None:
        raise MissingFlowRun("get_run_logger() needs a running flow or task")
    task = task_run_context.get()
    logger = _run_logger if name is None else _run_logger.getChild(name)
    extra = {"flow_run_id": flow.flow_run_id, "flow_run_name": flow.flow_run_name}
    if task is not None:
        extra |= {"task_run_id": task.task_run_id, "task_name": task.task_name}
    return RunLogger(logger, extra)


_print_lock = threading.Lock()
_original_print = builtins.print


def _capturing_print(*args: Any, **kwargs: Any) -> None:
    _original_print(*args, **kwargs)
    if kwargs.get("file") not in (None,):
        return  # a print to a file is not a log line
    task = task_run_context.get()
    flow = flow_run_context.get()
    capture = task.log_prints if task is not None else (flow is not None and flow.log_prints)
    if not capture:
        return
    buffer = io.StringIO()
    _original_print(*args, **{k: v for k, v in kwargs.items() if k in ("sep", "end")}, file=buffer)
    get_run_logger().info(buffer.getvalue().rstrip("\n"))


def enable_print_capture() -> None:
    """Install the print wrapper once; it logs only inside runs that asked for ``log_prints``."""
    with _print_lock:
        if builtins.print is not _capturing_print:
            builtins.print = _capturing_print
