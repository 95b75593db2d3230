"""Search hyper-parameters, retrain the five best, register the best one and load it back by alias.

Run it with ``python examples/register_best_model.py`` (add ``--tracking-uri sqlite:///flowtrack.db`` or
``--tracking-uri http://127.0.0.1:5000`` to use a database or server of your own). On scikit-learn's bundled
diabetes dataset it:

1. tries a grid of ridge and decision-tree settings, one run each, scored by cross-validated RMSE;
2. searches the five runs with the lowest ``cv_rmse``;
3. retrains each of them on the whole training split and logs it with its model, scored on the test split;
4. registers the model with the lowest ``test_rmse`` as ``diabetes-regressor`` and points the
   ``production`` alias at that version;
5. loads ``models:/diabetes-regressor@production`` and predicts.

Needs scikit-learn and pandas: ``pip install 'flowtrack[sklearn]'``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

try:
    import numpy as np
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge
    from sklearn.metrics import mean_squared_error
    from sklearn.model_selection import cross_val_score, train_test_split
    from sklearn.tree import DecisionTreeRegressor
except ImportError:
    sys.exit("This example needs scikit-learn: pip install 'flowtrack[sklearn]'")

import flowtrack as ft

EXPERIMENT = "register-best-model"
MODEL_NAME = "diabetes-regressor"
ALIAS = "production"
TOP = 5
GRID: list[tuple[str, dict[str, Any]]] = [
    *(("ridge", {"alpha": alpha}) for alpha in (0.01, 0.1, 1.0, 10.0)),
    *(("tree", {"max_depth": depth, "min_samples_leaf": leaf}) for depth in (2, 3, 5) for leaf in (5, 20)),
]
ESTIMATORS = {"ridge": Ridge, "tree": DecisionTreeRegressor}


def build(family: str, params: dict[str, Any]) -> Any:
    extra = {"random_state": 0} if family == "tree" else {}
    return ESTIMATORS[family](**params, **extra)


def rmse(y_true: Any, y_pred: Any) -> float:
    return float(np.sqrt(mean_squared_error(y_true, y_pred)))


def search(x_train: Any, y_train: Any) -> None:
    """One run per setting, scored by 3-fold cross-validated RMSE on the training split."""
    for family, params in GRID:
        with ft.start_run(run_name=f"search-{family}"):
            ft.set_tag("stage", "search")
            ft.log_params({"family": family, **params})
            scores = cross_val_score(build(family, params), x_train, y_train, cv=3,
                                     scoring="neg_root_mean_squared_error")  # fmt: skip
            ft.log_metric("cv_rmse", float(-scores.mean()))


def retrain_top(experiment_id: str, data: tuple[Any, Any, Any, Any]) -> list[tuple[float, str, str]]:
    """Retrain the best runs of the search; (test_rmse, model_uri, run name) for each, best first."""
    x_train, x_test, y_train, y_test = data
    best = ft.Client().search_runs(
        [experiment_id], "tags.stage = 'search'", order_by=["metrics.cv_rmse ASC"], max_results=TOP
    )
    results = []
    for found in best:
        params = {key: value for key, value in found.data.params.items() if key != "family"}
        family = found.data.params["family"]
        typed = {key: int(value) if family == "tree" else float(value) for key, value in params.items()}
        model = build(family, typed).fit(x_train, y_train)
        name = f"retrain-{family}-" + "-".join(f"{key}{value}" for key, value in params.items())
        test_rmse = rmse(y_test, model.predict(x_test))
        with ft.start_run(run_name=name):
            ft.set_tags({"stage": "retrain", "search_run_id": found.info.run_id})
            ft.log_params(found.data.params)
            ft.log_metric("test_rmse", test_rmse)
            info = ft.sklearn.log_model(model, name="model", input_example=x_train.head(3))
        results.append((test_rmse, info.model_uri, name))
    return sorted(results)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracking-uri", help="where to track (default: the configured tracking URI)")
    args = parser.parse_args(argv)
    if args.tracking_uri:
        ft.set_tracking_uri(args.tracking_uri)

    features, target = load_diabetes(return_X_y=True, as_frame=True)
    data = train_test_split(features, target, test_size=0.25, random_state=42)
    experiment = ft.set_experiment(EXPERIMENT)
    search(data[0], data[2])
    ranked = retrain_top(experiment.experiment_id, data)
    for test_rmse, _, name in ranked:
        print(f"{name:<44} test_rmse={test_rmse:.2f}")

    best_rmse, best_uri, best_name = ranked[0]
    version = ft.register_model(best_uri, MODEL_NAME)
    ft.Client().set_registered_model_alias(MODEL_NAME, ALIAS, version.version)
    print(f"registered {best_name} as {MODEL_NAME} version {version.version} (alias {ALIAS})")

    production = ft.pyfunc.load_model(f"models:/{MODEL_NAME}@{ALIAS}")
    predictions = production.predict(data[1])
    print(
        f"models:/{MODEL_NAME}@{ALIAS} test_rmse={rmse(data[3], predictions):.2f} (expected {best_rmse:.2f})"
    )
    print(f"first predictions: {[round(float(value), 1) for value in predictions[:3]]}")


if __name__ == "__main__":
    main()
