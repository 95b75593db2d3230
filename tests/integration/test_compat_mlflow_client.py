"""The real, unchanged ``mlflow`` client (3.17, in its own virtualenv) against flowtrack's server.

One script runs under the ``mlflow_python`` interpreter per database (SQLite and PostgreSQL), with
``MLFLOW_TRACKING_URI`` pointing at a flowtrack server on that database. It exercises the tracking API the way
users do (fluent ``mlflow.*`` and ``MlflowClient``), section by section, and prints one JSON summary of what
the client got back: every returned value, not just "no exception". A section that raises records its
traceback instead, and the others still run. Each pytest test below checks one section of that summary, so a
failure names the part of the API that broke.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fixtures.databases import _Servers
from tests.fixtures.mlflow import run_mlflow_summary, summary_section
from tests.fixtures.server import RunningServer, server_on_own_database

COMPAT_BACKENDS = ("sqlite", "postgresql")
SCRIPT_TIMEOUT_S = 240
SUMMARY_MARKER = "COMPAT-SUMMARY:"

SCRIPT = r"""
import hashlib, json, os, sys, tempfile, time, traceback

import mlflow
import yaml
from mlflow import MlflowClient
from mlflow.entities import Metric, ViewType

client = MlflowClient()
work = tempfile.mkdtemp()
summary = {"_seconds": {}}


def section(function):
    started = time.perf_counter()
    try:
        summary[function.__name__] = function()
    except Exception:
        summary[function.__name__] = {"error": traceback.format_exc()}
    summary["_seconds"][function.__name__] = round(time.perf_counter() - started, 3)
    return function


def experiment_view(experiment):
    if experiment is None:
        return None
    return {
        "experiment_id": experiment.experiment_id,
        "name": experiment.name,
        "lifecycle_stage": experiment.lifecycle_stage,
        "artifact_location": experiment.artifact_location,
        "tags": dict(experiment.tags),
    }


def files(run_id, path=None):
    return sorted([info.path, info.is_dir, info.file_size] for info in client.list_artifacts(run_id, path))


