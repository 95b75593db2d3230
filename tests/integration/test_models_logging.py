"""log_model inside a run, then every model URI form loads it: embedded and through a server, on each DB.

The logged-model entity carries the source run, the run's params and metrics, and the caller's tags; the
registry forms (version, alias, stage, latest) go through the registry client.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import flowtrack as ft
from flowtrack.exceptions import InvalidArgument, NotFound
from flowtrack.models.enforcement import ModelInputError
from flowtrack.tracking.logged_models import LoggedModelStatus


def _data() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"a": rng.normal(size=40), "b": rng.integers(0, 9, 40)})
    return frame, (frame["a"] * 3 + frame["b"]).to_numpy()


def test_every_uri_form_loads_the_logged_model(tracking_uri: str) -> None:
    from sklearn.linear_model import LinearRegression

    ft.set_tracking_uri(tracking_uri)
    ft.set_experiment("models-uris")
    frame, target = _data()
    model = LinearRegression().fit(frame, target)
    expected = model.predict(frame)
    with ft.start_run() as run:
        ft.log_params({"fit_intercept": True, "features": 2})
        ft.log_metric("rmse", 0.25, step=3)
        info = ft.sklearn.log_model(model, name="reg", input_example=frame.head(5), tags={"team": "ml"})
    run_id = run.info.run_id

    client = ft.Client()
    logged = client.get_logged_model(str(info.model_id))
    assert logged.source_run_id == run_id
    assert logged.name == "reg"
    assert logged.status is LoggedModelStatus.READY
    assert logged.params == {"fit_intercept": "True", "features": "2"}
    assert [(m.key, m.value, m.step) for m in logged.metrics] == [("rmse", 0.25, 3)]
    assert logged.tags["team"] == "ml"
    assert [output.model_id for output in client.get_run(run_id).outputs.model_outputs] == [info.model_id]
    assert info.model_uri == f"models:/{info.model_id}"
    assert info.run_id == run_id
    assert info.signature is not None

    version = ft.register_model(info.model_uri, "uri-model")
    client.set_registered_model_alias("uri-model", "production", version.version)
    client.transition_model_version_stage("uri-model", version.version, "Staging")
    uris = [
        info.model_uri,
        f"runs:/{run_id}/reg",
        logged.artifact_location,
        f"models:/uri-model/{version.version}",
        "models:/uri-model@production",
        "models:/uri-model/Staging",
        "models:/uri-model/latest",
    ]
    for uri in uris:
        loaded = ft.pyfunc.load_model(uri)
        np.testing.assert_allclose(loaded.predict(frame), expected, err_msg=uri)
    np.testing.assert_allclose(ft.sklearn.load_model(f"runs:/{run_id}/reg").predict(frame), expected)

    with pytest.raises(NotFound):
        ft.pyfunc.load_model("models:/uri-model/Production")
    with pytest.raises(NotFound):
        ft.pyfunc.load_model("models:/m-" + "0" * 32)
    with pytest.raises(ModelInputError) as wrong_type:
        ft.pyfunc.load_model(info.model_uri).predict(frame.assign(b=frame["b"].astype(str)))
    assert wrong_type.value.field == "b"


def test_run_artifact_models_load_by_runs_uri(tracking_uri: str, tmp_path: Path) -> None:
    """A model folder logged as plain run artifacts (MLflow 2 style) loads through runs:/<id>/<path>."""
    from sklearn.linear_model import LinearRegression

    ft.set_tracking_uri(tracking_uri)
    frame, target = _data()
    model = LinearRegression().fit(frame, target)
    ft.sklearn.save_model(model, tmp_path / "saved")
    with ft.start_run() as run:
        ft.log_artifacts(tmp_path / "saved", artifact_path="legacy/model")
    loaded = ft.pyfunc.load_model(f"runs:/{run.info.run_id}/legacy/model")
    np.testing.assert_allclose(loaded.predict(frame), model.predict(frame))
    with pytest.raises(InvalidArgument, match="no model"):
        ft.pyfunc.load_model(f"runs:/{run.info.run_id}/nothing-here")


def _fit_all(frame: pd.DataFrame, target: np.ndarray) -> dict[str, tuple[Any, Any]]:
    import lightgbm as lgb
    import torch
    import xgboost as xgb
    from sklearn.tree import DecisionTreeRegressor

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    return {
        "sklearn": (ft.sklearn, DecisionTreeRegressor(max_depth=3).fit(frame, target)),
        "xgboost": (ft.xgboost, xgb.XGBRegressor(n_estimators=4, max_depth=2).fit(frame, target)),
        "lightgbm": (ft.lightgbm, lgb.LGBMRegressor(n_estimators=4, min_child_samples=2, verbose=-1)
                     .fit(frame, target)),
        "pytorch": (ft.pytorch, net),
    }  # fmt: skip


class _Doubler(ft.pyfunc.PythonModel):
    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> Any:
        return (model_input["a"] * 2).to_numpy()


def test_each_flavor_logs_and_loads_in_a_run(tmp_path: Path) -> None:
    ft.set_tracking_uri(f"sqlite:///{tmp_path / 'flowtrack.db'}")
    frame, target = _data()
    with ft.start_run():
        infos = {}
        for flavor, (module, model) in _fit_all(frame, target).items():
            example = frame.head(3).to_numpy(dtype=np.float32) if flavor == "pytorch" else frame.head(3)
            infos[flavor] = (module.log_model(model, name=flavor, input_example=example), model)
        custom = ft.pyfunc.log_model(name="custom", python_model=_Doubler(), input_example=frame.head(3))
    for flavor, (info, model) in infos.items():
        loaded = ft.pyfunc.load_model(info.model_uri)
        if flavor == "pytorch":
            import torch

            expected = model(torch.from_numpy(frame.to_numpy(dtype=np.float32))).detach().numpy()
            np.testing.assert_allclose(loaded.predict(frame.to_numpy(dtype=np.float32)), expected, rtol=1e-5)
        else:
            np.testing.assert_allclose(loaded.predict(frame), model.predict(frame), rtol=1e-6, err_msg=flavor)
        assert type(getattr(ft, flavor).load_model(info.model_uri)) is type(model)
    np.testing.assert_allclose(ft.pyfunc.load_model(custom.model_uri).predict(frame), frame["a"] * 2)


def test_registered_model_name_registers_a_version(tmp_path: Path) -> None:
    from sklearn.linear_model import LinearRegression

    ft.set_tracking_uri(f"sqlite:///{tmp_path / 'flowtrack.db'}")
    frame, target = _data()
    with ft.start_run():
        first = ft.sklearn.log_model(
            LinearRegression().fit(frame, target), name="m", registered_model_name="reg"
        )
        second = ft.sklearn.log_model(
            LinearRegression().fit(frame, target), name="m", registered_model_name="reg"
        )
    assert (first.registered_model_version, second.registered_model_version) == (1, 2)
    version = ft.Client().get_model_version("reg", 2)
    assert version.run_id == second.run_id


def test_failed_save_leaves_the_logged_model_failed(tmp_path: Path) -> None:
    ft.set_tracking_uri(f"sqlite:///{tmp_path / 'flowtrack.db'}")
    with ft.start_run() as run, pytest.raises(InvalidArgument) as error:
        ft.pyfunc.log_model(
            name="broken", python_model=_Doubler(), artifacts={"w": str(tmp_path / "missing")}
        )
    assert error.value.field == "artifacts.w"
    client = ft.Client()
    [model] = client.search_logged_models([run.info.experiment_id])
    assert model.status is LoggedModelStatus.FAILED
    assert model.source_run_id == run.info.run_id


def test_log_model_without_a_run_still_creates_a_logged_model(tmp_path: Path) -> None:
    ft.set_tracking_uri(f"sqlite:///{tmp_path / 'flowtrack.db'}")
    info = ft.pyfunc.log_model(name="standalone", python_model=_Doubler())
    assert info.run_id is None
    assert ft.Client().get_logged_model(str(info.model_id)).status is LoggedModelStatus.READY
    assert list(ft.pyfunc.load_model(info.model_uri).predict(pd.DataFrame({"a": [1.0]}))) == [2.0]


def test_models_on_s3_behind_a_server_that_does_not_proxy(direct_artifacts_server: str, s3_root: str) -> None:
    """The client writes the model's files to S3 itself, and loads them back from there by id and by alias."""
    from sklearn.linear_model import LinearRegression

    ft.set_tracking_uri(direct_artifacts_server)
    ft.set_experiment("models-on-s3")
    frame, target = _data()
    model = LinearRegression().fit(frame, target)
    with ft.start_run():
        info = ft.sklearn.log_model(model, name="s3-model", registered_model_name="s3-model")
    logged = ft.Client().get_logged_model(str(info.model_id))
    assert logged.artifact_location.startswith(s3_root)
    ft.Client().set_registered_model_alias("s3-model", "production", "1")
    for uri in (info.model_uri, "models:/s3-model@production", logged.artifact_location):
        np.testing.assert_allclose(
            ft.pyfunc.load_model(uri).predict(frame), model.predict(frame), err_msg=uri
        )


def test_runs_uri_takes_the_newest_ready_model_of_that_name(tmp_path: Path) -> None:
    from sklearn.linear_model import LinearRegression

    ft.set_tracking_uri(f"sqlite:///{tmp_path / 'flowtrack.db'}")
    frame, target = _data()
    first, second = LinearRegression().fit(frame, target), LinearRegression().fit(frame, target * 2)
    with ft.start_run() as run:
        ft.sklearn.log_model(first, name="model")
        newest = ft.sklearn.log_model(second, name="model")
        with pytest.raises(InvalidArgument):
            ft.pyfunc.log_model(name="model", python_model=_Doubler(), artifacts={"w": str(tmp_path / "no")})
    loaded = ft.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    assert loaded.model_id == newest.model_id
    np.testing.assert_allclose(loaded.predict(frame), second.predict(frame))
