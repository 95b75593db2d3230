"""The model registry through ``flowtrack.Client``: embedded on SQLite, PostgreSQL and MySQL, and through a
running flowtrack server on each (the ``tracking_uri`` fixture), with the same expectations."""

from __future__ import annotations

import pytest

import flowtrack
from flowtrack.client import Client
from flowtrack.exceptions import AlreadyExists, FilterSyntaxError, InvalidArgument, NotFound
from flowtrack.registry.entities import ModelVersionStage, ModelVersionStatus
from flowtrack.registry.errors import (
    AliasNotFound,
    ModelVersionNotFound,
    RegisteredModelAlreadyExists,
    RegisteredModelNotFound,
)


@pytest.fixture
def client(tracking_uri: str) -> Client:
    return Client(tracking_uri)


def embedded(client: Client) -> bool:
    return not client.tracking_uri.startswith("http")


def register(client: Client, name: str, count: int, **tags: str) -> None:
    client.create_registered_model(name, tags=tags or None)
    for index in range(count):
        client.create_model_version(name, f"s3://bucket/{name}/{index + 1}")


# -- registered models ---------------------------------------------------------------------------------------
def test_create_get_update_rename_delete_a_registered_model(client: Client) -> None:
    created = client.create_registered_model("taxi", tags={"team": "ml"}, description="trip durations")
    assert (created.name, created.description, created.tags) == ("taxi", "trip durations", {"team": "ml"})
    assert created.creation_timestamp == created.last_updated_timestamp > 0
    assert created.latest_versions == ()
    assert created.aliases == {}

    updated = client.update_registered_model("taxi", description="new words")
    assert updated.description == "new words"
    assert client.get_registered_model("taxi").description == "new words"

    client.create_model_version("taxi", "s3://bucket/taxi/1", tags={"k": "v"})
    client.set_registered_model_alias("taxi", "champion", 1)
    renamed = client.rename_registered_model("taxi", "taxi-duration")
    assert renamed.name == "taxi-duration"
    assert renamed.aliases == {"champion": "1"}
    assert [v.name for v in renamed.latest_versions] == ["taxi-duration"]
    assert client.get_model_version("taxi-duration", "1").tags == {"k": "v"}
    with pytest.raises(RegisteredModelNotFound):
        client.get_registered_model("taxi")

    client.delete_registered_model("taxi-duration")
    with pytest.raises(RegisteredModelNotFound, match="taxi-duration"):
        client.get_registered_model("taxi-duration")
    assert list(client.search_model_versions("name = 'taxi-duration'")) == []


def test_registered_model_tags(client: Client) -> None:
    client.create_registered_model("m")
    client.set_registered_model_tag("m", "stage", "dev")
    client.set_registered_model_tag("m", "stage", "prod")
    client.set_registered_model_tag("m", "owner", 7)
    assert client.get_registered_model("m").tags == {"stage": "prod", "owner": "7"}
    client.delete_registered_model_tag("m", "stage")
    assert client.get_registered_model("m").tags == {"owner": "7"}


def test_duplicate_names_are_refused(client: Client) -> None:
    client.create_registered_model("a")
    client.create_registered_model("b")
    with pytest.raises(RegisteredModelAlreadyExists, match="already exists"):
        client.create_registered_model("a")
    with pytest.raises(AlreadyExists):
        client.rename_registered_model("a", "b")
    assert {m.name for m in client.search_registered_models()} == {"a", "b"}


# -- versions ------------------------------------------------------------------------------------------------
def test_versions_count_up_and_resolve_their_sources(client: Client) -> None:
    experiment_id = client.create_experiment("registry-sources")
    run = client.create_run(experiment_id)
    logged = client.create_logged_model(experiment_id, name="model", source_run_id=run.info.run_id)
    client.finalize_logged_model(logged.model_id, "READY")
    client.create_registered_model("m")

    plain = client.create_model_version("m", "s3://bucket/model", description="first")
    from_run = client.create_model_version("m", f"runs:/{run.info.run_id}/sklearn-model")
    from_model = client.create_model_version("m", logged.model_uri, tags={"via": "logged model"})
    run_named = client.create_model_version("m", f"runs:/{run.info.run_id}/model")

    assert [v.version for v in (plain, from_run, from_model, run_named)] == ["1", "2", "3", "4"]
    assert plain.status is ModelVersionStatus.READY
    assert plain.current_stage is ModelVersionStage.NONE
    assert (plain.description, plain.run_id, plain.source) == ("first", None, "s3://bucket/model")
    assert from_run.run_id == run.info.run_id
    assert from_model.model_id == logged.model_id
    assert from_model.run_id == run.info.run_id
    assert from_model.source == logged.model_uri
    assert from_model.tags == {"via": "logged model"}
    assert run_named.model_id == logged.model_id  # runs:/<run>/<name> finds the run's logged model

    assert client.get_model_version_download_uri("m", 1) == "s3://bucket/model"
    run_uri = client.get_run(run.info.run_id).info.artifact_uri
    assert client.get_model_version_download_uri("m", "2") == f"{run_uri}/sklearn-model"
    assert client.get_model_version_download_uri("m", 3) == logged.artifact_location
    assert client.get_model_version_download_uri("m", 4) == logged.artifact_location
    assert client.get_registered_model("m").latest_versions[0].version == "4"


