"""Request bodies of MLflow's REST API 2.0, as the mlflow client sends them (proto3 JSON).

Ids are strings; int64 fields arrive as numbers or as strings (proto3 JSON allows both); doubles may be
``"NaN"``, ``"Infinity"`` or ``"-Infinity"``. Unknown fields are ignored, as MLflow's server ignores them, so
newer clients keep working. Runs are named by ``run_id`` or by the older ``run_uuid``.
"""

from __future__ import annotations

from typing import Annotated, NotRequired

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, with_config
from typing_extensions import TypedDict

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
# No text may hold a NUL character: PostgreSQL refuses them, so they are refused on every database alike.
# A pattern, not a Python validator: it runs inside pydantic-core at no measurable cost.
NO_NUL_PATTERN = r"^[^\x00]*$"
Text = Annotated[str, StringConstraints(pattern=NO_NUL_PATTERN)]
# Proto enums arrive by name ("ACTIVE_ONLY") or by number (1).
EnumValue = Text | int


_ITEM_CONFIG = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


class Message(BaseModel):
    model_config = _ITEM_CONFIG


# Items of long lists are TypedDicts, not models: pydantic validates a 1,000-metric batch four times faster.
@with_config(_ITEM_CONFIG)
class KeyValue(TypedDict):
    key: Text
    value: Text


@with_config(_ITEM_CONFIG)
class MetricIn(TypedDict):
    key: Text
    value: float
    timestamp: Int64
    step: NotRequired[Int64]
    # MLflow 3: the logged model (and dataset) the point measures
    model_id: NotRequired[Text]
    dataset_name: NotRequired[Text]
    dataset_digest: NotRequired[Text]


class RunMessage(Message):
    """A request about one run: ``run_id``, or ``run_uuid`` from older clients (mlflow sends both)."""

    run_id: Text | None = None
    run_uuid: Text | None = None


# -- experiments ---------------------------------------------------------------------------------------------
class CreateExperiment(Message):
    name: Text
    artifact_location: Text | None = None
    tags: list[KeyValue] = Field(default_factory=list)


class ExperimentRef(Message):
    experiment_id: Text


class UpdateExperiment(Message):
    experiment_id: Text
    new_name: Text


class SetExperimentTag(Message):
    experiment_id: Text
    key: Text
    value: Text


class DeleteExperimentTag(Message):
    experiment_id: Text
    key: Text


class SearchExperiments(Message):
    max_results: Int64 = 1000
    page_token: Text | None = None
    filter: Text | None = None
    order_by: list[Text] = Field(default_factory=list)
    view_type: EnumValue = "ACTIVE_ONLY"


# -- runs ----------------------------------------------------------------------------------------------------
class CreateRun(Message):
    experiment_id: Text | None = None
    user_id: Text | None = None
    run_name: Text | None = None
    start_time: Int64 | None = None
    tags: list[KeyValue] = Field(default_factory=list)


class UpdateRun(RunMessage):
    status: EnumValue | None = None
    end_time: Int64 | None = None
    run_name: Text | None = None


class LogMetric(RunMessage):
    key: Text
    value: float
    timestamp: Int64
    step: Int64 = 0
    model_id: Text | None = None
    dataset_name: Text | None = None
    dataset_digest: Text | None = None


class LogParam(RunMessage):
    key: Text
    value: Text


class SetTag(RunMessage):
    key: Text
    value: Text


class DeleteTag(RunMessage):
    key: Text


class LogBatch(RunMessage):
    metrics: list[MetricIn] = Field(default_factory=list)
    params: list[KeyValue] = Field(default_factory=list)
    tags: list[KeyValue] = Field(default_factory=list)


class DatasetIn(Message):
    name: Text
    digest: Text
    source_type: Text
    source: Text
    schema_: Text | None = Field(default=None, alias="schema")
    profile: Text | None = None


class DatasetInputIn(Message):
    tags: list[KeyValue] = Field(default_factory=list)
    dataset: DatasetIn


class LogInputs(RunMessage):
    datasets: list[DatasetInputIn] = Field(default_factory=list)


class SearchRuns(Message):
    experiment_ids: list[Text] = Field(default_factory=list)
    filter: Text | None = None
    run_view_type: EnumValue = "ACTIVE_ONLY"
    max_results: Int64 = 1000
    order_by: list[Text] = Field(default_factory=list)
    page_token: Text | None = None


# -- logged models (MLflow 3) --------------------------------------------------------------------------------
class CreateLoggedModel(Message):
    experiment_id: Text | None = None
    name: Text | None = None
    model_type: Text | None = None
    source_run_id: Text | None = None
    params: list[KeyValue] = Field(default_factory=list)
    tags: list[KeyValue] = Field(default_factory=list)


class FinalizeLoggedModel(Message):
    model_id: Text | None = None
    status: EnumValue | None = None


class SetLoggedModelTags(Message):
    tags: list[KeyValue] = Field(default_factory=list)


class LogLoggedModelParams(Message):
    params: list[KeyValue] = Field(default_factory=list)


class DatasetFilterIn(Message):
    dataset_name: Text | None = None
    dataset_digest: Text | None = None


class LoggedModelOrderByIn(Message):
    field_name: Text | None = None
    ascending: bool = True
    dataset_name: Text | None = None
    dataset_digest: Text | None = None


class SearchLoggedModels(Message):
    experiment_ids: list[Text] = Field(default_factory=list)
    filter: Text | None = None
    datasets: list[DatasetFilterIn] = Field(default_factory=list)
    max_results: Int64 | None = None
    order_by: list[LoggedModelOrderByIn] = Field(default_factory=list)
    page_token: Text | None = None


class ModelOutputIn(Message):
    model_id: Text
    step: Int64 = 0


class LogOutputs(RunMessage):
    models: list[ModelOutputIn] = Field(default_factory=list)
