"""Property-based requests to every operation of the live server's OpenAPI (schemathesis), SQLite backend.

Whatever a client sends, valid or not, the server must answer with a status below 500: bad input is a 4xx
with MLflow's error JSON, and a 5xx means a bug. For every operation in the live server's ``/openapi.json``,
schemathesis generates schema-conforming and schema-violating requests (its positive and negative modes);
the run is bounded (``MAX_EXAMPLES`` per operation) and derandomized, so a failure reproduces run after run.

schemathesis's own pytest entry point (``schemathesis.pytest.from_fixture(...).parametrize()``) fails under
pytest 9 (it sets ``request.node._nodeid``, which pytest 9 no longer has), so the operations are
parametrized here and each one runs a Hypothesis test over ``APIOperation.as_strategy()``, checked with
schemathesis's ``not_a_server_error``. The operation list comes from the app's schema at collection, and
``test_every_live_operation_is_fuzzed`` checks it against the live server's.

Random ids almost never name anything, so most requests would stop at "run not found". To reach the
validation and storage code behind the lookups, ids in about half of the generated requests (chosen from the
request itself, so still deterministic) are replaced with those of a real experiment and an active run.

``test_edge_case_gets_no_server_error`` adds a few inputs the generator rarely reaches (path components
longer than the file system allows, numbers past int64, 100 kB strings), found by probing the server by hand.

Every JSON body has a request schema (the pydantic models of ``server/api/mlflow/schemas.py``), so bodies are
generated too. Not meaningfully fuzzed: the body of ``PUT /mlflow-artifacts/artifacts/{path}`` (raw bytes,
no schema; only the path is generated, and bodies stay small).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.fixtures.server import MlflowApi, RunningServer

MAX_EXAMPLES = 25
INT64_MAX = 2**63 - 1
LONG_NAME = "x" * 256  # one path component longer than NAME_MAX (255 bytes on Linux file systems)
ID_FIELDS = {"run_id", "run_uuid", "experiment_id"}
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def schema_operations(document: dict[str, Any]) -> list[str]:
    """``"METHOD /path"`` of every operation in an OpenAPI document."""
    return sorted(
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    )


def app_operations() -> list[str]:
    """The operations of the server's app, built in-process (no database is opened) at collection."""
    from flowtrack.server.app import create_app
    from flowtrack.server.config import ServerConfig

    config = ServerConfig("sqlite:///unused.db", None, "unused-artifacts")
    return schema_operations(create_app(config).openapi())


OPERATIONS = app_operations()


@pytest.fixture(scope="module")
def live_ids(module_sqlite_server: RunningServer) -> Iterator[dict[str, str]]:
    """A real experiment and an active run, whose ids are swapped into some generated requests."""
    api = MlflowApi(module_sqlite_server.url)
    experiment_id = api.create_experiment("fuzz-target")
    run_id = api.create_run(experiment_id, run_name="fuzz-target")["info"]["run_id"]
    yield {"experiment_id": experiment_id, "run_id": run_id, "run_uuid": run_id}
    api.close()


@pytest.fixture(scope="module")
def live_schema(module_sqlite_server: RunningServer) -> Any:
    return schemathesis.openapi.from_url(f"{module_sqlite_server.url}/openapi.json")


def _use_live_ids(values: Any, ids: dict[str, str]) -> None:
    """Swap real ids into string id fields of a body or query, in about half of the requests."""
    if not isinstance(values, dict):
        return
    digest = hashlib.sha256(json.dumps(values, sort_keys=True, default=repr).encode()).digest()
    if digest[0] % 2:
        return
    for field in ID_FIELDS & values.keys():
        if isinstance(values[field], str):
            values[field] = ids[field]


def test_every_live_operation_is_fuzzed(live_schema: Any) -> None:
    assert schema_operations(live_schema.raw_schema) == OPERATIONS


# Operations whose only inputs are free-form path strings (or none): no request can violate their schema, so
# they get schema-valid requests only. A new parameter on one of them makes the test below fail, not skip.
NOTHING_TO_VIOLATE = frozenset(
    {
        "DELETE /api/2.0/mlflow-artifacts/artifacts/{path}",
        "DELETE /api/2.0/mlflow/logged-models/{model_id}",
        "DELETE /api/2.0/mlflow/logged-models/{model_id}/tags/{tag_key}",
        "GET /api/2.0/mlflow-artifacts/artifacts/{path}",
        "GET /api/3.0/mlflow/server-info",
        "GET /health",
        "GET /version",
        "PUT /api/2.0/mlflow-artifacts/artifacts/{path}",
    }
)
CASES = [
    (label, mode)
    for label in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if not (mode is GenerationMode.NEGATIVE and label in NOTHING_TO_VIOLATE)
]


@pytest.mark.parametrize(
    ("operation_label", "mode"), CASES, ids=[f"{label}-{mode.value}" for label, mode in CASES]
)
def test_no_server_errors(
    operation_label: str,
    mode: GenerationMode,
    live_schema: Any,
    live_ids: dict[str, str],
    module_sqlite_server: RunningServer,
) -> None:
    method, path = operation_label.split(" ", 1)
    operation = live_schema[path][method]

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(case=operation.as_strategy(mode))
    def fuzz(case: Any) -> None:
        _use_live_ids(case.body, live_ids)
        _use_live_ids(case.query, live_ids)
        case.call_and_validate(checks=[not_a_server_error], timeout=30)

    try:
        fuzz()
    except Unsatisfiable:
        pytest.fail(f"no {mode.value} request could be generated for {operation_label}")
    except BaseException:
        print(f"server log (tail):\n{module_sqlite_server.stderr()[-4000:]}")
        raise


