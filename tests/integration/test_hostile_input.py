"""Hostile input through the public API on every database, embedded and through a server: each value is
either stored and read back exactly, or refused with a flowtrack InvalidArgument naming the field, the same
way everywhere, and a refused call writes nothing.

The expected outcome of each value is worked out here from the documented limits (not by asking
``validation``), so a database that stores what another refuses, or a check that drifts, fails the table.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flowtrack as ft
from flowtrack.exceptions import (
    ExperimentAlreadyExists,
    ExperimentNotFound,
    InvalidArgument,
    RunNotFound,
)
from flowtrack.tracking.entities import Dataset
from tests.fixtures.server import MlflowApi, assert_error

INVALID = "INVALID_PARAMETER_VALUE"

HOSTILE = {
    "empty": "",
    "sql": "'; DROP TABLE runs; --",
    "quotes": "\"double\" 'single' `back`",
    "backslash-wildcards": "C:\\path\\%_*?",
    "unicode": "Grüße, 日本語, Ελληνικά",
    "emoji": "😀🚀👩‍👩‍👧" * 5,
    "bidi-zero-width": "\u202eabc\u200bdef\ufeff",
    "control": "tab\tnewline\ncr\rbell\x07",
    "astral-max": "\U0010ffff",
    "trailing-spaces": "value   ",
    "nul": "a\x00b",
    "only-nul": "\x00",
    "surrogate": "a\ud800b",
    "250": "x" * 250,
    "251": "x" * 251,
    "emoji-250": "😀" * 250,
    "emoji-251": "😀" * 251,
    "256": "x" * 256,
    "257": "x" * 257,
    "500": "x" * 500,
    "501": "x" * 501,
    "6000": "y" * 6000,
    "6001": "y" * 6001,
    "8000": "z" * 8000,
    "8001": "z" * 8001,
}


def storable(text: str) -> bool:
    """Text every database stores as given: no NUL (PostgreSQL) and no lone surrogate (every driver)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


# operation -> (field named when refused, most characters accepted, whether "" is refused)
OPERATIONS: dict[str, tuple[str, int, bool]] = {
    "param value": ("params.p.value", 6000, False),
    "tag value": ("tags.t.value", 8000, False),
    "experiment name": ("name", 256, True),
    "run name": ("run_name", 250, False),
    "dataset name": ("dataset.name", 500, True),
    "input tag value": ("dataset_inputs.tags.k.value", 500, False),
}


def expected_field(operation: str, text: str) -> str | None:
    field, limit, required = OPERATIONS[operation]
    if not storable(text) or len(text) > limit or (required and not text.strip()):
        return field
    return None


@pytest.fixture
def tracking(tracking_uri: str) -> Iterator[str]:
    ft.set_tracking_uri(tracking_uri)
    yield tracking_uri
    while ft.active_run() is not None:
        ft.end_run()


def _log(operation: str, text: str) -> Callable[[], Any]:
    """The fluent call for ``operation`` with ``text``, and a reader of what it stored."""
    if operation == "param value":
        ft.log_params({"ok": "1", "p": text})
        return lambda: ft.get_run(_active()).data.params["p"]
    if operation == "tag value":
        ft.set_tags({"ok": "1", "t": text})
        return lambda: ft.get_run(_active()).data.tags["t"]
    if operation == "experiment name":
        experiment_id = ft.set_experiment(text).experiment_id
        return lambda: ft.get_experiment(experiment_id).name
    if operation == "run name":
        ft.end_run()
        run_id = ft.start_run(run_name=text).info.run_id
        return lambda: ft.get_run(run_id).info.run_name if text else text
    dataset = Dataset("d" if operation != "dataset name" else text, "digest", "local", '{"uri": "x"}')
    ft.log_input(dataset, context="train", tags={"k": text if operation == "input tag value" else "v"})
    if operation == "dataset name":
        return lambda: ft.get_run(_active()).inputs.dataset_inputs[0].dataset.name
    return lambda: {t.key: t.value for t in ft.get_run(_active()).inputs.dataset_inputs[0].tags}["k"]


def refusal(call: Callable[[], Any]) -> InvalidArgument | None:
    """The InvalidArgument ``call`` raised, or None when it succeeded; any other error propagates."""
    try:
        call()
    except InvalidArgument as exc:
        return exc
    return None


def _active() -> str:
    run = ft.active_run()
    assert run is not None
    return run.info.run_id


