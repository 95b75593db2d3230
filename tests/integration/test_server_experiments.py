"""``/api/2.0/mlflow/experiments/*`` against a real server, on SQLite, PostgreSQL and MySQL."""

from __future__ import annotations

import uuid

import pytest

from tests.fixtures.server import MlflowApi, assert_error

NOT_FOUND = "RESOURCE_DOES_NOT_EXIST"
INVALID = "INVALID_PARAMETER_VALUE"


@pytest.fixture
def api(mlflow_api: MlflowApi) -> MlflowApi:
    return mlflow_api


def _name() -> str:
    return f"exp-{uuid.uuid4().hex[:12]}"


def test_create_then_get_has_mlflows_shape(api: MlflowApi) -> None:
    name = _name()
    created = api.ok(api.post("experiments/create", {"name": name}))
    assert set(created) == {"experiment_id"}
    experiment_id = created["experiment_id"]
    assert isinstance(experiment_id, str)
    assert experiment_id.isdigit()

    experiment = api.ok(api.get("experiments/get", experiment_id=experiment_id))["experiment"]
    assert experiment["experiment_id"] == experiment_id
    assert experiment["name"] == name
    assert experiment["artifact_location"] == f"mlflow-artifacts:/{experiment_id}"
    assert experiment["lifecycle_stage"] == "active"
    assert isinstance(experiment["creation_time"], int)
    assert isinstance(experiment["last_update_time"], int)
    assert "tags" not in experiment  # proto JSON leaves empty lists out


def test_get_by_name_and_tags(api: MlflowApi) -> None:
    name = _name()
    body = {"name": name, "tags": [{"key": "team", "value": "a"}]}
    experiment_id = api.ok(api.post("experiments/create", body))["experiment_id"]
    api.ok(
        api.post("experiments/set-experiment-tag", {"experiment_id": experiment_id, "key": "k", "value": "v"})
    )
    found = api.ok(api.get("experiments/get-by-name", experiment_name=name))["experiment"]
    assert found["experiment_id"] == experiment_id
    assert sorted(found["tags"], key=lambda tag: tag["key"]) == [
        {"key": "k", "value": "v"},
        {"key": "team", "value": "a"},
    ]
    deleted = api.post("experiments/delete-experiment-tag", {"experiment_id": experiment_id, "key": "k"})
    assert api.ok(deleted) == {}
    again = api.ok(api.get("experiments/get", experiment_id=experiment_id))["experiment"]
    assert again["tags"] == [{"key": "team", "value": "a"}]


def test_rename_delete_restore(api: MlflowApi) -> None:
    experiment_id = api.create_experiment()
    new_name = _name()
    renamed = api.post("experiments/update", {"experiment_id": experiment_id, "new_name": new_name})
    assert api.ok(renamed) == {}
    assert api.ok(api.post("experiments/delete", {"experiment_id": experiment_id})) == {}
    got = api.ok(api.get("experiments/get", experiment_id=experiment_id))["experiment"]
    assert (got["name"], got["lifecycle_stage"]) == (new_name, "deleted")
    run = api.post("runs/create", {"experiment_id": experiment_id})
    assert_error(run, 400, INVALID)  # MLflow: a deleted experiment takes no runs
    assert api.ok(api.post("experiments/restore", {"experiment_id": experiment_id})) == {}
    got = api.ok(api.get("experiments/get", experiment_id=experiment_id))["experiment"]
    assert got["lifecycle_stage"] == "active"


def test_search_post_and_get_with_filter_order_and_paging(api: MlflowApi) -> None:
    prefix = f"search-{uuid.uuid4().hex[:8]}"
    ids = [api.create_experiment(f"{prefix}-{index}") for index in range(3)]
    body = {"filter": f"name LIKE '{prefix}-%'", "order_by": ["name DESC"], "max_results": 2}
    first = api.ok(api.post("experiments/search", body))
    assert [e["experiment_id"] for e in first["experiments"]] == [ids[2], ids[1]]
    token = first["next_page_token"]
    second = api.ok(api.post("experiments/search", {**body, "page_token": token}))
    assert [e["experiment_id"] for e in second["experiments"]] == [ids[0]]
    assert "next_page_token" not in second

    by_get = api.ok(api.get("experiments/search", filter=f"name LIKE '{prefix}-%'", order_by=["name ASC"]))
    assert [e["experiment_id"] for e in by_get["experiments"]] == ids

    api.ok(api.post("experiments/delete", {"experiment_id": ids[0]}))
    deleted = {"filter": f"name LIKE '{prefix}-%'", "view_type": "DELETED_ONLY"}
    found = api.ok(api.post("experiments/search", deleted))["experiments"]
    assert [e["experiment_id"] for e in found] == [ids[0]]
    numbered = api.ok(api.post("experiments/search", {**deleted, "view_type": 2}))["experiments"]
    assert [e["experiment_id"] for e in numbered] == [ids[0]]


