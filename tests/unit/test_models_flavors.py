"""Each flavor: save → load (native and as a python-function model) → the same predictions as the original.

Models are saved to local folders here; logging through a tracking store is in tests/integration.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import flowtrack.lightgbm
import flowtrack.pyfunc
import flowtrack.pytorch
import flowtrack.sklearn
import flowtrack.xgboost
from flowtrack.exceptions import InvalidArgument, MissingDependency
from flowtrack.models.enforcement import ModelInputError


@pytest.fixture(scope="module")
def table() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"x1": rng.normal(size=60), "x2": rng.normal(size=60), "x3": rng.integers(0, 5, 60)})
    target = (frame["x1"] * 2 - frame["x2"] + frame["x3"] * 0.5 > 0).astype(int).to_numpy()
    return frame, target


def _mlmodel(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((path / "MLmodel").read_text())
    return data


def test_sklearn_save_load_predicts_the_same(tmp_path: Path, table: tuple[pd.DataFrame, np.ndarray]) -> None:
    from sklearn.ensemble import RandomForestClassifier

    frame, target = table
    model = RandomForestClassifier(n_estimators=5, random_state=0).fit(frame, target)
    flowtrack.sklearn.save_model(model, tmp_path / "m", input_example=frame.head(3))

    native = flowtrack.sklearn.load_model(tmp_path / "m")
    generic = flowtrack.pyfunc.load_model(str(tmp_path / "m"))

    np.testing.assert_array_equal(native.predict(frame), model.predict(frame))
    np.testing.assert_array_equal(generic.predict(frame), model.predict(frame))
    pd.testing.assert_frame_equal(generic.input_example, frame.head(3), check_dtype=False)
    meta = _mlmodel(tmp_path / "m")
    assert meta["flavors"]["python_function"]["loader_module"] == "mlflow.sklearn"
    assert meta["flavors"]["sklearn"]["serialization_format"] == "cloudpickle"
    assert meta["saved_input_example_info"]["type"] == "dataframe"
    assert {"requirements.txt", "python_env.yaml", "conda.yaml", "input_example.json"} <= {
        item.name for item in (tmp_path / "m").iterdir()
    }
    assert any(
        line.startswith("scikit-learn==") for line in (tmp_path / "m/requirements.txt").read_text().split()
    )


@pytest.mark.parametrize("serialization_format", ["pickle", "skops"])
def test_sklearn_other_serialization_formats(
    tmp_path: Path, table: tuple[pd.DataFrame, np.ndarray], serialization_format: str
) -> None:
    from sklearn.linear_model import LogisticRegression

    frame, target = table
    model = LogisticRegression().fit(frame, target)
    flowtrack.sklearn.save_model(model, tmp_path / "m", serialization_format=serialization_format)
    loaded = flowtrack.pyfunc.load_model(str(tmp_path / "m"))
    np.testing.assert_array_equal(loaded.predict(frame), model.predict(frame))
    assert _mlmodel(tmp_path / "m")["flavors"]["sklearn"]["serialization_format"] == serialization_format


def test_sklearn_predict_proba_as_the_pyfunc_method(
    tmp_path: Path, table: tuple[pd.DataFrame, np.ndarray]
) -> None:
    from sklearn.linear_model import LogisticRegression

    frame, target = table
    model = LogisticRegression().fit(frame, target)
    flowtrack.sklearn.save_model(model, tmp_path / "m", pyfunc_predict_fn="predict_proba")
    np.testing.assert_allclose(flowtrack.pyfunc.load_model(str(tmp_path / "m")).predict(frame),
                               model.predict_proba(frame))  # fmt: skip


def test_sklearn_bad_arguments_name_the_field(tmp_path: Path, table: tuple[pd.DataFrame, np.ndarray]) -> None:
    from sklearn.linear_model import LinearRegression

    frame, target = table
    model = LinearRegression().fit(frame, target)
    with pytest.raises(InvalidArgument) as bad_format:
        flowtrack.sklearn.save_model(model, tmp_path / "a", serialization_format="joblib")
    assert bad_format.value.field == "serialization_format"
    with pytest.raises(InvalidArgument) as bad_method:
        flowtrack.sklearn.save_model(model, tmp_path / "b", pyfunc_predict_fn="predict_proba")
    assert bad_method.value.field == "pyfunc_predict_fn"
    flowtrack.sklearn.save_model(model, tmp_path / "c")
    with pytest.raises(InvalidArgument) as taken:
        flowtrack.sklearn.save_model(model, tmp_path / "c")
    assert taken.value.field == "path"


def test_xgboost_booster_and_sklearn_api(tmp_path: Path, table: tuple[pd.DataFrame, np.ndarray]) -> None:
    import xgboost as xgb

    frame, target = table
    classifier = xgb.XGBClassifier(n_estimators=5, max_depth=2).fit(frame, target)
    flowtrack.xgboost.save_model(classifier, tmp_path / "clf", input_example=frame.head(2))
    assert isinstance(flowtrack.xgboost.load_model(tmp_path / "clf"), xgb.XGBClassifier)
    np.testing.assert_array_equal(
        flowtrack.pyfunc.load_model(str(tmp_path / "clf")).predict(frame), classifier.predict(frame)
    )

    booster = xgb.train({"max_depth": 2}, xgb.DMatrix(frame, label=target), num_boost_round=3)
    flowtrack.xgboost.save_model(booster, tmp_path / "booster", model_format="json")
    assert _mlmodel(tmp_path / "booster")["flavors"]["xgboost"]["model_class"] == "xgboost.core.Booster"
    np.testing.assert_allclose(
        flowtrack.pyfunc.load_model(str(tmp_path / "booster")).predict(frame),
        booster.predict(xgb.DMatrix(frame)),
    )


def test_lightgbm_booster_and_sklearn_api(tmp_path: Path, table: tuple[pd.DataFrame, np.ndarray]) -> None:
    import lightgbm as lgb

    frame, target = table
    regressor = lgb.LGBMRegressor(n_estimators=5, min_child_samples=2, verbose=-1).fit(frame, target)
    flowtrack.lightgbm.save_model(regressor, tmp_path / "reg", input_example=frame.head(2))
    assert isinstance(flowtrack.lightgbm.load_model(tmp_path / "reg"), lgb.LGBMRegressor)
    np.testing.assert_allclose(
        flowtrack.pyfunc.load_model(str(tmp_path / "reg")).predict(frame), regressor.predict(frame)
    )

    data = lgb.Dataset(frame, label=target, params={"verbose": -1, "min_data_in_leaf": 2})
    booster = lgb.train(
        {"objective": "binary", "verbose": -1, "min_data_in_leaf": 2}, data, num_boost_round=3
    )
    flowtrack.lightgbm.save_model(booster, tmp_path / "booster")
    np.testing.assert_allclose(
        flowtrack.pyfunc.load_model(str(tmp_path / "booster")).predict(frame), booster.predict(frame)
    )


def test_pytorch_module_round_trip(tmp_path: Path) -> None:
    import torch

    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    features = np.random.default_rng(1).normal(size=(8, 3)).astype(np.float32)
    flowtrack.pytorch.save_model(module, tmp_path / "net", input_example=features[:2])

    expected = module(torch.from_numpy(features)).detach().numpy()
    native = flowtrack.pytorch.load_model(tmp_path / "net")
    np.testing.assert_allclose(native(torch.from_numpy(features)).detach().numpy(), expected, rtol=1e-6)
    generic = flowtrack.pyfunc.load_model(str(tmp_path / "net"))
    np.testing.assert_allclose(generic.predict(features), expected, rtol=1e-6)
    np.testing.assert_allclose(generic.predict(pd.DataFrame(features)), expected, rtol=1e-6)
    np.testing.assert_allclose(generic.input_example, features[:2])
    signature = _mlmodel(tmp_path / "net")["signature"]
    assert '"tensor-spec": {"dtype": "float32", "shape": [-1, 3]}' in signature["inputs"]
    with pytest.raises(ModelInputError, match=r"expected shape \[-1, 3\], got \[8, 2\]"):
        generic.predict(features[:, :2])


class _Scaler(flowtrack.pyfunc.PythonModel):
    def load_context(self, context: flowtrack.pyfunc.PythonModelContext) -> None:
        self.factor = float(Path(context.artifacts["factor"]).read_text())

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> Any:
        offset = (params or {}).get("offset", 0)
        return model_input["x"] * self.factor + offset


class _NoContext:
    def predict(self, model_input: pd.DataFrame) -> Any:
        return model_input.sum(axis=1)


def test_python_model_with_artifacts_and_params(tmp_path: Path) -> None:
    (tmp_path / "factor.txt").write_text("3")
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    flowtrack.pyfunc.save_model(
        tmp_path / "m", python_model=_Scaler(), artifacts={"factor": str(tmp_path / "factor.txt")},
        input_example=frame,
    )  # fmt: skip
    (tmp_path / "factor.txt").write_text("100")  # the model keeps its own copy

    loaded = flowtrack.pyfunc.load_model(str(tmp_path / "m"))
    assert list(loaded.predict(frame)) == [3.0, 6.0]
    assert list(loaded.predict(frame, params={"offset": 1})) == [4.0, 7.0]
    assert isinstance(loaded.unwrap_python_model(), _Scaler)
    assert _mlmodel(tmp_path / "m")["flavors"]["python_function"]["artifacts"]["factor"]["path"] == (
        "artifacts/factor.txt"
    )


class _Configured(flowtrack.pyfunc.PythonModel):
    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        return [context.model_config["label"]] * len(model_input)


def test_model_config_is_saved_and_can_be_overridden_at_load(tmp_path: Path) -> None:
    flowtrack.pyfunc.save_model(tmp_path / "m", python_model=_Configured(), model_config={"label": "saved"})
    frame = pd.DataFrame({"x": [1, 2]})
    assert flowtrack.pyfunc.load_model(str(tmp_path / "m")).predict(frame) == ["saved", "saved"]
    overridden = flowtrack.pyfunc.load_model(str(tmp_path / "m"), model_config={"label": "given"})
    assert overridden.predict(frame) == ["given", "given"]


def test_python_model_without_context_argument(tmp_path: Path) -> None:
    flowtrack.pyfunc.save_model(tmp_path / "m", python_model=_NoContext())
    assert list(flowtrack.pyfunc.load_model(str(tmp_path / "m")).predict({"a": [1, 2], "b": [10, 20]})) == [
        11,
        22,
    ]


def test_python_model_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument) as no_predict:
        flowtrack.pyfunc.save_model(tmp_path / "a", python_model=object())
    assert no_predict.value.field == "python_model"
    with pytest.raises(InvalidArgument) as missing:
        flowtrack.pyfunc.save_model(
            tmp_path / "b", python_model=_NoContext(), artifacts={"w": "/no/such/file"}
        )
    assert missing.value.field == "artifacts.w"


def test_load_from_a_folder_that_is_no_model(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="no MLmodel file"):
        flowtrack.pyfunc.load_model(str(tmp_path))


def test_data_paths_may_not_leave_the_model_directory(tmp_path: Path) -> None:
    from sklearn.linear_model import LinearRegression

    flowtrack.sklearn.save_model(LinearRegression().fit([[1.0], [2.0]], [1.0, 2.0]), tmp_path / "m")
    text = (
        (tmp_path / "m/MLmodel").read_text().replace("pickled_model: model.pkl", "pickled_model: ../../x.pkl")
    )
    (tmp_path / "m/MLmodel").write_text(text)
    with pytest.raises(InvalidArgument, match="outside the model directory") as error:
        flowtrack.sklearn.load_model(tmp_path / "m")
    assert error.value.field == "MLmodel"


def test_unknown_loader_module_is_named(tmp_path: Path) -> None:
    flowtrack.pyfunc.save_model(tmp_path / "m", python_model=_NoContext())
    text = (tmp_path / "m/MLmodel").read_text().replace("mlflow.pyfunc.model", "mlflow.transformers")
    (tmp_path / "m/MLmodel").write_text(text)
    with pytest.raises(InvalidArgument, match=r"'mlflow\.transformers'") as error:
        flowtrack.pyfunc.load_model(str(tmp_path / "m"))
    assert error.value.field == "loader_module"


@pytest.mark.parametrize(
    ("module", "call", "extra"),
    [
        ("xgboost", "flowtrack.xgboost.save_model(object(), 'm')", "xgboost"),
        ("lightgbm", "flowtrack.lightgbm.save_model(object(), 'm')", "lightgbm"),
        ("torch", "flowtrack.pytorch.save_model(object(), 'm')", "pytorch"),
        ("sklearn", "flowtrack.sklearn.save_model(object(), 'm')", "sklearn"),
    ],
)
def test_missing_library_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, call: str, extra: str
) -> None:
    """With the library hidden (as if not installed), the flavor says which extra installs it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, module, None)  # makes `import <module>` raise ImportError
    with pytest.raises(MissingDependency, match=rf"pip install 'flowtrack\[{extra}\]'") as error:
        eval(call, {"flowtrack": flowtrack})
    assert error.value.extra == extra
    assert isinstance(error.value, ImportError)


