"""Input checks: each failure names the field, and good input passes through unchanged."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowtrack.exceptions import InvalidArgument
from flowtrack.tracking import validation
from flowtrack.tracking.entities import Metric, Param, RunTag


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("k" * 251, "limit"),
        ("a/../b", "'..'"),
        ("/abs", "'/'"),
        ("a\nb", "letters"),
    ],
)
def test_bad_keys_are_refused(key: str, reason: str) -> None:
    with pytest.raises(InvalidArgument, match=reason) as error:
        validation.validate_key(key, "metric")
    assert error.value.field == "metric.key"


@pytest.mark.parametrize("key", ["rmse", "val/loss", "f1 score", "a-b_c.d:e", "k" * 250])
def test_good_keys_pass(key: str) -> None:
    assert validation.validate_key(key, "param") == key


@pytest.mark.parametrize("value", ["1.0", None, True, [1], object()])
def test_metric_values_must_be_numbers(value: object) -> None:
    with pytest.raises(InvalidArgument) as error:
        validation.make_metric("m", value, 0, 0)
    assert error.value.field == "metrics.m.value"


def test_numpy_and_non_finite_metric_values_pass() -> None:
    assert validation.make_metric("m", np.float32(0.5), 1, 2) == Metric("m", 0.5, 1, 2)
    assert validation.make_metric("m", np.int64(3), 1, 2).value == 3.0
    assert math.isnan(validation.make_metric("m", math.nan, 0, 0).value)
    assert validation.make_metric("m", -math.inf, 0, 0).value == -math.inf


@pytest.mark.parametrize(("field", "step", "timestamp"), [("step", 1.5, 0), ("timestamp", 0, "now")])
def test_step_and_timestamp_must_be_integers(field: str, step: object, timestamp: object) -> None:
    with pytest.raises(InvalidArgument) as error:
        validation.make_metric("m", 1.0, timestamp, step)
    assert error.value.field == field


def test_value_length_limits() -> None:
    assert validation.make_param("p", "v" * 6000) == Param("p", "v" * 6000)
    with pytest.raises(InvalidArgument) as param_error:
        validation.make_param("p", "v" * 6001)
    assert param_error.value.field == "params.p.value"
    assert validation.make_tag("t", "v" * 8000) == RunTag("t", "v" * 8000)
    with pytest.raises(InvalidArgument) as tag_error:
        validation.make_tag("t", "v" * 8001)
    assert tag_error.value.field == "tags.t.value"


def test_batch_limits() -> None:
    metrics = [Metric("m", 0.0, 0, step) for step in range(1001)]
    with pytest.raises(InvalidArgument) as error:
        validation.validate_batch(metrics, [], [])
    assert error.value.field == "metrics"
    with pytest.raises(InvalidArgument) as params_error:
        validation.validate_batch([], [Param(f"p{i}", "v") for i in range(101)], [])
    assert params_error.value.field == "params"
    with pytest.raises(InvalidArgument) as total_error:
        validation.validate_batch(
            metrics[:950], [Param(f"p{i}", "v") for i in range(30)], [RunTag(f"t{i}", "v") for i in range(30)]
        )
    assert total_error.value.field == "batch"


@pytest.mark.parametrize("value", [0, 50_001, -1, "10"])
def test_max_results_bounds(value: object) -> None:
    with pytest.raises(InvalidArgument) as error:
        validation.validate_max_results(value)
    assert error.value.field == "max_results"


@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300))
def test_any_accepted_key_is_safe(key: str) -> None:
    try:
        accepted = validation.validate_key(key, "tag")
    except InvalidArgument:
        return
    assert 0 < len(accepted) <= 250
    assert ".." not in accepted.split("/")
    assert not accepted.startswith("/")
