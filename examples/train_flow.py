"""A training pipeline as a flowtrack flow, whose tracked run holds every metric its tasks log.

Run it with ``python examples/train_flow.py`` (add ``--tracking-uri sqlite:///flowtrack.db`` to use a
database file of your own). The flow loads scikit-learn's bundled diabetes dataset, builds features in a
task, trains one model per hyper-parameter setting in parallel tasks (``map`` on the thread pool), evaluates
the best one on held-out data and logs it as a model. The flow run and its tracked run point at each other:
look at them with ``flowtrack flow-runs inspect`` and ``flowtrack runs describe``.

Needs scikit-learn: ``pip install 'flowtrack[sklearn]'``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any

try:
    import numpy as np
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge
    from sklearn.metrics import mean_squared_error, r2_score
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler
except ImportError:
    sys.exit("This example needs scikit-learn: pip install 'flowtrack[sklearn]'")

import flowtrack as ft

EXPERIMENT = "train-flow"
ALPHAS = (0.01, 0.1, 1.0, 10.0, 100.0)


@dataclass(frozen=True)
class Splits:
    """Features for training, validation (choosing alpha) and test (the final, untouched score)."""

    x_train: Any
    y_train: Any
    x_valid: Any
    y_valid: Any
    x_test: Any
    y_test: Any


@dataclass(frozen=True)
class Candidate:
    alpha: float
    model: Any
    valid_rmse: float


def rmse(actual: Any, predicted: Any) -> float:
    return float(np.sqrt(mean_squared_error(actual, predicted)))


@ft.task
def load_data() -> tuple[Any, Any]:
    features, target = load_diabetes(return_X_y=True)
    ft.get_run_logger().info("loaded %d rows with %d features", *features.shape)
    return features, target


@ft.task
def make_features(features: Any, target: Any, seed: int) -> Splits:
    """Pairwise interactions, standardized on the training rows only."""
    x_rest, x_test, y_rest, y_test = train_test_split(features, target, test_size=0.2, random_state=seed)
    x_train, x_valid, y_train, y_valid = train_test_split(x_rest, y_rest, test_size=0.25, random_state=seed)
    expand = PolynomialFeatures(degree=2, include_bias=False).fit(x_train)
    scale = StandardScaler().fit(expand.transform(x_train))

    def prepare(rows: Any) -> Any:
        return scale.transform(expand.transform(rows))

    ft.log_metric("n_features", float(prepare(x_train[:1]).shape[1]))
    return Splits(prepare(x_train), y_train, prepare(x_valid), y_valid, prepare(x_test), y_test)


@ft.task
def train(splits: Splits, alpha: float, index: int) -> Candidate:
    model = Ridge(alpha=alpha).fit(splits.x_train, splits.y_train)
    score = rmse(splits.y_valid, model.predict(splits.x_valid))
    # one curve over the settings, plus a metric per setting: both land on the flow's run
    ft.log_metric("valid_rmse", score, step=index)
    ft.log_metric(f"valid_rmse_alpha_{alpha:g}", score)
    return Candidate(alpha, model, score)


@ft.task
def evaluate(candidates: list[Candidate], splits: Splits) -> tuple[Candidate, dict[str, float]]:
    best = min(candidates, key=lambda candidate: candidate.valid_rmse)
    predicted = best.model.predict(splits.x_test)
    return best, {
        "test_rmse": rmse(splits.y_test, predicted),
        "test_r2": float(r2_score(splits.y_test, predicted)),
    }


@ft.flow(experiment=EXPERIMENT, log_prints=True)
def train_pipeline(alphas: tuple[float, ...] = ALPHAS, seed: int = 7) -> dict[str, float]:
    features, target = load_data()
    splits = make_features(features, target, seed)
    candidates = train.map(ft.unmapped(splits), list(alphas), list(range(len(alphas)))).result()
    best, scores = evaluate(candidates, splits)
    ft.log_metrics(scores)
    ft.set_tag("best_alpha", f"{best.alpha:g}")
    ft.sklearn.log_model(best.model, name="model")
    print(f"best alpha {best.alpha:g}: test rmse {scores['test_rmse']:.2f}, r2 {scores['test_r2']:.3f}")
    return {"best_alpha": best.alpha, **scores}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracking-uri", help="where to record the flow and its run (default: configured)")
    args = parser.parse_args()
    if args.tracking_uri:
        ft.set_tracking_uri(args.tracking_uri)
    result = train_pipeline()
    [flow_run] = ft.Client().read_flow_runs(flow_name="train_pipeline", limit=1)
    print(f"flow run {flow_run.id} {flow_run.state_type.value}: tracked run {flow_run.tracking_run_id}")
    print(f"best_alpha={result['best_alpha']:g} test_rmse={result['test_rmse']:.2f}")
    print(f"See it: flowtrack flow-runs inspect {flow_run.id[:8]}")
    print(f"        flowtrack runs describe {str(flow_run.tracking_run_id)[:8]}")


if __name__ == "__main__":
    main()
