"""Runs as a pandas DataFrame, with MLflow's column names (``metrics.rmse``, ``params.model``, ``tags.x``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from flowtrack.tracking.entities import Run

_INFO_COLUMNS = ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time")


def runs_to_frame(runs: Sequence[Run]) -> Any:
    rows = [_row(run) for run in runs]
    frame = pd.DataFrame(rows, columns=_columns(rows))
    for column in ("start_time", "end_time"):
        frame[column] = pd.to_datetime(frame[column], unit="ms", utc=True)
    return frame


def _row(run: Run) -> dict[str, Any]:
    info = run.info
    row: dict[str, Any] = {
        "run_id": info.run_id,
        "experiment_id": info.experiment_id,
        "status": str(info.status),
        "artifact_uri": info.artifact_uri,
        "start_time": info.start_time,
        "end_time": info.end_time,
    }
    row.update({f"metrics.{key}": value for key, value in run.data.metrics.items()})
    row.update({f"params.{key}": value for key, value in run.data.params.items()})
    row.update({f"tags.{key}": value for key, value in run.data.tags.items()})
    return row


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    extra: dict[str, None] = {}
    for row in rows:
        extra.update(dict.fromkeys(key for key in row if key not in _INFO_COLUMNS))
    by_group = sorted(
        extra, key=lambda key: (("metrics.", "params.", "tags.").index(key.split(".")[0] + "."), key)
    )
    return [*_INFO_COLUMNS, *by_group]
