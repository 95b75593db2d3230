"""Checks on user input done before anything reaches a store; each error names the offending field.

The limits are MLflow's where MLflow's own database can store them, and otherwise the size of flowtrack's
column (``tracking/stores/sql/tables.py``; a test checks that every limit fits its column): a value that
passes here is stored alike on SQLite (which would store anything), PostgreSQL and MySQL/MariaDB (which would
fail on it). Text must also be storable by every database and driver: no NUL character (PostgreSQL refuses
them) and no lone surrogate (no driver can encode one).
"""

from __future__ import annotations

import functools
import math
import numbers
import re
from collections.abc import Sequence

from flowtrack.exceptions import InvalidArgument
from flowtrack.tracking import system_tags
from flowtrack.tracking.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
# MLflow's client allows 500, but its experiments.name column (and flowtrack's) holds 256.
MAX_EXPERIMENT_NAME_LENGTH = 256
# MLflow's id patterns: experiment ids of up to 64 characters, run ids of up to 256.
MAX_EXPERIMENT_ID_LENGTH = 64
MAX_RUN_ID_LENGTH = 256
MAX_RUN_NAME_LENGTH = 250
MAX_USER_ID_LENGTH = 256
# A run's artifact URI, <experiment location>/<32-character run id>/artifacts, must fit in 1,000 characters.
MAX_ARTIFACT_URI_LENGTH = 1000
MAX_ARTIFACT_LOCATION_LENGTH = MAX_ARTIFACT_URI_LENGTH - len(f"/{'0' * 32}/artifacts")
MAX_DATASET_NAME_LENGTH = 500
MAX_DATASET_DIGEST_LENGTH = 64
MAX_DATASET_SOURCE_TYPE_LENGTH = 64
MAX_DATASET_SOURCE_LENGTH = 65_535
MAX_DATASET_SCHEMA_LENGTH = 1_048_575
MAX_DATASET_PROFILE_LENGTH = 16_777_215  # also in UTF-8 bytes: MySQL's MEDIUMTEXT
MAX_INPUT_TAG_KEY_LENGTH = 250
MAX_INPUT_TAG_VALUE_LENGTH = 500
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
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
    """An integer that every database stores: a 64-bit one (numpy integers pass)."""
    if type(value) is int and INT64_MIN <= value <= INT64_MAX:
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidArgument(f"{name} must be an integer, got {value!r}", field=name)
    number = int(value)
    if not INT64_MIN <= number <= INT64_MAX:
        raise InvalidArgument(
            f"{name} must be a 64-bit integer (from {INT64_MIN} to {INT64_MAX}), got {number}", field=name
        )
    return number


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
    return Param(checked_key, check_text(text, f"params.{checked_key}.value"))


def make_tag(key: object, value: object) -> RunTag:
    """A run or experiment tag; ``mlflow.runName`` is also the run's name, and bounded like it."""
    checked_key = validate_key(key, "tag")
    text = stringify(value)
    limit = MAX_RUN_NAME_LENGTH if checked_key == system_tags.RUN_NAME else MAX_TAG_VALUE_LENGTH
    if len(text) > limit:
        raise InvalidArgument(
            f"tag {checked_key!r} value is {len(text)} characters; the limit is {limit}",
            field=f"tags.{checked_key}.value",
        )
    return RunTag(checked_key, check_text(text, f"tags.{checked_key}.value"))


def check_text(value: str, field: str) -> str:
    """``value`` when every database stores it as given: no NUL character, no lone surrogate."""
    if "\x00" in value:
        raise InvalidArgument(
            f"{field} must not contain NUL characters (\\x00): {_shown(value)}; "
            "PostgreSQL cannot store them, so no database accepts them",
            field=field,
        )
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidArgument(
                f"{field} is not valid Unicode: a lone surrogate {value[exc.start]!r} at position "
                f"{exc.start} of {_shown(value)}",
                field=field,
            ) from None
    return value


def _shown(value: str) -> str:
    return repr(value) if len(value) <= 60 else repr(value[:57]) + "..."


def _text(value: object, field: str, limit: int, *, required: bool = True) -> str:
    """A string of at most ``limit`` characters that check_text accepts; non-empty when ``required``."""
    if not isinstance(value, str):
        raise InvalidArgument(f"{field} must be a string, got {type(value).__name__}", field=field)
    if required and not value:
        raise InvalidArgument(f"{field} must not be empty", field=field)
    if len(value) > limit:
        raise InvalidArgument(
            f"{field} is {len(value)} characters ({_shown(value)}); the limit is {limit}", field=field
        )
    return check_text(value, field)


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


def validate_experiment_name(name: object, field: str = "name") -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgument("experiment name must be a non-empty string", field=field)
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise InvalidArgument(
            f"experiment name is {len(name)} characters; the limit is {MAX_EXPERIMENT_NAME_LENGTH}",
            field=field,
        )
    return check_text(name, field)


def validate_lookup_name(name: object, field: str = "name") -> str:
    """A name to look up: non-empty, any length (a longer one than can be stored finds nothing), storable."""
    if not isinstance(name, str) or not name:
        raise InvalidArgument(f"{field} must be a non-empty string, got {name!r}", field=field)
    return check_text(name, field)


def validate_artifact_location(location: object) -> str | None:
    """An experiment's artifact location, or None (also for "") for the store's default."""
    if location is None or location == "":
        return None
    return _text(location, "artifact_location", MAX_ARTIFACT_LOCATION_LENGTH)