# Inputs the generator rarely reaches (its strings are short, its numbers small), found by probing by hand.
# Each is sent alone, on a connection of its own; "{run_id}" and "{experiment_id}" name a fresh active run and
# its experiment (the fuzzing above may have deleted the live ones), which has one artifact already, so the
# folders before a long name exist whatever ran first.
EDGE_CASES: list[tuple[str, str, str, dict[str, Any]]] = [
    ("long-artifact-name-download", "GET", f"/api/2.0/mlflow-artifacts/artifacts/{LONG_NAME}", {}),
    (
        "long-artifact-name-upload",
        "PUT",
        f"/api/2.0/mlflow-artifacts/artifacts/{LONG_NAME}",
        {"content": b"x"},
    ),
    ("long-artifact-name-delete", "DELETE", f"/api/2.0/mlflow-artifacts/artifacts/{LONG_NAME}", {}),
    (
        "long-artifact-name-proxy-list",
        "GET",
        "/api/2.0/mlflow-artifacts/artifacts",
        {"params": {"path": LONG_NAME}},
    ),
    (
        "long-artifact-name-run-list",
        "GET",
        "/api/2.0/mlflow/artifacts/list",
        {"params": {"run_id": "{run_id}", "path": LONG_NAME}},
    ),
    (
        "experiment-id-over-int64",
        "POST",
        "/api/2.0/mlflow/runs/create",
        {"json": {"experiment_id": str(2**63)}},
    ),
    ("experiment-id-huge", "GET", "/api/2.0/mlflow/experiments/get", {"params": {"experiment_id": "9" * 30}}),
    (
        "step-over-int64",
        "POST",
        "/api/2.0/mlflow/runs/log-metric",
        {"json": {"run_id": "{run_id}", "key": "m", "value": 1.0, "timestamp": 1, "step": INT64_MAX + 1}},
    ),
    (
        "timestamp-int64-min",
        "POST",
        "/api/2.0/mlflow/runs/log-metric",
        {"json": {"run_id": "{run_id}", "key": "m", "value": 1.0, "timestamp": -INT64_MAX - 1, "step": 0}},
    ),
    (
        "param-value-100k",
        "POST",
        "/api/2.0/mlflow/runs/log-parameter",
        {"json": {"run_id": "{run_id}", "key": "big", "value": "v" * 100_000}},
    ),
    ("experiment-name-100k", "POST", "/api/2.0/mlflow/experiments/create", {"json": {"name": "n" * 100_000}}),
    (
        "page-token-huge-offset",
        "POST",
        "/api/2.0/mlflow/runs/search",
        {"json": {"experiment_ids": ["{experiment_id}"], "page_token": "eyJvZmZzZXQiOiAxZTMwfQ=="}},
    ),
    (
        "history-max-results-huge",
        "GET",
        "/api/2.0/mlflow/metrics/get-history",
        {"params": {"run_id": "{run_id}", "metric_key": "m", "max_results": 10**12}},
    ),
    (
        "filter-number-over-float",
        "POST",
        "/api/2.0/mlflow/runs/search",
        {"json": {"experiment_ids": ["{experiment_id}"], "filter": "metrics.m > 1e999"}},
    ),
    (
        "filter-start-time-over-int64",
        "POST",
        "/api/2.0/mlflow/runs/search",
        {"json": {"experiment_ids": ["{experiment_id}"], "filter": f"attributes.start_time > {2**63}"}},
    ),
]


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids) if value in ("{run_id}", "{experiment_id}") else value
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, ids) for item in value]
    return value


@pytest.mark.parametrize(
    ("method", "path", "options"), [case[1:] for case in EDGE_CASES], ids=[c[0] for c in EDGE_CASES]
)
def test_edge_case_gets_no_server_error(
    method: str, path: str, options: dict[str, Any], module_sqlite_server: RunningServer
) -> None:
    api = MlflowApi(module_sqlite_server.url)
    experiment_id = api.create_experiment()
    run_id = api.create_run(experiment_id)["info"]["run_id"]
    seeded = api.http.put(
        f"/api/2.0/mlflow-artifacts/artifacts/{experiment_id}/{run_id}/artifacts/seed.txt", content=b"s"
    )
    assert seeded.status_code == 200, seeded.text
    api.close()
    ids = {"experiment_id": experiment_id, "run_id": run_id}
    response = httpx.request(method, module_sqlite_server.url + path, timeout=30, **_fill(options, ids))
    assert response.status_code < 500, (
        f"{method} {path[:120]} -> {response.status_code} {response.text[:300]}\n"
        f"server log (tail):\n{module_sqlite_server.stderr()[-3000:]}"
    )
    if response.status_code >= 400:
        assert set(response.json()) == {"error_code", "message"}, response.text
