"""SqlTrackingStore experiments on every database: the default experiment, CRUD, lifecycle, tags, search."""

from __future__ import annotations

import time

import pytest

from flowtrack.exceptions import (
    ExperimentAlreadyExists,
    ExperimentNotActive,
    ExperimentNotFound,
    InvalidArgument,
    NotFound,
)
from flowtrack.tracking.entities import LifecycleStage, RunTag, ViewType
from flowtrack.tracking.filters import Comparison, EntityKind, Operator, OrderBy
from flowtrack.tracking.stores.sql.store import SqlTrackingStore

ATTR, TAG = EntityKind.ATTRIBUTE, EntityKind.TAG


def tick() -> None:
    """Let the millisecond clock move on, so timestamps of consecutive changes differ."""
    time.sleep(0.003)


def names(found: list) -> list[str]:
    return [experiment.name for experiment in found]


def search(
    store: SqlTrackingStore,
    filters=(),
    order_by=(),
    *,
    view=ViewType.ACTIVE_ONLY,
    max_results=1000,
    token=None,
):
    return store.search_experiments(view, max_results, list(filters), list(order_by), token)


def test_fresh_database_has_the_default_experiment(store: SqlTrackingStore, artifact_root: str) -> None:
    default = store.get_experiment("0")
    assert default.experiment_id == "0"
    assert default.name == "Default"
    assert default.artifact_location == f"{artifact_root}/0"
    assert default.lifecycle_stage is LifecycleStage.ACTIVE
    assert store.get_experiment_by_name("Default") == default


def test_reopening_keeps_one_default_experiment(db_uri: str, store: SqlTrackingStore, tmp_path) -> None:
    again = SqlTrackingStore(db_uri, str(tmp_path / "other-root"))
    assert again.get_experiment("0").artifact_location == store.get_experiment("0").artifact_location
    assert names(search(again)) == ["Default"]
    first = store.create_experiment("first", None, [])
    assert first == "1"


def test_create_experiment_defaults_and_tags(store: SqlTrackingStore, artifact_root: str) -> None:
    before = int(time.time() * 1000)
    experiment_id = store.create_experiment("exp", None, [RunTag("team", "ml"), RunTag("note", "x")])
    created = store.get_experiment(experiment_id)
    assert experiment_id.isdigit()
    assert experiment_id != "0"
    assert created.name == "exp"
    assert created.artifact_location == f"{artifact_root}/{experiment_id}"
    assert created.tags == {"team": "ml", "note": "x"}
    assert created.creation_time is not None
    assert created.creation_time >= before
    assert created.last_update_time == created.creation_time
    custom = store.create_experiment("custom", "s3://bucket/place", [])
    assert store.get_experiment(custom).artifact_location == "s3://bucket/place"
    assert int(custom) > int(experiment_id)


def test_experiment_names_are_unique_even_against_deleted_ones(store: SqlTrackingStore) -> None:
    experiment_id = store.create_experiment("taken", None, [])
    with pytest.raises(ExperimentAlreadyExists, match="taken"):
        store.create_experiment("taken", None, [])
    store.delete_experiment(experiment_id)
    with pytest.raises(ExperimentAlreadyExists):
        store.create_experiment("taken", None, [])
    # names compare exactly on every database: case and trailing spaces matter
    store.create_experiment("Taken", None, [])
    store.create_experiment("taken ", None, [])
    assert store.get_experiment_by_name("Taken") is not None
    assert store.get_experiment_by_name("taken ").name == "taken "  # type: ignore[union-attr]


def test_missing_experiments(store: SqlTrackingStore) -> None:
    for bad in ("999", "abc", ""):
        with pytest.raises(ExperimentNotFound):
            store.get_experiment(bad)
    assert store.get_experiment_by_name("nope") is None
    for call in (
        lambda: store.rename_experiment("999", "x"),
        lambda: store.delete_experiment("999"),
        lambda: store.restore_experiment("999"),
        lambda: store.set_experiment_tag("999", RunTag("a", "b")),
        lambda: store.delete_experiment_tag("999", "a"),
    ):
        with pytest.raises(ExperimentNotFound):
            call()