def validate_user_id(user_id: object) -> str:
    """The user a run is recorded for; "" when unknown."""
    return _text("" if user_id is None else user_id, "user_id", MAX_USER_ID_LENGTH, required=False)


def validate_run_name(run_name: object) -> str | None:
    """A run name, or None (also for "") to keep the name or generate one."""
    if run_name is None or run_name == "":
        return None
    return _text(run_name, "run_name", MAX_RUN_NAME_LENGTH)


def validate_filter(text: object, field: str = "filter") -> str | None:
    """A search filter's text before parsing: None, or a string every database can compare with."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise InvalidArgument(f"{field} must be a string, got {type(text).__name__}", field=field)
    return check_text(text, field)


def validate_order_by(clauses: Sequence[str] | None, field: str = "order_by") -> Sequence[str] | None:
    """Order-by clauses before parsing: each text clause checked as :func:`validate_filter` (the parser
    refuses anything that is not a list of strings)."""
    if clauses is None or isinstance(clauses, str):
        return clauses
    for clause in clauses:
        if isinstance(clause, str):
            check_text(clause, field)
    return clauses


def make_input_tag(key: object, value: object) -> InputTag:
    """A tag of a dataset input (``mlflow.data.context`` and the like): a non-empty key and a short value."""
    checked_key = _text(key, "dataset_inputs.tags.key", MAX_INPUT_TAG_KEY_LENGTH)
    field = f"dataset_inputs.tags.{checked_key}.value"
    return InputTag(checked_key, _text(stringify(value), field, MAX_INPUT_TAG_VALUE_LENGTH, required=False))


def validate_dataset(dataset: object) -> Dataset:
    """A dataset whose description every database stores; name, digest and source type are required."""
    if not isinstance(dataset, Dataset):
        raise InvalidArgument(
            "expected a flowtrack Dataset (from flowtrack.data.from_pandas or from_numpy), "
            f"got {type(dataset).__name__}",
            field="dataset",
        )
    _text(dataset.name, "dataset.name", MAX_DATASET_NAME_LENGTH)
    _text(dataset.digest, "dataset.digest", MAX_DATASET_DIGEST_LENGTH)
    _text(dataset.source_type, "dataset.source_type", MAX_DATASET_SOURCE_TYPE_LENGTH)
    _text(dataset.source, "dataset.source", MAX_DATASET_SOURCE_LENGTH, required=False)
    if dataset.schema is not None:
        _text(dataset.schema, "dataset.schema", MAX_DATASET_SCHEMA_LENGTH, required=False)
    if dataset.profile is not None:
        profile = _text(dataset.profile, "dataset.profile", MAX_DATASET_PROFILE_LENGTH, required=False)
        size = len(profile) if profile.isascii() else len(profile.encode("utf-8"))
        if size > MAX_DATASET_PROFILE_LENGTH:
            raise InvalidArgument(
                f"dataset.profile is {size} bytes in UTF-8; the limit is {MAX_DATASET_PROFILE_LENGTH}",
                field="dataset.profile",
            )
    return dataset


def validate_dataset_input(item: object) -> DatasetInput:
    """A dataset input whose dataset and tags every database stores; tag values must be strings."""
    if not isinstance(item, DatasetInput):
        raise InvalidArgument(f"expected a DatasetInput, got {type(item).__name__}", field="dataset_inputs")
    validate_dataset(item.dataset)
    for tag in item.tags:
        if not isinstance(tag, InputTag):
            raise InvalidArgument(
                f"expected an InputTag, got {type(tag).__name__}", field="dataset_inputs.tags"
            )
        if not isinstance(tag.value, str):
            raise InvalidArgument(
                f"input tag {tag.key!r} value must be a string, got {type(tag.value).__name__}",
                field=f"dataset_inputs.tags.{tag.key}.value",
            )
        make_input_tag(tag.key, tag.value)
    return item


def validate_max_results(max_results: object) -> int:
    value = integer("max_results", max_results)
    if not 1 <= value <= MAX_RESULTS_LIMIT:
        raise InvalidArgument(
            f"max_results must be between 1 and {MAX_RESULTS_LIMIT}, got {value}", field="max_results"
        )
    return value


def validate_run_id(run_id: object, field: str = "run_id") -> str:
    """A run id as every store can look it up; a well-formed id of no run is the store's RunNotFound."""
    if not isinstance(run_id, str) or not run_id:
        raise InvalidArgument(f"{field} must be a non-empty string, got {run_id!r}", field=field)
    if len(run_id) > MAX_RUN_ID_LENGTH:
        raise InvalidArgument(
            f"{field} is {len(run_id)} characters ({_shown(run_id)}); run ids have at most "
            f"{MAX_RUN_ID_LENGTH}",
            field=field,
        )
    return check_text(run_id, field)


def validate_experiment_id(experiment_id: object, field: str = "experiment_id") -> str:
    """An experiment id as a string (ints pass); a well-formed id of no experiment is the store's NotFound."""
    if isinstance(experiment_id, int) and not isinstance(experiment_id, bool):
        experiment_id = str(experiment_id)
    if not isinstance(experiment_id, str) or not experiment_id:
        raise InvalidArgument(f"{field} must be a non-empty string, got {experiment_id!r}", field=field)
    if len(experiment_id) > MAX_EXPERIMENT_ID_LENGTH:
        raise InvalidArgument(
            f"{field} is {len(experiment_id)} characters ({_shown(experiment_id)}); experiment ids have at "
            f"most {MAX_EXPERIMENT_ID_LENGTH}",
            field=field,
        )
    return check_text(experiment_id, field)