def test_pytorch_loads_mlflows_exported_pt2_layout(tmp_path: Path) -> None:
    """MLflow 3 saves modules as a torch.export program at data/model.pt2 by default; flowtrack reads it."""
    import torch

    module = torch.nn.Sequential(torch.nn.Linear(3, 2))
    features = np.ones((5, 3), dtype=np.float32)
    flowtrack.pytorch.save_model(module, tmp_path / "net")
    data = tmp_path / "net" / "data"
    (data / "model.pth").unlink()
    batch = torch.export.Dim("batch")
    program = torch.export.export(module, (torch.zeros(4, 3),), dynamic_shapes=({0: batch},))
    torch.export.save(program, data / "model.pt2")

    expected = module(torch.from_numpy(features)).detach().numpy()
    np.testing.assert_allclose(flowtrack.pyfunc.load_model(str(tmp_path / "net")).predict(features), expected)


FLAVORS = [flowtrack.sklearn, flowtrack.xgboost, flowtrack.lightgbm, flowtrack.pytorch, flowtrack.pyfunc]
SHARED_SAVE = {"signature": None, "input_example": None, "pip_requirements": None,
               "extra_pip_requirements": None, "metadata": None}  # fmt: skip
SHARED_LOG = {**SHARED_SAVE, "name": None, "registered_model_name": None, "params": None, "tags": None,
              "model_type": None, "step": 0}  # fmt: skip


