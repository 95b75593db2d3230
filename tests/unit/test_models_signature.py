"""Signatures: inference from examples, MLflow's JSON form, and enforcement on predict."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flowtrack.exceptions import InvalidArgument
from flowtrack.models.enforcement import ModelInputError, enforce_schema
from flowtrack.models.model import Model
from flowtrack.models.signature import ColSpec, ModelSignature, Schema, TensorSpec, infer_signature
from flowtrack.models.uris import parse_model_uri


def test_infers_mlflow_column_types() -> None:
    frame = pd.DataFrame(
        {
            "f64": [1.5], "f32": np.array([1.5], dtype=np.float32), "i64": [1],
            "i32": np.array([1], dtype=np.int32), "flag": [True], "text": ["a"], "raw": [b"x"],
            "when": pd.to_datetime(["2024-01-01"]),
        }
    )  # fmt: skip
    signature = infer_signature(frame, np.array([0.5]))
    assert signature.inputs is not None
    assert [(spec.name, spec.type) for spec in signature.inputs.inputs if isinstance(spec, ColSpec)] == [
        ("f64", "double"), ("f32", "float"), ("i64", "long"), ("i32", "integer"), ("flag", "boolean"),
        ("text", "string"), ("raw", "binary"), ("when", "datetime"),
    ]  # fmt: skip
    assert signature.outputs == Schema((ColSpec("double"),))


def test_dicts_and_records_infer_like_frames() -> None:
    by_columns = infer_signature({"a": [1.0, 2.0], "b": ["x", "y"]})
    by_records = infer_signature([{"a": 1.0, "b": "x"}])
    assert by_columns.inputs == by_records.inputs
    assert by_columns.inputs is not None
    assert by_columns.inputs.column_names == ["a", "b"]


def test_arrays_infer_tensor_specs() -> None:
    signature = infer_signature(np.zeros((4, 3, 2), dtype=np.float32))
    assert signature.inputs == Schema((TensorSpec("float32", (-1, 3, 2)),))


def test_json_form_is_mlflows_and_round_trips() -> None:
    signature = infer_signature(pd.DataFrame({"a": [1.0], "b": [1]}), np.array([1.0]))
    stored = signature.to_dict()
    assert json.loads(stored["inputs"]) == [
        {"type": "double", "name": "a", "required": True},
        {"type": "long", "name": "b", "required": True},
    ]
    assert json.loads(stored["outputs"]) == [{"type": "double", "required": True}]
    assert ModelSignature.from_dict(stored) == signature
    model = Model(signature=signature).add_flavor("python_function", loader_module="mlflow.sklearn")
    assert Model.from_dict(model.to_dict()).signature == signature


def test_uninferable_column_names_itself() -> None:
    with pytest.raises(InvalidArgument) as error:
        infer_signature(pd.DataFrame({"mixed": [1, "a"]}))
    assert error.value.field == "mixed"


SCHEMA = Schema((ColSpec("double", "a"), ColSpec("long", "b"), ColSpec("string", "c")))


def test_enforcement_converts_safely_orders_and_drops_extra_columns() -> None:
    data = pd.DataFrame({"extra": [0], "c": ["x"], "b": [np.int32(2)], "a": [1]})
    enforced = enforce_schema(data, SCHEMA)
    assert list(enforced.columns) == ["a", "b", "c"]
    assert [str(kind) for kind in enforced.dtypes[:2]] == ["float64", "int64"]


@pytest.mark.parametrize(
    ("data", "column", "message"),
    [
        ({"a": ["x"], "b": [1], "c": ["s"]}, "a", "column 'a': expected type double"),
        ({"a": [1.0], "b": [1.5], "c": ["s"]}, "b", "column 'b': expected type long, got float64"),
        ({"a": [1.0], "b": [1], "c": [3]}, "c", "column 'c': expected type string"),
        ({"a": [1.0], "c": ["s"]}, "b", "missing required column(s) ['b']"),
    ],
)
def test_enforcement_errors_name_the_column(data: dict[str, list[object]], column: str, message: str) -> None:
    with pytest.raises(ModelInputError) as error:
        enforce_schema(pd.DataFrame(data), SCHEMA)
    assert error.value.field == column
    assert message in str(error.value)


def test_tensor_enforcement_checks_dtype_and_shape() -> None:
    schema = Schema((TensorSpec("float32", (-1, 2)),))
    assert enforce_schema(np.ones((3, 2), dtype=np.float64), schema).dtype == np.float32
    with pytest.raises(ModelInputError, match="expected shape"):
        enforce_schema(np.ones((3, 4)), schema)
    with pytest.raises(ModelInputError, match="non-numeric"):
        enforce_schema(np.array([["a", "b"]], dtype=object), schema)


@pytest.mark.parametrize(
    ("uri", "fields"),
    [
        ("runs:/abc123/model", {"kind": "run", "run_id": "abc123", "path": "model"}),
        ("runs:/abc123/nested/model/", {"kind": "run", "run_id": "abc123", "path": "nested/model"}),
        ("models:/m-" + "a" * 32, {"kind": "logged_model", "model_id": "m-" + "a" * 32}),
        ("models:/taxi/3", {"kind": "version", "name": "taxi", "version": "3"}),
        ("models:/taxi@production", {"kind": "alias", "name": "taxi", "alias": "production"}),
        ("models:/taxi/Staging", {"kind": "stage", "name": "taxi", "stage": "Staging"}),
        ("models:/taxi/production", {"kind": "stage", "name": "taxi", "stage": "Production"}),
        ("models:/taxi/latest", {"kind": "latest", "name": "taxi"}),
    ],
)
def test_model_uri_forms(uri: str, fields: dict[str, str]) -> None:
    parsed = parse_model_uri(uri)
    assert {key: getattr(parsed, key) for key in fields} == fields


@pytest.mark.parametrize(
    "uri", ["runs:/only-run-id", "models:/", "models:/taxi", "models:/taxi/champion", "", "s3:/x"]
)
def test_bad_model_uris_are_refused(uri: str) -> None:
    with pytest.raises(InvalidArgument) as error:
        parse_model_uri(uri)
    assert error.value.field == "model_uri"


@pytest.mark.parametrize(
    "text",
    [
        "flavors: [1, 2]\n",
        "flavors: {}\nsignature: {inputs: 'not json'}\n",
        'flavors: {}\nsignature: {inputs: \'[{"type": "tensor", "tensor-spec": {"dtype": "nope"}}]\'}\n',
        'flavors: {}\nsignature: {inputs: \'[{"type": "tensor", "tensor-spec": {"shape": ["x"]}}]\'}\n',
        'flavors: {}\nsignature: {inputs: \'[{"name": "a"}]\'}\n',
        "flavors: {}\nsignature: {inputs: '{}'}\n",
        "flavors: {}\nsignature: {params: '{bad'}\n",
        "{unclosed: [\n",
    ],
)
def test_a_broken_mlmodel_file_is_refused_by_name(tmp_path: Path, text: str) -> None:
    (tmp_path / "MLmodel").write_text(text)
    with pytest.raises(InvalidArgument) as error:
        Model.load(tmp_path)
    assert error.value.field in ("model_uri", "signature")
