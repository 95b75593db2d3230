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
            "set_tracking_uri", "get_tracking_uri", "set_experiment", "create_experiment", "get_experiment",
            "get_experiment_by_name", "search_experiments", "delete_experiment", "start_run", "end_run",
            "active_run", "last_active_run", "get_run", "log_param", "log_params", "log_metric", "log_metrics",
            "set_tag", "set_tags", "delete_tag", "log_artifact", "log_artifacts", "log_text", "log_dict",
            "log_figure", "log_image", "log_input", "get_artifact_uri", "search_runs", "delete_run", "flush",
            "ActiveRun",
        )
    },
    "Client": (_CLIENT, "TrackingClient"),
    "MlflowClient": (_CLIENT, "TrackingClient"),
    "TrackingClient": (_CLIENT, "TrackingClient"),
    "entities": ("flowtrack.entities", None),
    "data": ("flowtrack.data", None),
    "exceptions": ("flowtrack.exceptions", None),
}

__all__ = sorted(_LAZY)


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
    from flowtrack import data, entities, exceptions
    from flowtrack.tracking.client import TrackingClient
    from flowtrack.tracking.client import TrackingClient as Client
    from flowtrack.tracking.client import TrackingClient as MlflowClient
    from flowtrack.tracking.fluent import (
        ActiveRun,
        active_run,
        create_experiment,
        delete_experiment,
        delete_run,
        delete_tag,
        end_run,
        flush,
        get_artifact_uri,
        get_experiment,
        get_experiment_by_name,
        get_run,
        get_tracking_uri,
        last_active_run,
        log_artifact,
        log_artifacts,
        log_dict,
        log_figure,
        log_image,
        log_input,
        log_metric,
        log_metrics,
        log_param,
        log_params,
        log_text,
        search_experiments,
        search_runs,
        set_experiment,
        set_tag,
        set_tags,
        set_tracking_uri,
        start_run,
    )
