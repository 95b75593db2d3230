"""Train a few scikit-learn models in a flowtrack flow and track them: what `flowtrack quickstart` runs.

Run it with ``python examples/quickstart.py`` (add ``--tracking-uri sqlite:///flowtrack.db`` to use a
database file of your own). One flow run loads scikit-learn's bundled diabetes dataset in a task, then trains
ridge, random-forest and gradient-boosting regressors in parallel tasks (``map`` on the thread pool). The flow
run is a tracked run, and each model gets a child run under it with params, metrics (and a per-step training
curve for boosting), a tag, the dataset as an input, and small artifacts. Then it prints the models, best
first, and the commands that show the runs, the flow run and the web UI.

Needs scikit-learn and pandas: ``pip install 'flowtrack[sklearn]'`` (matplotlib adds a plot per run).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import dataclass
from typing import Any

try:
    import numpy as np
    from sklearn.datasets import load_diabetes
    from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
    from sklearn.linear_model import Ridge
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
    from sklearn.model_selection import train_test_split
except ImportError:
    sys.exit("This example needs scikit-learn: pip install 'flowtrack[sklearn]'")
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

import flowtrack as ft
from flowtrack.entities import Run

EXPERIMENT = "quickstart"

# Three model families with two settings each: six runs to compare. (run name, estimator, hyper-parameters)
CANDIDATES: list[tuple[str, Any, dict[str, Any]]] = [
    ("ridge-alpha-0.1", Ridge, {"alpha": 0.1}),
    ("ridge-alpha-10", Ridge, {"alpha": 10.0}),
    ("forest-depth-4", RandomForestRegressor, {"n_estimators": 100, "max_depth": 4}),
    ("forest-depth-8", RandomForestRegressor, {"n_estimators": 100, "max_depth": 8}),
    (
        "boosting-lr-0.05",
        GradientBoostingRegressor,
        {"n_estimators": 150, "learning_rate": 0.05, "max_depth": 2},
    ),
    (
        "boosting-lr-0.2",
        GradientBoostingRegressor,
        {"n_estimators": 150, "learning_rate": 0.2, "max_depth": 3},
    ),
]


def rmse(actual: Any, predicted: Any) -> float:
    return float(np.sqrt(mean_squared_error(actual, predicted)))


@dataclass(frozen=True)
class Split:
    """The training and test rows, the feature columns and the dataset the runs record as their input."""

    train: Any
    test: Any
    features: list[str]
    dataset: Any


@ft.task
def load_data(test_size: float) -> Split:
    data = load_diabetes(as_frame=True).frame  # 442 patients, 10 features; bundled with scikit-learn
    train, test = train_test_split(data, test_size=test_size, random_state=42)
    features = [column for column in data.columns if column != "target"]
    dataset = ft.data.from_pandas(
        train, source="sklearn.datasets.load_diabetes", targets="target", name="diabetes"
    )
    return Split(train, test, features, dataset)


@ft.task(task_run_name="train-{run_name}")
def train_candidate(run_name: str, split: Split) -> str:
    """Train one candidate in a child run of the flow's run; return the child run's id."""
    estimator, params = next((est, kw) for name, est, kw in CANDIDATES if name == run_name)
    train, test, features = split.train, split.test, split.features
    with ft.start_run(run_name=run_name, nested=True) as run:
        ft.set_tag("model_family", estimator.__name__)
        ft.log_params(params)
        ft.log_input(split.dataset, context="training")
        model = estimator(random_state=42, **params).fit(train[features], train["target"])
        predicted = model.predict(test[features])
        ft.log_metrics(
            {
                "rmse": rmse(test["target"], predicted),
                "mae": float(mean_absolute_error(test["target"], predicted)),
                "r2": float(r2_score(test["target"], predicted)),
            }
        )
        if hasattr(model, "staged_predict"):  # boosting adds trees one by one: log the curve per step
            for step, staged in enumerate(model.staged_predict(test[features])):
                ft.log_metric("val_rmse", rmse(test["target"], staged), step=step)
        ft.log_dict({"features": features, "target": "disease progression after one year"}, "features.json")
        log_prediction_plot(test["target"], predicted)
    return run.info.run_id


@ft.flow(name="quickstart", experiment=EXPERIMENT, flow_run_name="train-models")
def train_models(test_size: float = 0.25) -> list[str]:
    """Load the data once, train every candidate in parallel; return the child run ids."""
    split = load_data(test_size)
    futures = train_candidate.map([name for name, _, _ in CANDIDATES], ft.unmapped(split))
    with Progress() as progress:
        bar = progress.add_task("Training", total=len(futures))
        for _ in ft.as_completed(futures):
            progress.advance(bar)
        progress.update(bar, description=f"Trained {len(futures)} models")
    return [future.result() for future in futures]


def train_and_track(experiment_name: str = EXPERIMENT) -> tuple[Run, list[Run]]:
    """Run the flow; return its tracked run and the models' runs, best (lowest rmse) first."""
    state = train_models.with_options(experiment=experiment_name)(return_state=True)
    child_ids = state.result()
    runs = sorted((ft.get_run(run_id) for run_id in child_ids), key=lambda run: run.data.metrics["rmse"])
    flow_run = ft.get_run(runs[0].data.tags["mlflow.parentRunId"])
    return flow_run, runs