def test_runs_sources_take_the_newest_ready_model_of_the_run(client: Client) -> None:
    experiment_id = client.create_experiment("registry-ready-sources")
    run_id = client.create_run(experiment_id).info.run_id
    ready = client.create_logged_model(experiment_id, name="model", source_run_id=run_id)
    client.finalize_logged_model(ready.model_id, "READY")
    failed = client.create_logged_model(experiment_id, name="model", source_run_id=run_id)
    client.finalize_logged_model(failed.model_id, "FAILED")
    pending = client.create_logged_model(experiment_id, name="model", source_run_id=run_id)
    only_failed = client.create_logged_model(experiment_id, name="broken", source_run_id=run_id)
    client.finalize_logged_model(only_failed.model_id, "FAILED")
    client.create_registered_model("m")

    newest_ready = client.create_model_version("m", f"runs:/{run_id}/model")
    no_ready = client.create_model_version("m", f"runs:/{run_id}/broken")

    assert pending.model_id != ready.model_id
    assert newest_ready.model_id == ready.model_id
    assert client.get_model_version_download_uri("m", 1) == ready.artifact_location
    assert no_ready.model_id is None  # no READY model: the run's own artifacts, as runs:/ URIs load
    run_uri = client.get_run(run_id).info.artifact_uri
    assert client.get_model_version_download_uri("m", 2) == f"{run_uri}/broken"


def test_update_tag_and_delete_versions(client: Client) -> None:
    register(client, "m", 3)
    assert client.update_model_version("m", 2, description="the good one").description == "the good one"
    client.set_model_version_tag("m", "2", "validated", True)
    client.set_model_version_tag("m", 2, "score", 0.9)
    client.delete_model_version_tag("m", 2, "score")
    assert client.get_model_version("m", 2).tags == {"validated": "True"}

    client.delete_model_version("m", 2)
    with pytest.raises(ModelVersionNotFound, match="version=2"):
        client.get_model_version("m", 2)
    assert [v.version for v in client.search_model_versions("name = 'm'")] == ["3", "1"]
    assert client.create_model_version("m", "s3://bucket/next").version == "4"


def test_register_model_creates_the_model_once(client: Client) -> None:
    flowtrack.set_tracking_uri(client.tracking_uri)
    try:
        first = flowtrack.register_model("s3://bucket/a", "fluent-model")
        second = flowtrack.register_model("s3://bucket/b", "fluent-model", tags={"try": "2"})
    finally:
        flowtrack.set_tracking_uri(None)
    assert (first.version, second.version, second.tags) == ("1", "2", {"try": "2"})
    assert client.get_registered_model("fluent-model").latest_versions[0].source == "s3://bucket/b"


# -- stages --------------------------------------------------------------------------------------------------
def test_transitions_archive_existing_versions_only_when_asked(client: Client) -> None:
    register(client, "m", 3)
    moved = client.transition_model_version_stage("m", 1, "production")
    assert moved.current_stage is ModelVersionStage.PRODUCTION
    client.transition_model_version_stage("m", 2, "Production")
    stages = {v.version: v.current_stage for v in client.search_model_versions("name = 'm'")}
    assert stages == {"1": "Production", "2": "Production", "3": "None"}

    client.transition_model_version_stage("m", 3, "Production", archive_existing_versions=True)
    stages = {v.version: v.current_stage for v in client.search_model_versions("name = 'm'")}
    assert stages == {"1": "Archived", "2": "Archived", "3": "Production"}


def test_latest_versions_per_stage(client: Client) -> None:
    register(client, "m", 4)
    client.transition_model_version_stage("m", 1, "Staging")
    client.transition_model_version_stage("m", 2, "Staging")
    client.transition_model_version_stage("m", 3, "Production")
    latest = client.get_latest_versions("m")
    assert [(v.version, v.current_stage) for v in latest] == [
        ("4", "None"),
        ("2", "Staging"),
        ("3", "Production"),
    ]
    assert [v.version for v in client.get_latest_versions("m", stages=["production"])] == ["3"]
    assert [v.version for v in client.get_latest_versions("m", stages=["Archived"])] == []
    assert {v.version for v in client.get_registered_model("m").latest_versions} == {"4", "2", "3"}