def test_rename_experiment(store: SqlTrackingStore) -> None:
    experiment_id = store.create_experiment("old", None, [])
    other = store.create_experiment("other", None, [])
    created = store.get_experiment(experiment_id)
    tick()
    store.rename_experiment(experiment_id, "new")
    renamed = store.get_experiment(experiment_id)
    assert renamed.name == "new"
    assert renamed.last_update_time > created.last_update_time  # type: ignore[operator]
    assert store.get_experiment_by_name("old") is None
    with pytest.raises(ExperimentAlreadyExists):
        store.rename_experiment(experiment_id, "other")
    assert store.get_experiment(experiment_id).name == "new"
    store.delete_experiment(other)
    with pytest.raises(ExperimentNotActive):
        store.rename_experiment(other, "whatever")


def test_delete_and_restore_experiment_cascade_to_runs(store: SqlTrackingStore) -> None:
    experiment_id = store.create_experiment("lifecycle", None, [])
    kept = store.create_run(experiment_id, "u", 1, "kept", []).info.run_id
    deleted_before = store.create_run(experiment_id, "u", 2, "deleted-before", []).info.run_id
    store.delete_run(deleted_before)
    tick()
    before = store.get_experiment(experiment_id).last_update_time
    tick()
    store.delete_experiment(experiment_id)
    deleted = store.get_experiment(experiment_id)
    assert deleted.lifecycle_stage is LifecycleStage.DELETED
    assert deleted.last_update_time > before  # type: ignore[operator]
    assert store.get_run(kept).info.lifecycle_stage is LifecycleStage.DELETED
    with pytest.raises(ExperimentNotActive):
        store.create_run(experiment_id, "u", 3, "late", [])
    with pytest.raises(ExperimentNotActive):
        store.set_experiment_tag(experiment_id, RunTag("a", "b"))
    tick()
    store.restore_experiment(experiment_id)
    restored = store.get_experiment(experiment_id)
    assert restored.lifecycle_stage is LifecycleStage.ACTIVE
    assert restored.last_update_time > deleted.last_update_time  # type: ignore[operator]
    assert store.get_run(kept).info.lifecycle_stage is LifecycleStage.ACTIVE
    # a run deleted on its own before the experiment stays deleted
    assert store.get_run(deleted_before).info.lifecycle_stage is LifecycleStage.DELETED
    store.restore_experiment(experiment_id)  # restoring an active experiment changes nothing
    assert store.get_experiment(experiment_id) == restored


def test_experiment_tags(store: SqlTrackingStore) -> None:
    experiment_id = store.create_experiment("tagged", None, [])
    start = store.get_experiment(experiment_id).last_update_time
    tick()
    store.set_experiment_tag(experiment_id, RunTag("k", "v1"))
    store.set_experiment_tag(experiment_id, RunTag("k", "v2"))
    store.set_experiment_tag(experiment_id, RunTag("long", "x" * 8000))
    tagged = store.get_experiment(experiment_id)
    assert tagged.tags == {"k": "v2", "long": "x" * 8000}
    assert tagged.last_update_time > start  # type: ignore[operator]
    tick()
    store.delete_experiment_tag(experiment_id, "k")
    untagged = store.get_experiment(experiment_id)
    assert untagged.tags == {"long": "x" * 8000}
    assert untagged.last_update_time > tagged.last_update_time  # type: ignore[operator]
    with pytest.raises(NotFound):
        store.delete_experiment_tag(experiment_id, "k")


@pytest.fixture
def catalog(store: SqlTrackingStore) -> SqlTrackingStore:
    """Experiments created one after another (distinct times), one of them deleted, some tagged."""
    specs = [
        ("alpha", {"team": "vision", "env": "Prod"}),
        ("Beta", {"team": "nlp"}),
        ("gamma_1", {"team": "vision"}),
        ("gamma%2", {}),
        ("delta", {"team": "VISION"}),
    ]
    for name, tag_values in specs:
        tick()
        store.create_experiment(name, None, [RunTag(k, v) for k, v in tag_values.items()])
    tick()
    store.delete_experiment(store.get_experiment_by_name("delta").experiment_id)  # type: ignore[union-attr]
    return store


def test_search_experiments_view_types_and_default_order(catalog: SqlTrackingStore) -> None:
    # default order: last_update_time DESC (delta was touched last by its deletion), then experiment_id
    assert names(search(catalog)) == ["gamma%2", "gamma_1", "Beta", "alpha", "Default"]
    assert names(search(catalog, view=ViewType.DELETED_ONLY)) == ["delta"]
    assert names(search(catalog, view=ViewType.ALL)) == [
        "delta",
        "gamma%2",
        "gamma_1",
        "Beta",
        "alpha",
        "Default",
    ]


