"""The entity shapes bench/server_workloads.py builds and reads, as plain named tuples."""

from __future__ import annotations

from typing import Any, NamedTuple


class Metric(NamedTuple):
    key: str
    value: float
    timestamp: int
    step: int = 0


class Param(NamedTuple):
    key: str
    value: str


class RunInfo(NamedTuple):
    run_id: str
    status: str


class RunData(NamedTuple):
    metrics: dict[str, float]
    params: dict[str, str]
    tags: dict[str, str]


class Run(NamedTuple):
    info: RunInfo
    data: RunData

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Run:
        info, data = body["info"], body.get("data", {})
        return cls(
            RunInfo(info["run_id"], info["status"]),
            RunData(
                {item["key"]: item["value"] for item in data.get("metrics", [])},
                {item["key"]: item["value"] for item in data.get("params", [])},
                {item["key"]: item["value"] for item in data.get("tags", [])},
            ),
        )
