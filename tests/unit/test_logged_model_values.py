"""Logged-model values: statuses, names, artifact locations, and the search language for logged models."""

from __future__ import annotations

import pytest

from flowtrack.exceptions import FilterSyntaxError, InvalidArgument
from flowtrack.tracking import search
from flowtrack.tracking.filters import Comparison, EntityKind, Operator
from flowtrack.tracking.logged_models import (
    LoggedModelOrderBy,
    LoggedModelStatus,
    is_model_id,
    model_artifact_location,
    new_model_id,
    validate_model_name,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("LOGGED_MODEL_READY", LoggedModelStatus.READY),
        ("READY", LoggedModelStatus.READY),
        ("ready", LoggedModelStatus.READY),
        (2, LoggedModelStatus.READY),
        ("1", LoggedModelStatus.PENDING),
        ("FAILED", LoggedModelStatus.FAILED),
        ("UPLOAD_FAILED", LoggedModelStatus.FAILED),
        ("LOGGED_MODEL_UPLOAD_FAILED", LoggedModelStatus.FAILED),
        (LoggedModelStatus.PENDING, LoggedModelStatus.PENDING),
    ],
)
def test_status_spellings(value: str | int, expected: LoggedModelStatus) -> None:
    assert LoggedModelStatus.parse(value) is expected


@pytest.mark.parametrize("value", ["DONE", 0, 4, True, "", "LOGGED_MODEL_STATUS_UNSPECIFIED"])
def test_unknown_status(value: str | int) -> None:
    with pytest.raises(InvalidArgument, match="status") as caught:
        LoggedModelStatus.parse(value)
    assert caught.value.field == "status"


def test_ids_and_locations() -> None:
    model_id = new_model_id()
    assert is_model_id(model_id)
    assert not is_model_id("m-123")
    assert not is_model_id(model_id.upper())
    assert model_artifact_location("mlflow-artifacts:/1", model_id) == (
        f"mlflow-artifacts:/1/models/{model_id}/artifacts"
    )
    assert model_artifact_location("s3://bucket/exp/", "m-x") == "s3://bucket/exp/models/m-x/artifacts"


@pytest.mark.parametrize("name", ["a/b", "a:b", "a.b", "50%", "it's", 'say "x"', "", "   ", "x" * 251])
def test_bad_model_names(name: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_model_name(name)
    assert caught.value.field == "name"


def test_good_model_names() -> None:
    assert validate_model_name("model") == "model"
    assert validate_model_name("my model-2_x") == "my model-2_x"
    assert validate_model_name(None) is None


def test_filter() -> None:
    parsed = search.parse_logged_model_filter(
        "name = 'model' AND creation_timestamp > 5 AND metrics.acc >= 0.5 AND params.depth IN ('3')"
        " AND tags.`my tag` LIKE 'x%' AND status != 'FAILED'"
    )
    assert parsed == [
        Comparison(EntityKind.ATTRIBUTE, "name", Operator.EQ, "model"),
        Comparison(EntityKind.ATTRIBUTE, "creation_timestamp_ms", Operator.GT, 5.0),
        Comparison(EntityKind.METRIC, "acc", Operator.GE, 0.5),
        Comparison(EntityKind.PARAM, "depth", Operator.IN, ("3",)),
        Comparison(EntityKind.TAG, "my tag", Operator.LIKE, "x%"),
        Comparison(EntityKind.ATTRIBUTE, "status", Operator.NE, "FAILED"),
    ]
    with pytest.raises(FilterSyntaxError, match="unknown attribute 'run_name'"):
        search.parse_logged_model_filter("run_name = 'x'")
    with pytest.raises(FilterSyntaxError, match="datasets cannot be used"):
        search.parse_logged_model_filter("datasets.name = 'x'")


def test_order_by() -> None:
    parsed = search.parse_logged_model_order_by(
        [
            "creation_time DESC",
            {"field_name": "metrics.acc", "ascending": False, "dataset_name": "eval", "dataset_digest": "d"},
            {"field_name": "name"},
        ]
    )
    assert parsed == [
        LoggedModelOrderBy(EntityKind.ATTRIBUTE, "creation_timestamp_ms", False),
        LoggedModelOrderBy(EntityKind.METRIC, "acc", False, "eval", "d"),
        LoggedModelOrderBy(EntityKind.ATTRIBUTE, "name", True),
    ]
    assert [clause.field_name for clause in parsed] == ["creation_timestamp_ms", "metrics.acc", "name"]
    for bad in (
        [{"field_name": "params.x"}],
        [{"field_name": "name", "dataset_name": "eval"}],
        [{"field_name": "metrics.acc", "dataset_digest": "d"}],
        [{"ascending": True}],
        [{"field_name": "name", "ascending": "yes"}],
        "name",
    ):
        with pytest.raises(InvalidArgument) as caught:
            search.parse_logged_model_order_by(bad)  # type: ignore[arg-type]
        assert caught.value.field == "order_by"
