"""Every value the client or server accepts fits its column on every database; the rest is refused by name.

SQLite would store anything; PostgreSQL and MySQL/MariaDB refuse a value longer than its VARCHAR, PostgreSQL
any NUL character, and every driver a lone surrogate. Validation is what makes the three behave the same.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowtrack.exceptions import InvalidArgument
from flowtrack.tracking import validation
from flowtrack.tracking.entities import Dataset, DatasetInput, InputTag
from flowtrack.tracking.stores.sql import tables
from flowtrack.tracking.stores.sql.convert import MAX_EXPERIMENT_KEY

DATASET = Dataset("train", "abc123", "local", '{"uri": "x"}', '{"a": 1}', '{"rows": 2}')


@pytest.mark.parametrize(
    ("limit", "column"),
    [
        (validation.MAX_KEY_LENGTH, tables.params.c.key),
        (validation.MAX_KEY_LENGTH, tables.tags.c.key),
        (validation.MAX_KEY_LENGTH, tables.metrics.c.key),
        (validation.MAX_KEY_LENGTH, tables.experiment_tags.c.key),
        (validation.MAX_PARAM_VALUE_LENGTH, tables.params.c.value),
        (validation.MAX_TAG_VALUE_LENGTH, tables.tags.c.value),
        (validation.MAX_TAG_VALUE_LENGTH, tables.experiment_tags.c.value),
        (validation.MAX_EXPERIMENT_NAME_LENGTH, tables.experiments.c.name),
        (validation.MAX_ARTIFACT_LOCATION_LENGTH, tables.experiments.c.artifact_location),
        (validation.MAX_ARTIFACT_URI_LENGTH, tables.runs.c.artifact_uri),
        (validation.MAX_RUN_NAME_LENGTH, tables.runs.c.name),
        (validation.MAX_USER_ID_LENGTH, tables.runs.c.user_id),
        (validation.MAX_DATASET_NAME_LENGTH, tables.datasets.c.name),
        (validation.MAX_DATASET_DIGEST_LENGTH, tables.datasets.c.digest),
        (validation.MAX_DATASET_SOURCE_TYPE_LENGTH, tables.datasets.c.source_type),
        (validation.MAX_INPUT_TAG_KEY_LENGTH, tables.input_tags.c.key),
        (validation.MAX_INPUT_TAG_VALUE_LENGTH, tables.input_tags.c.value),
    ],
    ids=lambda item: str(item) if isinstance(item, int) else f"{item.table.name}.{item.name}",
)
def test_every_limit_fits_its_column(limit: int, column: object) -> None:
    length = column.type.length  # type: ignore[attr-defined]
    assert limit <= length, f"{column}: validation allows {limit} characters, the column holds {length}"


def test_a_run_in_an_experiment_at_the_location_limit_fits_the_artifact_uri_column() -> None:
    location = "l" * validation.MAX_ARTIFACT_LOCATION_LENGTH
    run_artifact_uri = f"{location}/{'0' * 32}/artifacts"
    assert len(run_artifact_uri) == tables.runs.c.artifact_uri.type.length


def test_the_experiment_name_limit_is_the_column() -> None:
    assert validation.MAX_EXPERIMENT_NAME_LENGTH == 256
    assert validation.validate_experiment_name("n" * 256) == "n" * 256
    with pytest.raises(InvalidArgument, match="256") as error:
        validation.validate_experiment_name("n" * 257)
    assert error.value.field == "name"
    with pytest.raises(InvalidArgument) as renamed:
        validation.validate_experiment_name("n" * 257, "new_name")
    assert renamed.value.field == "new_name"


@pytest.mark.parametrize(
    ("check", "good", "bad", "field"),
    [
        (
            validation.validate_artifact_location,
            "s3://b/" + "x" * 950,
            "s3://b/" + "x" * 951,
            "artifact_location",
        ),
        (validation.validate_user_id, "u" * 256, "u" * 257, "user_id"),
        (validation.validate_run_name, "r" * 250, "r" * 251, "run_name"),
        (validation.validate_run_id, "a" * 256, "a" * 257, "run_id"),
        (validation.validate_experiment_id, "9" * 64, "9" * 65, "experiment_id"),
    ],
)
def test_length_limits_name_the_field(check: object, good: str, bad: str, field: str) -> None:
    assert check(good) == good  # type: ignore[operator]
    with pytest.raises(InvalidArgument) as error:
        check(bad)  # type: ignore[operator]
    assert error.value.field == field


def test_optional_values_may_be_missing() -> None:
    assert validation.validate_artifact_location(None) is None
    assert validation.validate_artifact_location("") is None
    assert validation.validate_run_name(None) is None
    assert validation.validate_run_name("") is None
    assert validation.validate_user_id(None) == ""
    assert validation.validate_filter(None) is None
    assert validation.validate_order_by(None) is None


def test_the_run_name_tag_is_bounded_like_the_run_name() -> None:
    assert validation.make_tag("mlflow.runName", "r" * 250).value == "r" * 250
    with pytest.raises(InvalidArgument, match="250") as error:
        validation.make_tag("mlflow.runName", "r" * 251)
    assert error.value.field == "tags.mlflow.runName.value"
    assert validation.make_tag("other", "r" * 251).value == "r" * 251


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda text: validation.make_param("p", text), "params.p.value"),
        (lambda text: validation.make_tag("t", text), "tags.t.value"),
        (validation.validate_experiment_name, "name"),
        (validation.validate_lookup_name, "name"),
        (validation.validate_artifact_location, "artifact_location"),
        (validation.validate_user_id, "user_id"),
        (validation.validate_run_name, "run_name"),
        (validation.validate_run_id, "run_id"),
        (validation.validate_experiment_id, "experiment_id"),
        (validation.validate_filter, "filter"),
        (lambda text: validation.validate_order_by([text]), "order_by"),
        (lambda text: validation.make_input_tag(text, "v"), "dataset_inputs.tags.key"),
        (lambda text: validation.make_input_tag("k", text), "dataset_inputs.tags.k.value"),
    ],
)
@pytest.mark.parametrize(("text", "reason"), [("a\x00b", "NUL"), ("\x00", "NUL"), ("a\ud800b", "surrogate")])
def test_unstorable_text_is_refused_by_name(make: object, field: str, text: str, reason: str) -> None:
    with pytest.raises(InvalidArgument, match=reason) as error:
        make(text)  # type: ignore[operator]
    assert error.value.field == field


def test_keys_refuse_nul_and_surrogates() -> None:
    for key in ("a\x00b", "a\ud800"):
        with pytest.raises(InvalidArgument) as error:
            validation.validate_key(key, "metric")
        assert error.value.field == "metric.key"


@pytest.mark.parametrize("text", ["émoji 😀", "日本語", "\U0010ffff", "'; DROP TABLE runs; --", "tab\tnl\n"])
def test_storable_text_passes(text: str) -> None:
    assert validation.check_text(text, "f") == text
    assert validation.make_param("p", text).value == text


@given(st.text(max_size=40))
def test_check_text_accepts_exactly_what_utf8_encodes_without_nul(text: str) -> None:
    try:
        validation.check_text(text, "f")
    except InvalidArgument:
        accepted = False
    else:
        accepted = True
    try:
        text.encode("utf-8")
        encodable = True
    except UnicodeEncodeError:
        encodable = False
    assert accepted == (encodable and "\x00" not in text)


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 2**70])
def test_integers_are_64_bit(value: int) -> None:
    with pytest.raises(InvalidArgument, match="64-bit") as error:
        validation.make_metric("m", 1.0, value, 0)
    assert error.value.field == "timestamp"
    with pytest.raises(InvalidArgument) as step_error:
        validation.make_metric("m", 1.0, 0, value)
    assert step_error.value.field == "step"
    assert validation.integer("x", 2**63 - 1) == 2**63 - 1
    assert validation.integer("x", -(2**63)) == -(2**63)


def test_experiment_ids_beyond_the_column_are_well_formed() -> None:
    """A number too large for any experiment is not malformed: the store answers ExperimentNotFound."""
    for value in (str(MAX_EXPERIMENT_KEY + 1), "9" * 30, "-1", 2**40):
        assert validation.validate_experiment_id(value) == str(value)


@pytest.mark.parametrize(
    ("dataset", "field"),
    [
        (Dataset("", "d", "local", "s"), "dataset.name"),
        (Dataset("n" * 501, "d", "local", "s"), "dataset.name"),
        (Dataset("n", "d" * 65, "local", "s"), "dataset.digest"),
        (Dataset("n", "", "local", "s"), "dataset.digest"),
        (Dataset("n", "d", "t" * 65, "s"), "dataset.source_type"),
        (Dataset("n", "d", "local", "s" * 65_536), "dataset.source"),
        (Dataset("n", "d", "local", "s", "x" * 1_048_576), "dataset.schema"),
        (Dataset("n", "d", "local", "s", None, "😀" * 4_194_304), "dataset.profile"),
        (Dataset("n\x00", "d", "local", "s"), "dataset.name"),
        (Dataset("n", "d", "local", "s\ud800"), "dataset.source"),
        (Dataset("n", "d", "local", 42), "dataset.source"),  # type: ignore[arg-type]
        ("not a dataset", "dataset"),
    ],
)
def test_bad_datasets_name_the_field(dataset: object, field: str) -> None:
    with pytest.raises(InvalidArgument) as error:
        validation.validate_dataset(dataset)
    assert error.value.field == field


def test_dataset_inputs() -> None:
    good = DatasetInput(DATASET, (InputTag("mlflow.data.context", "train"), InputTag("k" * 250, "v" * 500)))
    assert validation.validate_dataset_input(good) is good
    for tags, field in [
        ((InputTag("k" * 251, "v"),), "dataset_inputs.tags.key"),
        ((InputTag("", "v"),), "dataset_inputs.tags.key"),
        ((InputTag("k", "v" * 501),), "dataset_inputs.tags.k.value"),
        ((InputTag("k", 1),), "dataset_inputs.tags.k.value"),  # type: ignore[arg-type]
    ]:
        with pytest.raises(InvalidArgument) as error:
            validation.validate_dataset_input(DatasetInput(DATASET, tags))
        assert error.value.field == field
    assert validation.make_input_tag("k", 3) == InputTag("k", "3")
