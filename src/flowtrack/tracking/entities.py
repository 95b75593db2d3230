"""Tracking entities: immutable values that cross every layer.

Field names follow MLflow's entities so code written against ``mlflow.entities`` reads the same values.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


class LifecycleStage(enum.StrEnum):
    ACTIVE = "active"
    DELETED = "deleted"


class RunStatus(enum.StrEnum):
    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"

    @property
    def is_terminated(self) -> bool:
        return self in (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED)


class ViewType(enum.StrEnum):
    ACTIVE_ONLY = "ACTIVE_ONLY"
    DELETED_ONLY = "DELETED_ONLY"
    ALL = "ALL"

    @classmethod
    def parse(cls, value: ViewType | str | int) -> ViewType:
        """Accept the enum, its name, or MLflow's integer codes (1, 2, 3)."""
        if isinstance(value, ViewType):
            return value
        by_number = {1: cls.ACTIVE_ONLY, 2: cls.DELETED_ONLY, 3: cls.ALL}
        if isinstance(value, int):
            return by_number[value]
        return cls(value.upper())

    def stages(self) -> tuple[LifecycleStage, ...]:
        if self is ViewType.ACTIVE_ONLY:
            return (LifecycleStage.ACTIVE,)
        if self is ViewType.DELETED_ONLY:
            return (LifecycleStage.DELETED,)
        return (LifecycleStage.ACTIVE, LifecycleStage.DELETED)


@dataclass(frozen=True, slots=True)
class Experiment:
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: LifecycleStage = LifecycleStage.ACTIVE
    tags: dict[str, str] = field(default_factory=dict)
    creation_time: int | None = None
    last_update_time: int | None = None


# Not frozen: metric histories build hundreds of thousands of these per read, and a frozen dataclass's
# __init__ costs three times as much. Treat instances as values all the same.
@dataclass(slots=True)
class Metric:
    key: str
    value: float
    timestamp: int
    step: int = 0


@dataclass(frozen=True, slots=True)
class Param:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class RunTag:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class RunInfo:
    run_id: str
    experiment_id: str
    run_name: str
    user_id: str
    status: RunStatus
    start_time: int
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: LifecycleStage = LifecycleStage.ACTIVE

    @property
    def run_uuid(self) -> str:
        return self.run_id


@dataclass(frozen=True, slots=True)
class RunData:
    """Latest point of each metric (with its step and timestamp), every param and every tag of a run."""

    latest_metrics: dict[str, Metric] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def metrics(self) -> dict[str, float]:
        """Latest value of each metric by key, as MLflow's ``run.data.metrics`` (a new dict on each call)."""
        return {key: metric.value for key, metric in self.latest_metrics.items()}


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str
    digest: str
    source_type: str
    source: str
    schema: str | None = None
    profile: str | None = None


@dataclass(frozen=True, slots=True)
class InputTag:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class DatasetInput:
    dataset: Dataset
    tags: tuple[InputTag, ...] = ()


@dataclass(frozen=True, slots=True)
class RunInputs:
    dataset_inputs: tuple[DatasetInput, ...] = ()


@dataclass(frozen=True, slots=True)
class LoggedModelOutput:
    """A logged model a run produced (MLflow 3), at the run's step when it was logged."""

    model_id: str
    step: int = 0


@dataclass(frozen=True, slots=True)
class RunOutputs:
    model_outputs: tuple[LoggedModelOutput, ...] = ()


@dataclass(frozen=True, slots=True)
class Run:
    info: RunInfo
    data: RunData
    inputs: RunInputs = RunInputs()
    outputs: RunOutputs = RunOutputs()


class PagedList(list[T], Generic[T]):
    """A page of results; ``token`` fetches the next page and is None on the last one."""

    def __init__(self, items: Iterable[T] = (), token: str | None = None) -> None:
        super().__init__(items)
        self.token = token
