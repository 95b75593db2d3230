"""flowtrack: experiment tracking, a model registry and workflow orchestration in one package.

The public names load lazily, so ``import flowtrack`` stays fast and pulls in no database or ML library.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_FLUENT = "flowtrack.tracking.fluent"
_CLIENT = "flowtrack.tracking.client"

# public name -> (module, attribute); attribute None means the module itself
_LAZY: dict[str, tuple[str, str | None]] = {
    **{
        name: (_FLUENT, name)
        for name in (
            "set_tracking_uri",
            "get_tracking_uri",
            "set_experiment",
            "create_experiment",
            "get_experiment",
            "get_experiment_by_name",
            "search_experiments",
            "delete_experiment",
            "start_run",
            "end_run",
            "active_run",
            "last_active_run",
            "get_run",
            "log_param",
            "log_params",
            "log_metric",
            "log_metrics",
            "set_tag",
            "set_tags",
            "delete_tag",
            "log_artifact",
            "log_artifacts",
            "log_text",
            "log_dict",
            "log_figure",
            "log_image",
            "log_input",
            "get_artifact_uri",
            "search_runs",
            "delete_run",
            "flush",
            "ActiveRun",
        )
    },
    "Client": ("flowtrack.client", "Client"),
    "MlflowClient": ("flowtrack.client", "Client"),
    "TrackingClient": (_CLIENT, "TrackingClient"),
    "register_model": ("flowtrack.registry.fluent", "register_model"),
    "entities": ("flowtrack.entities", None),
    "data": ("flowtrack.data", None),
    "exceptions": ("flowtrack.exceptions", None),
    # orchestration; flow and task resolve through flowtrack.lineage, which installs the tracking link
    "flow": ("flowtrack.lineage", "flow"),
    "task": ("flowtrack.lineage", "task"),
    "INPUTS": ("flowtrack.orchestration.caching", "INPUTS"),
    "TASK_SOURCE": ("flowtrack.orchestration.caching", "TASK_SOURCE"),
    "NO_CACHE": ("flowtrack.orchestration.caching", "NO_CACHE"),
    "get_run_logger": ("flowtrack.orchestration.run_logging", "get_run_logger"),
    "unmapped": ("flowtrack.orchestration.futures", "unmapped"),
    "wait": ("flowtrack.orchestration.futures", "wait"),
    "as_completed": ("flowtrack.orchestration.futures", "as_completed"),
    "State": ("flowtrack.orchestration.states", "State"),
    "exponential_backoff": ("flowtrack.orchestration.retries", "exponential_backoff"),
    **{name: (f"flowtrack.{name}", None) for name in ("models", "pyfunc", "sklearn", "xgboost", "lightgbm")},
    "pytorch": ("flowtrack.pytorch", None),
}

__all__ = [
    "INPUTS",
    "NO_CACHE",
    "TASK_SOURCE",
    "ActiveRun",
    "Client",
    "MlflowClient",
    "State",
    "TrackingClient",
    "active_run",
    "as_completed",
    "create_experiment",
    "data",
    "delete_experiment",
    "delete_run",
    "delete_tag",
    "end_run",
    "entities",
    "exceptions",
    "exponential_backoff",
    "flow",
    "flush",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_run",
    "get_run_logger",
    "get_tracking_uri",
    "last_active_run",
    "lightgbm",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_text",
    "models",
    "pyfunc",
    "pytorch",
    "register_model",
    "search_experiments",
    "search_runs",
    "set_experiment",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "sklearn",
    "start_run",
    "task",
    "unmapped",
    "wait",
    "xgboost",
]


def __getattr__(name: str) -> Any:
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'flowtrack' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


if TYPE_CHECKING:
    from flowtrack import data as data
    from flowtrack import entities as entities
    from flowtrack import exceptions as exceptions
    from flowtrack import lightgbm as lightgbm
    from flowtrack import models as models
    from flowtrack import pyfunc as pyfunc
    from flowtrack import pytorch as pytorch
    from flowtrack import sklearn as sklearn
    from flowtrack import xgboost as xgboost
    from flowtrack.client import Client as Client
    from flowtrack.client import Client as MlflowClient
    from flowtrack.orchestration.caching import INPUTS as INPUTS
    from flowtrack.orchestration.caching import NO_CACHE as NO_CACHE
    from flowtrack.orchestration.caching import TASK_SOURCE as TASK_SOURCE
    from flowtrack.orchestration.flows import flow as flow
    from flowtrack.orchestration.futures import as_completed as as_completed
    from flowtrack.orchestration.futures import unmapped as unmapped
    from flowtrack.orchestration.futures import wait as wait
    from flowtrack.orchestration.retries import exponential_backoff as exponential_backoff
    from flowtrack.orchestration.run_logging import get_run_logger as get_run_logger
    from flowtrack.orchestration.states import State as State
    from flowtrack.orchestration.tasks import task as task
    from flowtrack.registry.fluent import register_model as register_model
    from flowtrack.tracking.client import TrackingClient as TrackingClient
    from flowtrack.tracking.fluent import (
        ActiveRun as ActiveRun,
    )
    from flowtrack.tracking.fluent import (
        active_run as active_run,
    )
    from flowtrack.tracking.fluent import (
        create_experiment as create_experiment,
    )
    from flowtrack.tracking.fluent import (
        delete_experiment as delete_experiment,
    )
    from flowtrack.tracking.fluent import (
        delete_run as delete_run,
    )
    from flowtrack.tracking.fluent import (
        delete_tag as delete_tag,
    )
    from flowtrack.tracking.fluent import (
        end_run as end_run,
    )
    from flowtrack.tracking.fluent import (
        flush as flush,
    )
    from flowtrack.tracking.fluent import (
        get_artifact_uri as get_artifact_uri,
    )
    from flowtrack.tracking.fluent import (
        get_experiment as get_experiment,
    )
    from flowtrack.tracking.fluent import (
        get_experiment_by_name as get_experiment_by_name,
    )
    from flowtrack.tracking.fluent import (
        get_run as get_run,
    )
    from flowtrack.tracking.fluent import (
        get_tracking_uri as get_tracking_uri,
    )
    from flowtrack.tracking.fluent import (
        last_active_run as last_active_run,
    )
    from flowtrack.tracking.fluent import (
        log_artifact as log_artifact,
    )
    from flowtrack.tracking.fluent import (
        log_artifacts as log_artifacts,
    )
    from flowtrack.tracking.fluent import (
        log_dict as log_dict,
    )
    from flowtrack.tracking.fluent import (
        log_figure as log_figure,
    )
    from flowtrack.tracking.fluent import (
        log_image as log_image,
    )
    from flowtrack.tracking.fluent import (
        log_input as log_input,
    )
    from flowtrack.tracking.fluent import (
        log_metric as log_metric,
    )
    from flowtrack.tracking.fluent import (
        log_metrics as log_metrics,
    )
    from flowtrack.tracking.fluent import (
        log_param as log_param,
    )
    from flowtrack.tracking.fluent import (
        log_params as log_params,
    )
    from flowtrack.tracking.fluent import (
        log_text as log_text,
    )
    from flowtrack.tracking.fluent import (
        search_experiments as search_experiments,
    )
    from flowtrack.tracking.fluent import (
        search_runs as search_runs,
    )
    from flowtrack.tracking.fluent import (
        set_experiment as set_experiment,
    )
    from flowtrack.tracking.fluent import (
        set_tag as set_tag,
    )
    from flowtrack.tracking.fluent import (
        set_tags as set_tags,
    )
    from flowtrack.tracking.fluent import (
        set_tracking_uri as set_tracking_uri,
    )
    from flowtrack.tracking.fluent import (
        start_run as start_run,
    )
