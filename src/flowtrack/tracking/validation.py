"""Checks on user input done before anything reaches a store; each error names the offending field.

The limits are MLflow's, so code that works against MLflow works here and the mlflow client's checks agree.
"""

from __future__ import annotations

import functools
import math
import numbers
import re
from collections.abc import Sequence

from flowtrack.exceptions import InvalidArgument
from flowtrack.tracking.entities import Metric, Param, RunTag

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_TAGS_PER_BATCH = 100
MAX_ENTITIES_PER_BATCH = 1000
MAX_RESULTS_LIMIT = 50_000

_KEY_PATTERN = re.compile(r"^[\w\-. /:]+$")


def validate_key(key: object, kind: str) -> str:
    if not isinstance(key, str):
        raise InvalidArgument(f"{kind} key must be a string, got {type(key).__name__}", field=f"{kind}.key")
    return _checked_key(key, kind)


# Scripts log the same few keys thousands of times; checking each distinct key once keeps the hot path short.
@functools.lru_cache(maxsize=4096)
def _checked_key(key: str, kind: str) -> str:
    if not key.strip():
        raise InvalidArgument(f"{kind} key must not be empty", field=f"{kind}.key")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidArgument(
            f"{kind} key {key[:40]!r}... is {len(key)} characters; the limit is {MAX_KEY_LENGTH}",
            field=f"{kind}.key",
        )
    if not _KEY_PATTERN.match(key) or _escapes(key):
        raise InvalidArgument(
            f"invalid {kind} key {key!r}: keys may contain letters, digits, '_', '-', '.', ' ', ':' and '/', "
            "and may not contain '..' path segments or start with '/'",
            field=f"{kind}.key",
        )
    return key


def _escapes(key: str) -> bool:
    return key.startswith("/") or ".." in key.split("/")


def metric_value(key: str, value: object) -> float:
    """Coerce a metric value to float; numpy scalars pass, strings and booleans are refused."""
    if type(value) is float:
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidArgument(
            f"metric {key!r} got {value!r} ({type(value).__name__}); a metric value must be a number",
            field=f"metrics.{key}.value",
        )
    return float(value)


def integer(name: str, value: object) -> int:
    if type(value) is int:
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidArgument(f"{name} must be an integer, got {value!r}", field=name)
    return int(value)


def make_metric(key: object, value: object, timestamp: object, step: object) -> Metric:
    checked_key = validate_key(key, "metric")
    return Metric(
        key=checked_key,
        value=metric_value(checked_key, value),
        timestamp=integer("timestamp", timestamp),
        step=integer("step", step),
    )


def make_param(key: object, value: object) -> Param:
    checked_key = validate_key(key, "param")
    text = stringify(value)
    if len(text) > MAX_PARAM_VALUE_LENGTH:
        raise InvalidArgument(
            f"param {checked_key!r} value is {len(text)} characters; the limit is {MAX_PARAM_VALUE_LENGTH}",
            field=f"params.{checked_key}.value",
        )
    return Param(checked_key, text)


def make_tag(key: object, value: object) -> RunTag:
    checked_key = validate_key(key, "tag")
    text = stringify(value)
    if len(text) > MAX_TAG_VALUE_LENGTH:
        raise InvalidArgument(
            f"tag {checked_key!r} value is {len(text)} characters; the limit is {MAX_TAG_VALUE_LENGTH}",
            field=f"tags.{checked_key}.value",
        )
    return RunTag(checked_key, text)


def stringify(value: object) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value if isinstance(value, str) else str(value)


def validate_batch(metrics: Sequence[Metric], params: Sequence[Param], tags: Sequence[RunTag]) -> None:
    if len(metrics) > MAX_METRICS_PER_BATCH:
        raise InvalidArgument(
            f"a batch may hold at most {MAX_METRICS_PER_BATCH} metrics, got {len(metrics)}", field="metrics"
        )
    if len(params) > MAX_PARAMS_TAGS_PER_BATCH:
        raise InvalidArgument(
            f"a batch may hold at most {MAX_PARAMS_TAGS_PER_BATCH} params, got {len(params)}", field="params"
        )
    if len(tags) > MAX_PARAMS_TAGS_PER_BATCH:
        raise InvalidArgument(
            f"a batch may hold at most {MAX_PARAMS_TAGS_PER_BATCH} tags, got {len(tags)}", field="tags"
        )
    total = len(metrics) + len(params) + len(tags)
    if total > MAX_ENTITIES_PER_BATCH:
        raise InvalidArgument(
            f"a batch may hold at most {MAX_ENTITIES_PER_BATCH} metrics, params and tags in all, got {total}",
            field="batch",
        )


def validate_experiment_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgument("experiment name must be a non-empty string", field="name")
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise InvalidArgument(
            f"experiment name is {len(name)} characters; the limit is {MAX_EXPERIMENT_NAME_LENGTH}",
            field="name",
        )
    return name


def validate_max_results(max_results: object) -> int:
    value = integer("max_results", max_results)
    if not 1 <= value <= MAX_RESULTS_LIMIT:
        raise InvalidArgument(
            f"max_results must be between 1 and {MAX_RESULTS_LIMIT}, got {value}", field="max_results"
        )
    return value


def validate_run_id(run_id: object) -> str:
    if not isinstance(run_id, str) or not run_id:
        raise InvalidArgument(f"run_id must be a non-empty string, got {run_id!r}", field="run_id")
    return run_id


def validate_experiment_id(experiment_id: object) -> str:
    if isinstance(experiment_id, int) and not isinstance(experiment_id, bool):
        return str(experiment_id)
    if not isinstance(experiment_id, str) or not experiment_id:
        raise InvalidArgument(
            f"experiment_id must be a non-empty string, got {experiment_id!r}", field="experiment_id"
        )
    return experiment_id