def _nothing_written(operation: str, run_id: str) -> None:
    run = ft.get_run(run_id)
    if operation == "param value":
        assert run.data.params == {}, "a refused batch wrote some of its params"
    elif operation == "tag value":
        assert "ok" not in run.data.tags, "a refused batch wrote some of its tags"
    elif operation in ("dataset name", "input tag value"):
        assert run.inputs.dataset_inputs == ()


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_hostile_strings_are_stored_exactly_or_refused_by_name(tracking: str, operation: str) -> None:
    for name, text in HOSTILE.items():
        run_id = ft.start_run().info.run_id
        field = expected_field(operation, text)
        readers: list[Callable[[], Any]] = []
        error = refusal(lambda: readers.append(_log(operation, text)))  # noqa: B023 - called at once
        if error is not None:
            assert field is not None, f"{operation} {name!r} was refused: {error}"
            assert error.field == field, f"{operation} {name!r}: {error}"
            _nothing_written(operation, run_id)
        else:
            assert field is None, f"{operation} {name!r} was accepted; expected a refusal of {field}"
            assert readers[0]() == text, f"{operation} {name!r} did not round-trip"
        ft.end_run()


KEYS = {
    "rmse": True,
    "val/loss": True,
    "a-b_c.d:e f": True,
    "日本語": True,
    "k" * 250: True,
    "k" * 251: False,
    "": False,
    "😀": False,
    "a\x00b": False,
    "a\ud800": False,
    "'; DROP TABLE metrics; --": False,
    "../escape": False,
    "/absolute": False,
}


@pytest.mark.parametrize("kind", ["metric", "param", "tag"])
def test_hostile_keys(tracking: str, kind: str) -> None:
    with ft.start_run() as run:
        for key, accepted in KEYS.items():
            log = {"metric": ft.log_metric, "param": ft.log_param, "tag": ft.set_tag}[kind]
            error = refusal(lambda: log(key, 1))  # noqa: B023 - called at once
            assert (error is None) == accepted, f"{kind} key {key!r}: {error or 'accepted'}"
            assert error is None or error.field == f"{kind}.key"
        data = ft.get_run(run.info.run_id).data
        stored = {"metric": data.metrics, "param": data.params, "tag": data.tags}[kind]
        assert {key for key, accepted in KEYS.items() if accepted} <= set(stored)


_counter = itertools.count()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.text(st.characters(exclude_categories=()), max_size=300),  # surrogates included
    which=st.sampled_from(["param", "tag", "run name"]),
)
def test_any_text_is_stored_exactly_or_refused(db_uri: str, text: str, which: str) -> None:
    client = ft.Client(db_uri)
    run_id = client.create_run("0").info.run_id
    field = {"param": "params.p.value", "tag": "tags.t.value", "run name": "run_name"}[which]
    limit = 250 if which == "run name" else 6000
    if which == "param":
        error = refusal(lambda: client.log_param(run_id, "p", text))
    elif which == "tag":
        error = refusal(lambda: client.set_tag(run_id, "t", text))
    else:
        error = refusal(lambda: client.update_run(run_id, name=text))
    if error is not None:
        assert error.field == field
        assert not storable(text) or len(text) > limit
        return
    assert storable(text)
    assert len(text) <= limit
    run = client.get_run(run_id)
    if which == "param":
        assert run.data.params == {"p": text}
    elif which == "tag":
        assert run.data.tags["t"] == text
    elif text:
        assert (run.info.run_name, run.data.tags["mlflow.runName"]) == (text, text)


# -- ids ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("experiment_id", ["2147483648", "99999999999999999999", "-1", "not-a-number"])
def test_experiment_ids_no_experiment_can_have_are_not_found(tracking: str, experiment_id: str) -> None:
    client = ft.Client()
    for call in (
        client.get_experiment,
        client.delete_experiment,
        client.restore_experiment,
        lambda key: client.rename_experiment(key, f"renamed-{next(_counter)}"),
        lambda key: client.set_experiment_tag(key, "k", "v"),
        client.create_run,
    ):
        with pytest.raises(ExperimentNotFound):
            call(experiment_id)
    with pytest.raises(ExperimentNotFound):
        ft.start_run(experiment_id=experiment_id)
    if experiment_id.lstrip("-").isdigit():
        assert client.search_runs([experiment_id]) == []
    else:
        with pytest.raises(InvalidArgument):
            client.search_runs([experiment_id])


def test_malformed_ids_are_invalid_arguments(tracking: str) -> None:
    client = ft.Client()
    for bad in ("9" * 65, "a\x00", ""):
        with pytest.raises(InvalidArgument) as error:
            client.get_experiment(bad)
        assert error.value.field == "experiment_id"
    for bad in ("f" * 257, "a\x00b", ""):
        for call in (client.get_run, lambda run_id: client.log_metric(run_id, "m", 1.0)):
            with pytest.raises(InvalidArgument) as run_error:
                call(bad)
            assert run_error.value.field == "run_id"
    for unknown in ("f" * 33, "f" * 256):
        with pytest.raises(RunNotFound):
            client.get_run(unknown)
        with pytest.raises(RunNotFound):
            client.log_param(unknown, "p", "v")