@pytest.mark.parametrize("flavor", FLAVORS, ids=lambda module: module.__name__)
def test_signatures_list_every_shared_argument(flavor: Any) -> None:
    for function, shared in ((flavor.save_model, SHARED_SAVE), (flavor.log_model, SHARED_LOG)):
        parameters = inspect.signature(function).parameters
        listed = {name: parameters[name] for name in shared if name in parameters}
        assert {name: item.default for name, item in listed.items()} == shared
        assert {item.kind for item in listed.values()} == {inspect.Parameter.KEYWORD_ONLY}
        assert not any(item.kind is inspect.Parameter.VAR_KEYWORD for item in parameters.values())


def test_unknown_keyword_is_refused_before_anything_is_written(
    tmp_path: Path, table: tuple[pd.DataFrame, np.ndarray]
) -> None:
    from sklearn.linear_model import LogisticRegression

    frame, target = table
    model = LogisticRegression().fit(frame, target)
    with pytest.raises(TypeError, match="'input_exampel'"):
        flowtrack.sklearn.save_model(model, tmp_path / "m", input_exampel=frame.head(2))  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="'stpe'"):
        flowtrack.sklearn.log_model(model, name="m", stpe=1)  # type: ignore[call-arg]
    assert not (tmp_path / "m").exists()