def test_search_with_no_match_is_an_empty_object(api: MlflowApi) -> None:
    body = {"filter": f"name = '{_name()}'"}
    assert api.ok(api.post("experiments/search", body)) == {}


def test_default_experiment_exists(api: MlflowApi) -> None:
    default = api.ok(api.get("experiments/get", experiment_id="0"))["experiment"]
    assert default["name"] == "Default"
    assert default["artifact_location"] == "mlflow-artifacts:/0"


# -- errors --------------------------------------------------------------------------------------------------
def test_unknown_experiment_is_404(api: MlflowApi) -> None:
    assert_error(api.get("experiments/get", experiment_id="987654"), 404, NOT_FOUND)
    assert_error(api.get("experiments/get", experiment_id="not-a-number"), 404, NOT_FOUND)
    assert_error(
        api.get("experiments/get-by-name", experiment_name="no such experiment"),
        404,
        NOT_FOUND,
        "Could not find experiment with name 'no such experiment'",
    )
    assert_error(api.post("experiments/delete", {"experiment_id": "987654"}), 404, NOT_FOUND)


def test_duplicate_name_is_resource_already_exists(api: MlflowApi) -> None:
    name = _name()
    api.create_experiment(name)
    assert_error(api.post("experiments/create", {"name": name}), 400, "RESOURCE_ALREADY_EXISTS")
    other = api.create_experiment()
    renamed = api.post("experiments/update", {"experiment_id": other, "new_name": name})
    assert_error(renamed, 400, "RESOURCE_ALREADY_EXISTS")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "Missing value for required parameter 'name'"),
        ({"name": ""}, "name"),
        ({"name": ["a"]}, "'name'"),
        ({"name": "x" * 300}, "name"),
        ({"name": "ok", "tags": "not a list"}, "'tags'"),
        ({"name": "ok", "tags": [{"key": "", "value": "v"}]}, "key"),
        ({"name": "ok", "tags": [{"key": "k" * 251, "value": "v"}]}, "250"),
    ],
)
def test_bad_create_bodies_are_400_naming_the_field(api: MlflowApi, body: object, fragment: str) -> None:
    assert_error(api.post("experiments/create", body), 400, INVALID, fragment)


def test_missing_query_parameter_is_named(api: MlflowApi) -> None:
    assert_error(
        api.get("experiments/get"),
        400,
        INVALID,
        "Missing value for required parameter 'experiment_id'",
    )


@pytest.mark.parametrize(
    "body",
    [
        {"filter": "name = "},
        {"filter": "name = 'a' OR name = 'b'"},
        {"filter": "metrics.x > 1"},
        {"order_by": ["name SIDEWAYS"]},
        {"view_type": "SOMETIMES"},
        {"max_results": 0},
        {"max_results": "many"},
        {"page_token": "not-a-token"},
    ],
)
def test_bad_search_input_is_400(api: MlflowApi, body: dict[str, object]) -> None:
    assert_error(api.post("experiments/search", body), 400, INVALID)


@pytest.mark.parametrize("experiment_id", ["99999999999999999999", "2147483648", "-1", "1e3"])
def test_ids_out_of_the_databases_range_are_not_found(api: MlflowApi, experiment_id: str) -> None:
    assert_error(api.get("experiments/get", experiment_id=experiment_id), 404, NOT_FOUND)
    assert_error(api.post("runs/create", {"experiment_id": experiment_id}), 404, NOT_FOUND)
    assert_error(api.post("experiments/delete", {"experiment_id": experiment_id}), 404, NOT_FOUND)
    search = api.post("runs/search", {"experiment_ids": [experiment_id]})
    assert search.status_code in (200, 400), search.text