def sha256(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def tree_digests(root):
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            found[os.path.relpath(path, root).replace(os.sep, "/")] = sha256(path)
    return found


@section
def set_experiment():
    experiment = mlflow.set_experiment("compat")
    again = mlflow.set_experiment("compat")
    by_id = mlflow.set_experiment(experiment_id=experiment.experiment_id)
    return {
        "experiment": experiment_view(experiment),
        "again_id": again.experiment_id,
        "by_id_name": by_id.name,
        "fetched": experiment_view(client.get_experiment(experiment.experiment_id)),
    }


@section
def run_logging():
    with mlflow.start_run(run_name="main") as run:
        started = {
            "status": run.info.status,
            "run_name": run.info.run_name,
            "experiment_id": run.info.experiment_id,
            "lifecycle_stage": run.info.lifecycle_stage,
            "artifact_uri": run.info.artifact_uri,
            "end_time": run.info.end_time,
        }
        mlflow.set_tag("team", "a")
        mlflow.set_tags({"stage": "dev", "n": 3})
        param_returned = mlflow.log_param("alpha", 0.5)
        mlflow.log_params({"beta": "b", "layers": 3})
        mlflow.log_metric("loss", 0.9, step=0)
        mlflow.log_metric("loss", 0.7, step=1)
        mlflow.log_metrics({"loss": 0.5, "acc": 0.6}, step=2)
        mlflow.log_metrics({"acc": 0.75}, step=10)
        active_inside = mlflow.active_run().info.run_id
    run_id = run.info.run_id
    got = client.get_run(run_id)
    history = {}
    timestamps_positive = True
    for key in ("loss", "acc"):
        points = client.get_metric_history(run_id, key)
        history[key] = [[point.key, point.step, point.value] for point in points]
        timestamps_positive = timestamps_positive and all(point.timestamp > 0 for point in points)
    return {
        "run_id": run_id,
        "started": started,
        "param_returned": param_returned,
        "active_inside": active_inside,
        "active_after": None if mlflow.active_run() is None else mlflow.active_run().info.run_id,
        "status": got.info.status,
        "run_name": got.info.run_name,
        "experiment_id": got.info.experiment_id,
        "lifecycle_stage": got.info.lifecycle_stage,
        "ended_after_start": got.info.end_time is not None and got.info.end_time >= got.info.start_time,
        "params": got.data.params,
        "metrics": got.data.metrics,
        "user_tags": {key: value for key, value in got.data.tags.items() if not key.startswith("mlflow.")},
        "system_tags": {
            key: got.data.tags.get(key) for key in ("mlflow.runName", "mlflow.user", "mlflow.source.type")
        },
        "history": history,
        "history_timestamps_positive": timestamps_positive,
    }


@section
def artifacts():
    source = os.path.join(work, "source")
    tree = os.path.join(source, "tree")
    os.makedirs(os.path.join(tree, "sub", "deeper"))
    contents = {
        "a.txt": b"first file\n",
        "empty.txt": b"",
        "sub/b.bin": bytes(range(256)) * 400 + os.urandom(1000),
        "sub/with space.txt": "caf\u00e9 \u2013 ok\n".encode(),
        "sub/deeper/c.json": b'{"deep": true}',
    }
    for relative, data in contents.items():
        with open(os.path.join(tree, *relative.split("/")), "wb") as handle:
            handle.write(data)
    single = os.path.join(source, "single.csv")
    with open(single, "wb") as handle:
        handle.write(b"x,y\n1,2\n3,4\n")
    with mlflow.start_run(run_name="artifacts") as run:
        mlflow.log_artifact(single)
        mlflow.log_artifact(single, artifact_path="data")
        mlflow.log_artifacts(tree, artifact_path="tree")
        mlflow.log_dict({"a": 1, "b": [1, 2]}, "config.json")
        mlflow.log_dict({"lr": 0.1, "layers": [3, 4]}, "cfg/params.yaml")
        mlflow.log_text("hello\nworld \u00fc", "notes/readme.txt")
        artifact_uri = mlflow.get_artifact_uri()
    run_id = run.info.run_id
    folders = (None, "tree", "tree/sub", "tree/sub/deeper", "data")
    listed = {path or "": files(run_id, path) for path in folders}
    out = os.path.join(work, "downloads")
    tree_local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="tree", dst_path=out)
    single_local = mlflow.artifacts.download_artifacts(
        run_id=run_id, artifact_path="data/single.csv", dst_path=os.path.join(work, "single-out")
    )
    client_local = client.download_artifacts(run_id, "tree/sub/b.bin", os.path.join(work, "client-out"))
    everything = mlflow.artifacts.download_artifacts(run_id=run_id, dst_path=os.path.join(work, "all-out"))
    with open(os.path.join(everything, "cfg", "params.yaml")) as handle:
        yaml_loaded = yaml.safe_load(handle)
    with open(os.path.join(everything, "notes", "readme.txt"), encoding="utf-8") as handle:
        text_downloaded = handle.read()
    return {
        "artifact_uri": artifact_uri,
        "listed": listed,
        "sizes": {relative: len(data) for relative, data in contents.items()},
        "uploaded": {relative: hashlib.sha256(data).hexdigest() for relative, data in contents.items()},
        "downloaded_tree": tree_digests(tree_local),
        "single_uploaded": sha256(single),
        "single_downloaded": sha256(single_local),
        "client_download": sha256(client_local),
        "everything": sorted(tree_digests(everything)),
        "load_dict": mlflow.artifacts.load_dict(f"runs:/{run_id}/config.json"),
        "load_text": mlflow.artifacts.load_text(f"runs:/{run_id}/notes/readme.txt"),
        "yaml": yaml_loaded,
        "text_downloaded": text_downloaded,
        "config_json_bytes": os.path.getsize(os.path.join(everything, "config.json")),
    }


M_VALUES = {0: 3.0, 1: 1.0, 3: 2.0, 5: -1.0, 6: 2.5}  # runs r2 and r4 have no metric "m"