# -- aliases -------------------------------------------------------------------------------------------------
def test_aliases_move_and_disappear_with_their_version(client: Client) -> None:
    register(client, "m", 2)
    client.set_registered_model_alias("m", "champion", 1)
    client.set_registered_model_alias("m", "challenger", "2")
    assert client.get_model_version_by_alias("m", "champion").version == "1"
    assert client.get_model_version("m", 1).aliases == ("champion",)

    client.set_registered_model_alias("m", "champion", 2)
    assert client.get_model_version_by_alias("m", "champion").version == "2"
    assert client.get_model_version("m", 2).aliases == ("challenger", "champion")
    assert client.get_registered_model("m").aliases == {"challenger": "2", "champion": "2"}

    client.delete_registered_model_alias("m", "challenger")
    with pytest.raises(AliasNotFound, match="challenger"):
        client.get_model_version_by_alias("m", "challenger")
    client.delete_model_version("m", 2)
    assert client.get_registered_model("m").aliases == {}
    with pytest.raises(AliasNotFound):
        client.get_model_version_by_alias("m", "champion")


# -- search --------------------------------------------------------------------------------------------------
def test_search_registered_models_filters_orders_and_pages(client: Client) -> None:
    register(client, "taxi-a", 1, team="ml")
    register(client, "taxi-B", 0, team="data")
    register(client, "bikes", 2)
    names = [m.name for m in client.search_registered_models()]
    assert names == ["bikes", "taxi-B", "taxi-a"]  # by name, code point order
    assert [m.name for m in client.search_registered_models("name LIKE 'taxi%'")] == ["taxi-B", "taxi-a"]
    assert [m.name for m in client.search_registered_models("name ILIKE 'TAXI-b'")] == ["taxi-B"]
    assert [m.name for m in client.search_registered_models("name = 'bikes'")] == ["bikes"]
    assert [m.name for m in client.search_registered_models("tags.team = 'ml'")] == ["taxi-a"]
    hidden = client.search_registered_models("tag.`mlflow.prompt.is_prompt` != 'true'")
    assert [m.name for m in hidden] == names  # models without the tag match !=
    newest_first = client.search_registered_models(order_by=["creation_timestamp DESC"])
    assert next(m.name for m in newest_first) == "bikes"
    assert [m.name for m in client.search_registered_models(order_by=["name DESC"])] == names[::-1]

    first = client.search_registered_models(max_results=2)
    assert [m.name for m in first] == names[:2]
    assert first.token
    rest = client.search_registered_models(max_results=2, page_token=first.token)
    assert [m.name for m in rest] == names[2:]
    assert rest.token is None


def test_search_model_versions_filters_orders_and_pages(client: Client) -> None:
    experiment_id = client.create_experiment("registry-search")
    run_a, run_b = (client.create_run(experiment_id).info.run_id for _ in range(2))
    client.create_registered_model("m")
    client.create_registered_model("other")
    client.create_model_version("m", f"runs:/{run_a}/model", tags={"kind": "tree"})
    client.create_model_version("m", "s3://bucket/m/2", run_id=run_b)
    client.create_model_version("m", "s3://bucket/m/3", tags={"kind": "linear"})
    client.create_model_version("other", "gs://bucket/other/1", run_id=run_a)

    def versions(filter_string: str, **kwargs: object) -> list[str]:
        found = client.search_model_versions(filter_string, **kwargs)  # type: ignore[arg-type]
        return [f"{v.name}/{v.version}" for v in found]

    assert versions("name = 'm'", order_by=["version_number ASC"]) == ["m/1", "m/2", "m/3"]
    assert versions(f"run_id = '{run_a}'", order_by=["name"]) == ["m/1", "other/1"]
    assert versions(f"run_id IN ('{run_b}', 'nope')") == ["m/2"]
    assert versions("name = 'm' AND version_number >= 2", order_by=["version_number DESC"]) == ["m/3", "m/2"]
    assert versions("source_path LIKE 's3://%'", order_by=["version_number"]) == ["m/2", "m/3"]
    assert versions("tags.kind = 'tree'") == ["m/1"]
    assert versions("name = 'm' AND tags.kind != 'tree'", order_by=["version_number"]) == ["m/2", "m/3"]

    first = client.search_model_versions("name = 'm'", max_results=2, order_by=["version_number ASC"])
    assert [v.version for v in first] == ["1", "2"]
    assert first.token
    rest = client.search_model_versions(
        "name = 'm'", max_results=2, order_by=["version_number ASC"], page_token=first.token
    )
    assert [v.version for v in rest] == ["3"]
    assert rest.token is None