def test_search_experiments_filters(catalog: SqlTrackingStore) -> None:
    def found(*filters: Comparison) -> list[str]:
        return sorted(names(search(catalog, filters, view=ViewType.ALL)))

    assert found(Comparison(ATTR, "name", Operator.EQ, "alpha")) == ["alpha"]
    assert found(Comparison(ATTR, "name", Operator.EQ, "ALPHA")) == []
    assert found(Comparison(ATTR, "name", Operator.NE, "alpha")) == [
        "Beta",
        "Default",
        "delta",
        "gamma%2",
        "gamma_1",
    ]
    assert found(Comparison(ATTR, "name", Operator.LIKE, "%ta")) == ["Beta", "delta"]
    assert found(Comparison(ATTR, "name", Operator.LIKE, "b%")) == []  # LIKE is case-sensitive
    assert found(Comparison(ATTR, "name", Operator.ILIKE, "b%")) == ["Beta"]
    assert found(Comparison(ATTR, "name", Operator.LIKE, "gamma\\_%")) == ["gamma_1"]
    assert found(Comparison(ATTR, "name", Operator.LIKE, "gamma\\%%")) == ["gamma%2"]
    assert found(Comparison(TAG, "team", Operator.EQ, "vision")) == ["alpha", "gamma_1"]
    assert found(Comparison(TAG, "team", Operator.ILIKE, "vis%")) == ["alpha", "delta", "gamma_1"]
    assert found(Comparison(TAG, "team", Operator.NE, "vision")) == [
        "Beta",
        "delta",
    ]  # untagged ones excluded
    assert found(
        Comparison(TAG, "team", Operator.EQ, "vision"), Comparison(TAG, "env", Operator.LIKE, "P%")
    ) == ["alpha"]


def test_search_experiments_by_time(catalog: SqlTrackingStore) -> None:
    alpha = catalog.get_experiment_by_name("alpha")
    assert alpha is not None
    assert alpha.creation_time is not None
    after = search(catalog, [Comparison(ATTR, "creation_time", Operator.GT, float(alpha.creation_time))])
    assert sorted(names(after)) == ["Beta", "gamma%2", "gamma_1"]
    at = search(catalog, [Comparison(ATTR, "creation_time", Operator.LE, float(alpha.creation_time))])
    assert "alpha" in names(at)
    assert "Beta" not in names(at)
    updated = search(
        catalog, [Comparison(ATTR, "last_update_time", Operator.GE, float(alpha.last_update_time))]
    )
    assert "alpha" in names(updated)
    assert "Default" not in names(updated)


def test_search_experiments_order_by(catalog: SqlTrackingStore) -> None:
    by_name = search(catalog, order_by=[OrderBy(ATTR, "name", True)])
    assert names(by_name) == ["Beta", "Default", "alpha", "gamma%2", "gamma_1"]  # code point order everywhere
    by_name_desc = search(catalog, order_by=[OrderBy(ATTR, "name", False)])
    assert names(by_name_desc) == list(reversed(names(by_name)))
    by_id = search(catalog, order_by=[OrderBy(ATTR, "experiment_id", True)])
    assert [int(e.experiment_id) for e in by_id] == sorted(int(e.experiment_id) for e in by_id)
    by_created = search(catalog, order_by=[OrderBy(ATTR, "creation_time", False)])
    assert names(by_created)[:2] == ["gamma%2", "gamma_1"]


def test_search_experiments_pages(catalog: SqlTrackingStore) -> None:
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = search(catalog, view=ViewType.ALL, max_results=2, token=token)
        seen += names(page)
        pages += 1
        token = page.token
        if token is None:
            break
    assert pages == 3
    assert seen == names(search(catalog, view=ViewType.ALL))


def test_search_experiments_rejects_bad_arguments(catalog: SqlTrackingStore) -> None:
    for bad in (0, -1, 50_001):
        with pytest.raises(InvalidArgument) as error:
            search(catalog, max_results=bad)
        assert error.value.field == "max_results"
    with pytest.raises(InvalidArgument) as error:
        search(catalog, token="not a token")
    assert error.value.field == "page_token"
    with pytest.raises(InvalidArgument):
        search(catalog, [Comparison(EntityKind.METRIC, "x", Operator.EQ, 1.0)])
    with pytest.raises(InvalidArgument):
        search(catalog, [Comparison(ATTR, "colour", Operator.EQ, "red")])
    with pytest.raises(InvalidArgument) as error:
        search(catalog, order_by=[OrderBy(TAG, "team", True)])
    assert error.value.field == "order_by"