@section
def search_runs():
    experiment_id = client.create_experiment("compat-search")
    ids = {}
    for index in range(7):
        group = "even" if index % 2 == 0 else "odd"
        run = client.create_run(
            experiment_id, start_time=1_700_000_000_000 + index * 1000, run_name=f"r{index}",
            tags={"group": group},
        )
        run_id = run.info.run_id
        client.log_param(run_id, "i", index)
        if index in M_VALUES:
            client.log_metric(run_id, "m", M_VALUES[index], timestamp=1_700_000_000_000, step=0)
        client.set_terminated(run_id)
        ids[f"r{index}"] = run_id
    names = {run_id: name for name, run_id in ids.items()}

    def search(filter_string="", **kwargs):
        found = client.search_runs([experiment_id], filter_string, **kwargs)
        return [names[run.info.run_id] for run in found]

    def pages(order_by):
        seen, token = [], None
        for _ in range(20):
            page = client.search_runs([experiment_id], order_by=order_by, max_results=2, page_token=token)
            seen.append([names[run.info.run_id] for run in page])
            token = page.token
            if not token:
                break
        return seen

    frame = mlflow.search_runs(
        experiment_ids=[experiment_id], filter_string="metrics.m >= 2", order_by=["metrics.m DESC"]
    )
    result = {
        "ids": ids,
        "filters": {
            "metrics.m > 1.5": search("metrics.m > 1.5"),
            "params.i = '3'": search("params.i = '3'"),
            "tags.group = 'odd' and metrics.m < 2": search("tags.group = 'odd' and metrics.m < 2"),
            "attributes.run_name = 'r2'": search("attributes.run_name = 'r2'"),
            "tags.group = 'even' and params.i != '0'": search("tags.group = 'even' and params.i != '0'"),
        },
        "dataframe": {
            "names": list(frame["tags.mlflow.runName"]),
            "m": list(frame["metrics.m"]),
            "i": list(frame["params.i"]),
        },
        "order": {
            "default": search(),
            "metrics.m ASC": search(order_by=["metrics.m ASC"]),
            "metrics.m DESC": search(order_by=["metrics.m DESC"]),
            "params.i DESC": search(order_by=["params.i DESC"]),
            "attributes.start_time ASC": search(order_by=["attributes.start_time ASC"]),
            "tags.group ASC, metrics.m DESC": search(order_by=["tags.group ASC", "metrics.m DESC"]),
        },
        "pages": {
            "metrics.m ASC": pages(["metrics.m ASC"]),
            "metrics.m DESC": pages(["metrics.m DESC"]),
            "default": pages(None),
        },
    }
    target = ids["r6"]
    client.delete_run(target)
    result["deleted"] = {
        "lifecycle_stage": client.get_run(target).info.lifecycle_stage,
        "active": search(run_view_type=ViewType.ACTIVE_ONLY),
        "deleted": search(run_view_type=ViewType.DELETED_ONLY),
        "all": search(run_view_type=ViewType.ALL),
    }
    client.restore_run(target)
    result["restored"] = {
        "lifecycle_stage": client.get_run(target).info.lifecycle_stage,
        "active": search(run_view_type=ViewType.ACTIVE_ONLY),
        "deleted": search(run_view_type=ViewType.DELETED_ONLY),
    }
    return result


@section
def nested_runs():
    with mlflow.start_run(run_name="parent") as parent:
        with mlflow.start_run(run_name="child", nested=True) as child:
            active_in_child = mlflow.active_run().info.run_id
        active_after_child = mlflow.active_run().info.run_id
    parent_id, child_id = parent.info.run_id, child.info.run_id
    experiment_id = parent.info.experiment_id
    found = client.search_runs([experiment_id], f"tags.mlflow.parentRunId = '{parent_id}'")
    return {
        "parent_id": parent_id,
        "child_id": child_id,
        "active_in_child": active_in_child,
        "active_after_child": active_after_child,
        "child_parent_tag": client.get_run(child_id).data.tags.get("mlflow.parentRunId"),
        "parent_has_parent_tag": "mlflow.parentRunId" in client.get_run(parent_id).data.tags,
        "children_found": [run.info.run_id for run in found],
        "statuses": [client.get_run(parent_id).info.status, client.get_run(child_id).info.status],
    }


@section
def failed_run():
    raised = False
    try:
        with mlflow.start_run(run_name="failing") as run:
            mlflow.log_param("p", 1)
            raise ValueError("boom")
    except ValueError:
        raised = True
    got = client.get_run(run.info.run_id)
    return {
        "raised": raised,
        "status": got.info.status,
        "has_end_time": got.info.end_time is not None,
        "params": got.data.params,
        "active_after": mlflow.active_run() is None,
    }


POINTS = 10_000
CHUNK = 1_000  # MLflow's limit of metrics per log_batch request


