"""Seeds the UI benchmark's data into a fresh SQLite database, through flowtrack's or MLflow's own store.

    python bench/ui_seed.py flowtrack /tmp/ft.db /tmp/ft-artifacts [runs] [points]
    .venvs/mlflow/bin/python bench/ui_seed.py mlflow /tmp/mlflow.db /tmp/mlflow-artifacts [runs] [points]

Both get the same data: experiment ``bench-runs`` with ``runs`` runs (``run-00000``…, four params, two
metrics, one tag each) and experiment ``bench-points`` with one run, ``big``, whose metric ``loss`` has
``points`` points. Prints one JSON line: the experiment and run ids the driver opens in the browser.
"""

from __future__ import annotations

import json
import math
import random
import sys
from collections.abc import Callable
from typing import Any

START_MS = 1_760_000_000_000
BATCH = 1000


def run_data(i: int) -> tuple[dict[str, str], dict[str, float], dict[str, str]]:
    rng = random.Random(i)
    params = {
        "lr": str([0.1, 0.03, 0.01, 0.003][i % 4]),
        "depth": str(8 + i % 5 * 4),
        "optimizer": ["adam", "sgd", "adamw"][i % 3],
        "batch_size": str([32, 64, 128][i % 3]),
    }
    loss = rng.uniform(0.05, 2.0)
    return params, {"loss": loss, "accuracy": 1 - loss / 2.5}, {"team": ["vision", "nlp", "research"][i % 3]}


def point(step: int) -> float:
    return math.sin(step / 5000) + random.Random(step).random() * 0.1 + (5.0 if step == 777_777 else 0.0)


def seed(
    create_experiment: Callable[[str], str],
    create_run: Callable[[str, str, int], str],
    log: Any,
    runs: int,
    points: int,
) -> dict[str, str]:
    experiment = create_experiment("bench-runs")
    for i in range(runs):
        run_id = create_run(experiment, f"run-{i:05d}", START_MS + i * 1000)
        params, metrics, tags = run_data(i)
        log(run_id, [(k, v, START_MS + i * 1000, 0) for k, v in metrics.items()], params, tags)
    big_experiment = create_experiment("bench-points")
    big = create_run(big_experiment, "big", START_MS)
    for start in range(0, points, BATCH):
        steps = range(start, min(points, start + BATCH))
        log(big, [("loss", point(step), START_MS + step, step) for step in steps], {}, {})
    return {"runs_experiment": experiment, "points_experiment": big_experiment, "big_run": big}


def flowtrack_store(uri: str, artifacts: str) -> tuple[Any, Any, Any]:
    from flowtrack.tracking.entities import Metric, Param, RunTag
    from flowtrack.tracking.stores.registry import get_tracking_store

    store = get_tracking_store(uri, artifacts)

    def log(
        run_id: str, metrics: list[tuple[str, float, int, int]], params: dict[str, str], tags: dict[str, str]
    ) -> None:
        store.log_batch(
            run_id,
            [Metric(k, v, ts, step) for k, v, ts, step in metrics],
            [Param(k, v) for k, v in params.items()],
            [RunTag(k, v) for k, v in tags.items()],
        )

    def create_run(experiment: str, name: str, start: int) -> str:
        return str(store.create_run(experiment, "bench", start, name, []).info.run_id)

    return (lambda name: store.create_experiment(name, None, [])), create_run, log


def mlflow_store(uri: str, artifacts: str) -> tuple[Any, Any, Any]:
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore(uri, artifacts)

    def log(
        run_id: str, metrics: list[tuple[str, float, int, int]], params: dict[str, str], tags: dict[str, str]
    ) -> None:
        store.log_batch(
            run_id,
            [Metric(k, v, ts, step) for k, v, ts, step in metrics],
            [Param(k, v) for k, v in params.items()],
            [RunTag(k, v) for k, v in tags.items()],
        )

    def create_run(experiment: str, name: str, start: int) -> str:
        return str(store.create_run(experiment, "bench", start, [], name).info.run_id)

    return (lambda name: store.create_experiment(name, artifacts)), create_run, log


def main() -> None:
    kind, path, artifacts = sys.argv[1:4]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 10_000
    points = int(sys.argv[5]) if len(sys.argv) > 5 else 1_000_000
    opener = flowtrack_store if kind == "flowtrack" else mlflow_store
    print(json.dumps(seed(*opener(f"sqlite:///{path}", artifacts), runs, points)))


if __name__ == "__main__":
    main()
