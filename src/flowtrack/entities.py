"""The tracking entities under MLflow's module name, so ``from flowtrack.entities import Metric`` works."""

from flowtrack.artifacts.base import FileInfo
from flowtrack.tracking.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    InputTag,
    LifecycleStage,
    LoggedModelOutput,
    Metric,
    PagedList,
    Param,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
    RunStatus,
    RunTag,
    ViewType,
)
from flowtrack.tracking.logged_models import LoggedModel, LoggedModelStatus

__all__ = [
    "Dataset",
    "DatasetInput",
    "Experiment",
    "FileInfo",
    "InputTag",
    "LifecycleStage",
    "LoggedModel",
    "LoggedModelOutput",
    "LoggedModelStatus",
    "Metric",
    "PagedList",
    "Param",
    "Run",
    "RunData",
    "RunInfo",
    "RunInputs",
    "RunOutputs",
    "RunStatus",
    "RunTag",
    "ViewType",
]