@section
def log_batch_10k():
    experiment_id = mlflow.get_experiment_by_name("compat").experiment_id
    run_id = client.create_run(experiment_id, run_name="big").info.run_id
    base = 1_700_000_000_000
    points = [Metric("big", index * 0.5, base + index, index) for index in range(POINTS)]
    for start in range(0, POINTS, CHUNK):
        client.log_batch(run_id, metrics=points[start:start + CHUNK])
    client.set_terminated(run_id)
    history = client.get_metric_history(run_id, "big")
    return {
        "history": [[point.step, point.value, point.timestamp] for point in history],
        "latest": client.get_run(run_id).data.metrics.get("big"),
    }


@section
def experiments():
    experiment_id = client.create_experiment("compat-exp", tags={"k": "v", "team": "x"})
    other_id = client.create_experiment("compat-exp-other", tags={"team": "y"})
    result = {"experiment_id": experiment_id, "other_id": other_id}
    result["by_name"] = experiment_view(client.get_experiment_by_name("compat-exp"))
    result["missing_by_name"] = experiment_view(client.get_experiment_by_name("compat-no-such-experiment"))
    client.rename_experiment(experiment_id, "compat-exp-renamed")
    result["renamed"] = {
        "name": client.get_experiment(experiment_id).name,
        "old_name": experiment_view(client.get_experiment_by_name("compat-exp")),
        "new_name_id": client.get_experiment_by_name("compat-exp-renamed").experiment_id,
    }

    def ids(**kwargs):
        return [experiment.experiment_id for experiment in client.search_experiments(**kwargs)]

    named = "name = 'compat-exp-renamed'"
    client.delete_experiment(experiment_id)
    result["deleted"] = {
        "lifecycle_stage": client.get_experiment(experiment_id).lifecycle_stage,
        "by_name_stage": client.get_experiment_by_name("compat-exp-renamed").lifecycle_stage,
        "active": ids(filter_string=named),
        "deleted": ids(filter_string=named, view_type=ViewType.DELETED_ONLY),
        "all": ids(filter_string=named, view_type=ViewType.ALL),
    }
    client.restore_experiment(experiment_id)
    result["restored"] = {
        "lifecycle_stage": client.get_experiment(experiment_id).lifecycle_stage,
        "active": ids(filter_string=named),
        "deleted": ids(filter_string=named, view_type=ViewType.DELETED_ONLY),
    }
    result["search"] = {
        "name LIKE": [
            experiment.name
            for experiment in client.search_experiments(
                filter_string="name LIKE 'compat-exp%'", order_by=["name ASC"]
            )
        ],
        "tags.team = 'x'": ids(filter_string="tags.team = 'x'"),
        "tags.team != 'x'": ids(filter_string="tags.team != 'x'"),
    }
    pages, token = [], None
    for _ in range(10):
        page = client.search_experiments(
            filter_string="name LIKE 'compat-exp%'", order_by=["name DESC"], max_results=1, page_token=token
        )
        pages.append([experiment.name for experiment in page])
        token = page.token
        if not token:
            break
    result["pages"] = pages
    return result