def log_prediction_plot(actual: Any, predicted: Any) -> None:
    """A predicted-versus-actual scatter plot as an artifact, when matplotlib is installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # draw to files, never open a window
        import matplotlib.pyplot as plt
    except ImportError:
        return
    figure, axes = plt.subplots(figsize=(4, 4))
    axes.scatter(actual, predicted, s=12, alpha=0.6)
    axes.axline((0, 0), slope=1, color="grey", linewidth=1)
    axes.set(xlabel="actual", ylabel="predicted", title="Test set")
    ft.log_figure(figure, "predictions.png")
    plt.close(figure)


def print_results(
    flow_run: Run, runs: list[Run], experiment_name: str, tracking_uri: str | None = None
) -> None:
    """A table of the models' runs, best first, and the commands that show more."""
    console = Console(highlight=False, soft_wrap=True)  # never break a command line in two
    table = Table(title=f"Experiment {escape(experiment_name)!r}: the models of this flow run, best first")
    for column in ("run id", "name", "rmse", "mae", "r2", "params"):
        table.add_column(column, justify="right" if column in ("rmse", "mae", "r2") else "left")
    for run in runs:
        metrics = run.data.metrics
        params = ", ".join(f"{key}={value}" for key, value in sorted(run.data.params.items()))
        table.add_row(
            run.info.run_id[:8],
            escape(run.info.run_name),
            *(f"{metrics[key]:.3f}" for key in ("rmse", "mae", "r2")),
            escape(params),
        )
    console.print(table)
    best = runs[0]
    uri = f" --tracking-uri {shlex.quote(tracking_uri)}" if tracking_uri else ""
    flow_run_id = flow_run.data.tags["flowtrack.flowRunId"]
    console.print(
        f"Best model: [bold]{escape(best.info.run_name)}[/] (rmse {best.data.metrics['rmse']:.3f})\n"
    )
    console.print("Look at the runs and the flow run that made them:")
    console.print(f"  [cyan]flowtrack runs list --experiment {shlex.quote(experiment_name)}{uri}[/]")
    console.print(f"  [cyan]flowtrack runs describe {best.info.run_id}{uri}[/]")
    console.print(f"  [cyan]flowtrack flow-runs inspect {flow_run_id}{uri}[/]")
    console.print(
        f"  [cyan]flowtrack ui{uri}[/]  [dim]then open http://127.0.0.1:5000/flow-runs/{flow_run_id}[/]"
    )
    console.print(f"[dim]Runs are stored in {escape(ft.get_tracking_uri())}[/]")


def run(experiment_name: str = EXPERIMENT, tracking_uri: str | None = None) -> list[Run]:
    """Train, track and report; ``tracking_uri`` defaults to the embedded store in $FLOWTRACK_HOME."""
    if tracking_uri:
        ft.set_tracking_uri(tracking_uri)
    flow_run, runs = train_and_track(experiment_name)
    print_results(flow_run, runs, experiment_name, tracking_uri)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description="Train and track a few scikit-learn models with flowtrack.")
    parser.add_argument(
        "--tracking-uri", help="e.g. sqlite:///flowtrack.db (default: ~/.flowtrack/flowtrack.db)"
    )
    parser.add_argument(
        "--experiment", default=EXPERIMENT, help="experiment to log to (default: %(default)s)"
    )
    args = parser.parse_args()
    run(args.experiment, args.tracking_uri)


if __name__ == "__main__":
    main()
