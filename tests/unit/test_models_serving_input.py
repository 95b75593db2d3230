"""Any JSON body turns into model input or an InvalidArgument naming the problem, never another exception."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flowtrack as ft
from flowtrack.exceptions import InvalidArgument
from flowtrack.models.enforcement import enforce_schema
from flowtrack.models.flavors.base import PyFuncModel
from flowtrack.models.serving import INPUT_KEYS, parse_request

SCALARS = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=5)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["a", "b", "data", "columns", "x"]), inner, max_size=4)
    ),
    max_leaves=20,
)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> PyFuncModel:
    from sklearn.linear_model import LinearRegression

    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1, 0, 2]})
    path = tmp_path_factory.mktemp("model") / "m"
    ft.sklearn.save_model(LinearRegression().fit(frame, [1.0, 2.0, 3.0]), path, input_example=frame)
    return ft.pyfunc.load_model(str(Path(path)))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from([*INPUT_KEYS, "params", "other"]), value=JSON, extra=st.booleans())
def test_any_json_is_input_or_a_named_error(model: PyFuncModel, key: str, value: object, extra: bool) -> None:
    body = {key: value, **({"params": {}} if extra else {})}
    raw = json.dumps(body, allow_nan=True).encode()
    schema = model.input_schema()
    assert schema is not None
    try:
        enforced = enforce_schema(parse_request(raw, "application/json", model)[0], schema)
    except InvalidArgument as error:
        refused: InvalidArgument | None = error
    else:
        refused = None
        assert list(enforced.columns) == ["a", "b"]
    assert refused is None or refused.field


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=60) | st.text(alphabet='ab,\n"1.5-x', max_size=60).map(str.encode))
def test_any_csv_is_input_or_a_named_error(model: PyFuncModel, body: bytes) -> None:
    schema = model.input_schema()
    assert schema is not None
    try:
        enforced = enforce_schema(parse_request(body, "text/csv", model)[0], schema)
    except InvalidArgument as error:
        refused: InvalidArgument | None = error
    else:
        refused = None
        assert list(enforced.columns) == ["a", "b"]
    assert refused is None or refused.field