print("COMPAT-SUMMARY:" + json.dumps(summary, default=repr))
"""


@pytest.fixture(scope="module", params=COMPAT_BACKENDS)
def compat_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, database_servers: _Servers
) -> Iterator[RunningServer]:
    """A flowtrack server on a database of its own (SQLite or PostgreSQL), for this module."""
    folder = tmp_path_factory.mktemp(f"compat-{request.param}")
    with server_on_own_database(request.param, folder, database_servers) as server:
        yield server


@pytest.fixture(scope="module")
def summary(
    compat_server: RunningServer, mlflow_python: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """What the mlflow client got back, section by section (the script runs once per database)."""
    cwd = tmp_path_factory.mktemp("compat-script")
    return run_mlflow_summary(
        mlflow_python, SCRIPT, compat_server.url, cwd, SUMMARY_MARKER, SCRIPT_TIMEOUT_S, compat_server.stderr
    )


section = summary_section


def test_set_experiment(summary: dict[str, Any]) -> None:
    result = section(summary, "set_experiment")
    experiment = result["experiment"]
    assert experiment["name"] == "compat"
    assert experiment["lifecycle_stage"] == "active"
    assert experiment["experiment_id"] not in ("", "0")
    assert experiment["artifact_location"] == f"mlflow-artifacts:/{experiment['experiment_id']}"
    assert result["again_id"] == experiment["experiment_id"]
    assert result["by_id_name"] == "compat"
    assert result["fetched"] == experiment


def test_run_logging(summary: dict[str, Any]) -> None:
    result = section(summary, "run_logging")
    experiment_id = section(summary, "set_experiment")["experiment"]["experiment_id"]
    run_id = result["run_id"]
    assert len(run_id) == 32
    assert result["started"] == {
        "status": "RUNNING",
        "run_name": "main",
        "experiment_id": experiment_id,
        "lifecycle_stage": "active",
        "artifact_uri": f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts",
        "end_time": None,
    }
    assert result["param_returned"] == 0.5
    assert result["active_inside"] == run_id
    assert result["active_after"] is None
    assert result["status"] == "FINISHED"
    assert result["run_name"] == "main"
    assert result["experiment_id"] == experiment_id
    assert result["lifecycle_stage"] == "active"
    assert result["ended_after_start"] is True
    assert result["params"] == {"alpha": "0.5", "beta": "b", "layers": "3"}
    assert result["metrics"] == {"loss": 0.5, "acc": 0.75}
    assert result["user_tags"] == {"team": "a", "stage": "dev", "n": "3"}
    assert result["system_tags"]["mlflow.runName"] == "main"
    assert result["system_tags"]["mlflow.source.type"] == "LOCAL"
    assert result["system_tags"]["mlflow.user"]
    assert result["history"] == {
        "loss": [["loss", 0, 0.9], ["loss", 1, 0.7], ["loss", 2, 0.5]],
        "acc": [["acc", 2, 0.6], ["acc", 10, 0.75]],
    }
    assert result["history_timestamps_positive"] is True


def test_artifacts(summary: dict[str, Any]) -> None:
    result = section(summary, "artifacts")
    sizes = result["sizes"]
    assert result["artifact_uri"].startswith("mlflow-artifacts:/")
    assert result["listed"][""] == [
        ["cfg", True, None],
        ["config.json", False, result["config_json_bytes"]],
        ["data", True, None],
        ["notes", True, None],
        ["single.csv", False, 12],
        ["tree", True, None],
    ]
    # MLflow's server omits the size of an empty file (proto3 drops zeros), so the client sees None
    empty = ["tree/empty.txt", False, None]
    assert result["listed"]["tree"] in (
        [["tree/a.txt", False, sizes["a.txt"]], empty, ["tree/sub", True, None]],
        [["tree/a.txt", False, sizes["a.txt"]], [*empty[:2], 0], ["tree/sub", True, None]],
    ), result["listed"]["tree"]
    assert result["listed"]["tree/sub"] == [
        ["tree/sub/b.bin", False, sizes["sub/b.bin"]],
        ["tree/sub/deeper", True, None],
        ["tree/sub/with space.txt", False, sizes["sub/with space.txt"]],
    ]
    assert result["listed"]["tree/sub/deeper"] == [
        ["tree/sub/deeper/c.json", False, sizes["sub/deeper/c.json"]]
    ]
    assert result["listed"]["data"] == [["data/single.csv", False, 12]]
    assert result["downloaded_tree"] == result["uploaded"]
    assert result["single_downloaded"] == result["single_uploaded"]
    assert result["client_download"] == result["uploaded"]["sub/b.bin"]
    assert result["everything"] == sorted(
        [
            "single.csv",
            "data/single.csv",
            "config.json",
            "cfg/params.yaml",
            "notes/readme.txt",
            *(f"tree/{relative}" for relative in result["uploaded"]),
        ]
    )
    assert result["load_dict"] == {"a": 1, "b": [1, 2]}
    assert result["load_text"] == "hello\nworld \u00fc"
    assert result["text_downloaded"] == "hello\nworld \u00fc"
    assert result["yaml"] == {"lr": 0.1, "layers": [3, 4]}


def test_search_runs_filters(summary: dict[str, Any]) -> None:
    filters = section(summary, "search_runs")["filters"]
    # the default order is start_time DESC; r0 started first
    assert filters == {
        "metrics.m > 1.5": ["r6", "r3", "r0"],
        "params.i = '3'": ["r3"],
        "tags.group = 'odd' and metrics.m < 2": ["r5", "r1"],
        "attributes.run_name = 'r2'": ["r2"],
        "tags.group = 'even' and params.i != '0'": ["r6", "r4", "r2"],
    }
    frame = section(summary, "search_runs")["dataframe"]
    assert frame == {"names": ["r0", "r6", "r3"], "m": [3.0, 2.5, 2.0], "i": ["0", "6", "3"]}


def test_search_runs_order(summary: dict[str, Any]) -> None:
    order = section(summary, "search_runs")["order"]
    # runs without metric m (r2, r4) come last in both directions, then by start_time DESC
    assert order == {
        "default": ["r6", "r5", "r4", "r3", "r2", "r1", "r0"],
        "metrics.m ASC": ["r5", "r1", "r3", "r6", "r0", "r4", "r2"],
        "metrics.m DESC": ["r0", "r6", "r3", "r1", "r5", "r4", "r2"],
        "params.i DESC": ["r6", "r5", "r4", "r3", "r2", "r1", "r0"],
        "attributes.start_time ASC": ["r0", "r1", "r2", "r3", "r4", "r5", "r6"],
        "tags.group ASC, metrics.m DESC": ["r0", "r6", "r4", "r2", "r3", "r1", "r5"],
    }


def test_search_runs_paging(summary: dict[str, Any]) -> None:
    result = section(summary, "search_runs")
    for order, pages in result["pages"].items():
        expected = result["order"]["default" if order == "default" else order]
        flat = [name for page in pages for name in page]
        assert [len(page) for page in pages] == [2, 2, 2, 1], (order, pages)
        assert len(set(flat)) == len(flat), f"duplicates across pages of {order}: {pages}"
        assert flat == expected, (order, pages)


def test_delete_and_restore_run(summary: dict[str, Any]) -> None:
    result = section(summary, "search_runs")
    everyone = ["r6", "r5", "r4", "r3", "r2", "r1", "r0"]
    assert result["deleted"] == {
        "lifecycle_stage": "deleted",
        "active": everyone[1:],
        "deleted": ["r6"],
        "all": everyone,
    }
    assert result["restored"] == {"lifecycle_stage": "active", "active": everyone, "deleted": []}


def test_nested_runs(summary: dict[str, Any]) -> None:
    result = section(summary, "nested_runs")
    assert result["active_in_child"] == result["child_id"]
    assert result["active_after_child"] == result["parent_id"]
    assert result["child_parent_tag"] == result["parent_id"]
    assert result["parent_has_parent_tag"] is False
    assert result["children_found"] == [result["child_id"]]
    assert result["statuses"] == ["FINISHED", "FINISHED"]


def test_failed_run(summary: dict[str, Any]) -> None:
    assert section(summary, "failed_run") == {
        "raised": True,
        "status": "FAILED",
        "has_end_time": True,
        "params": {"p": "1"},
        "active_after": True,
    }


def test_log_batch_10k_points(summary: dict[str, Any]) -> None:
    result = section(summary, "log_batch_10k")
    history = result["history"]
    base = 1_700_000_000_000
    assert len(history) == 10_000
    expected = [[step, step * 0.5, base + step] for step in range(10_000)]
    wrong = [
        (index, got) for index, (got, want) in enumerate(zip(history, expected, strict=True)) if got != want
    ]
    assert not wrong, f"{len(wrong)} points differ, first: {wrong[:5]}"
    assert result["latest"] == 9_999 * 0.5


def test_experiments(summary: dict[str, Any]) -> None:
    result = section(summary, "experiments")
    experiment_id, other_id = result["experiment_id"], result["other_id"]
    assert result["by_name"] == {
        "experiment_id": experiment_id,
        "name": "compat-exp",
        "lifecycle_stage": "active",
        "artifact_location": f"mlflow-artifacts:/{experiment_id}",
        "tags": {"k": "v", "team": "x"},
    }
    assert result["missing_by_name"] is None
    assert result["renamed"] == {"name": "compat-exp-renamed", "old_name": None, "new_name_id": experiment_id}
    assert result["deleted"] == {
        "lifecycle_stage": "deleted",
        "by_name_stage": "deleted",
        "active": [],
        "deleted": [experiment_id],
        "all": [experiment_id],
    }
    assert result["restored"] == {"lifecycle_stage": "active", "active": [experiment_id], "deleted": []}
    assert result["search"] == {
        "name LIKE": ["compat-exp-other", "compat-exp-renamed"],
        "tags.team = 'x'": [experiment_id],
        "tags.team != 'x'": [other_id],
    }
    assert result["pages"] == [["compat-exp-renamed"], ["compat-exp-other"]]


def test_script_time(summary: dict[str, Any]) -> None:
    """The whole script (interpreter start, mlflow import, every section) stays well under a minute."""
    assert summary["_elapsed"] < 60, summary["_seconds"]