def test_duplicate_experiment_names_compare_exactly(tracking: str) -> None:
    client = ft.Client()
    for name in ("Name", "name", "name ", "näme", "name\t"):
        client.create_experiment(name)
    with pytest.raises(ExperimentAlreadyExists):
        client.create_experiment("name ")


def test_searches_refuse_unstorable_filter_text(tracking: str) -> None:
    client = ft.Client()
    for bad in ("params.p = 'a\x00b'", "params.p = 'a\ud800'"):
        with pytest.raises(InvalidArgument) as error:
            client.search_runs(["0"], bad)
        assert error.value.field == "filter"
        with pytest.raises(InvalidArgument):
            client.search_experiments(filter_string=bad.replace("params.p", "name"))
    assert client.get_experiment_by_name("no\U0001f600such") is None
    with pytest.raises(InvalidArgument):
        client.get_experiment_by_name("a\x00")


# -- the server checks the same, with MLflow's error JSON ---------------------------------------------------
@pytest.mark.parametrize(
    ("endpoint", "body", "fragment"),
    [
        ("experiments/create", {"name": "x" * 257}, "256"),
        (
            "experiments/create",
            {"name": "ok-loc", "artifact_location": "s3://b/" + "x" * 951},
            "artifact_location",
        ),
        ("experiments/update", {"experiment_id": "0", "new_name": "x" * 257}, "256"),
        ("runs/create", {"experiment_id": "0", "user_id": "u" * 257}, "user_id"),
        ("runs/create", {"experiment_id": "0", "run_name": "r" * 251}, "run_name"),
        (
            "runs/create",
            {"experiment_id": "0", "tags": [{"key": "mlflow.runName", "value": "r" * 251}]},
            "250",
        ),
        (
            "runs/create",
            {"experiment_id": "0", "tags": [{"key": "mlflow.user", "value": "u" * 257}]},
            "user_id",
        ),
        ("runs/create", {"experiment_id": "9" * 65}, "experiment_id"),
        ("runs/create", {"experiment_id": "0", "run_name": "a\ud800"}, "run_name"),
        ("runs/log-parameter", {"run_id": "f" * 257, "key": "p", "value": "v"}, "run_id"),
    ],
)
def test_server_refuses_by_name(
    mlflow_api: MlflowApi, endpoint: str, body: dict[str, Any], fragment: str
) -> None:
    assert_error(post_escaped(mlflow_api, endpoint, body), 400, INVALID, fragment)


@pytest.mark.parametrize(
    ("dataset", "tags", "fragment"),
    [
        ({"name": "n" * 501}, [], "dataset.name"),
        ({"digest": "d" * 65}, [], "dataset.digest"),
        ({"source_type": "s" * 65}, [], "dataset.source_type"),
        ({"source": "a\ud800"}, [], "dataset.source"),
        ({}, [{"key": "k" * 251, "value": "v"}], "dataset_inputs.tags.key"),
        ({}, [{"key": "k", "value": "v" * 501}], "dataset_inputs.tags.k.value"),
    ],
)
def test_server_refuses_bad_dataset_inputs(
    mlflow_api: MlflowApi, dataset: dict[str, str], tags: list[dict[str, str]], fragment: str
) -> None:
    run_id = mlflow_api.create_run("0")["info"]["run_id"]
    described = {"name": "n", "digest": "d", "source_type": "local", "source": "s", **dataset}
    body = {"run_id": run_id, "datasets": [{"dataset": described, "tags": tags}]}
    assert_error(post_escaped(mlflow_api, "runs/log-inputs", body), 400, INVALID, fragment)
    run = mlflow_api.ok(mlflow_api.get("runs/get", run_id=run_id))["run"]
    assert run["inputs"] == {}


def post_escaped(api: MlflowApi, endpoint: str, body: dict[str, Any]) -> httpx.Response:
    """POST ``body`` as ASCII JSON: a lone surrogate travels as its escape (which JSON allows)."""
    raw = json.dumps(body)
    headers = {"Content-Type": "application/json"}
    return api.http.post(f"/api/2.0/mlflow/{endpoint}", content=raw, headers=headers)


def test_server_surrogates_in_the_body_are_a_400_not_a_500(mlflow_api: MlflowApi) -> None:
    run_id = mlflow_api.create_run("0")["info"]["run_id"]
    for endpoint, body in [
        ("runs/log-parameter", {"run_id": run_id, "key": "p", "value": "a\ud800b"}),
        ("runs/set-tag", {"run_id": run_id, "key": "t", "value": "\udfff"}),
        ("runs/log-batch", {"run_id": run_id, "params": [{"key": "p", "value": "\ud800"}]}),
        ("experiments/create", {"name": "x\ud800"}),
        ("experiments/search", {"filter": "name = '\ud800'"}),
    ]:
        assert_error(post_escaped(mlflow_api, endpoint, body), 400, INVALID)
    assert "params" not in mlflow_api.ok(mlflow_api.get("runs/get", run_id=run_id))["run"]["data"]