# -- bad input -----------------------------------------------------------------------------------------------
def test_bad_input_names_the_field_and_writes_nothing(client: Client) -> None:
    register(client, "m", 2)
    cases = [
        (lambda: client.create_registered_model(""), "name"),
        (lambda: client.create_registered_model("a/b"), "name"),
        (lambda: client.create_model_version("m", ""), "source"),
        (lambda: client.get_model_version("m", "one"), "version"),
        (lambda: client.transition_model_version_stage("m", 1, "Live"), "stage"),
        (lambda: client.transition_model_version_stage("m", 1, "None", True), "archive_existing_versions"),
        (lambda: client.set_registered_model_alias("m", "latest", 1), "alias"),
        (lambda: client.set_registered_model_alias("m", "v3", 1), "alias"),
        (lambda: client.search_registered_models(max_results=0), "max_results"),
        (lambda: client.get_latest_versions("m", stages=["Live"]), "stages"),
    ]
    for call, field in cases:
        with pytest.raises(InvalidArgument) as caught:
            call()
        assert field in str(caught.value), (field, str(caught.value))
        if embedded(client):
            assert caught.value.field == field
    with pytest.raises(InvalidArgument, match=r"filter|unknown attribute"):
        client.search_registered_models("version_number > 1")
    if embedded(client):
        with pytest.raises(FilterSyntaxError):
            client.search_model_versions("name = 'm' OR name = 'x'")

    with pytest.raises(InvalidArgument):
        client.create_registered_model("tagged", tags={"bad key!": "v"})
    with pytest.raises(RegisteredModelNotFound):
        client.get_registered_model("tagged")
    with pytest.raises(InvalidArgument, match="no run"):
        client.create_model_version("m", "runs:/" + "0" * 32 + "/model")
    with pytest.raises(ModelVersionNotFound):
        client.set_registered_model_alias("m", "champion", 9)
    with pytest.raises(RegisteredModelNotFound):
        client.create_model_version("missing", "s3://bucket/x")
    with pytest.raises(NotFound):
        client.transition_model_version_stage("m", 7, "Staging")
    found = client.get_registered_model("m")
    assert (found.aliases, [v.version for v in found.latest_versions]) == ({}, ["2"])
    assert [v.current_stage for v in client.search_model_versions("name = 'm'")] == ["None", "None"]


def test_concurrent_registrations_get_distinct_numbers(client: Client) -> None:
    from concurrent.futures import ThreadPoolExecutor

    client.create_registered_model("busy")

    def register_one(index: int) -> str:
        return Client(client.tracking_uri).create_model_version("busy", f"s3://bucket/busy/{index}").version

    with ThreadPoolExecutor(max_workers=4) as pool:
        numbers = list(pool.map(register_one, range(16)))
    assert sorted(numbers, key=int) == [str(number) for number in range(1, 17)]
    stored = client.search_model_versions("name = 'busy'", order_by=["version_number ASC"])
    assert [v.version for v in stored] == [str(number) for number in range(1, 17)]
    assert sorted(v.source for v in stored) == sorted(f"s3://bucket/busy/{index}" for index in range(16))


def test_versions_copied_from_other_registered_versions(client: Client) -> None:
    register(client, "source-model", 2)
    client.set_registered_model_alias("source-model", "champion", 2)
    client.transition_model_version_stage("source-model", 1, "Production")
    client.create_registered_model("copy")
    by_version = client.create_model_version("copy", "models:/source-model/1")
    by_alias = client.create_model_version("copy", "models:/source-model@champion")
    by_stage = client.create_model_version("copy", "models:/source-model/production")
    assert by_alias.source == "models:/source-model@champion"  # kept as given
    uris = [
        client.get_model_version_download_uri("copy", v.version) for v in (by_version, by_alias, by_stage)
    ]
    assert uris == ["s3://bucket/source-model/1", "s3://bucket/source-model/2", "s3://bucket/source-model/1"]
    for missing in ("models:/source-model/9", "models:/source-model@nobody", "models:/nothing/Staging"):
        with pytest.raises(InvalidArgument, match="source"):
            client.create_model_version("copy", missing)
    assert [v.version for v in client.search_model_versions("name = 'copy'")] == ["3", "2", "1"]
