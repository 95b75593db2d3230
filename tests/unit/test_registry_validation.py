"""Registry argument checks and search parsing: each bad value is refused with the field it belongs to."""

from __future__ import annotations

import pytest

from flowtrack.exceptions import FilterSyntaxError, InvalidArgument
from flowtrack.registry import search, validation
from flowtrack.registry.entities import ModelVersionStage
from flowtrack.tracking.filters import Comparison, EntityKind, Operator, OrderBy
from flowtrack.tracking.search import format_filter


@pytest.mark.parametrize(
    ("text", "stage"),
    [("none", "None"), ("STAGING", "Staging"), ("Production", "Production"), ("archived", "Archived")],
)
def test_stages_parse_in_any_case(text: str, stage: str) -> None:
    assert ModelVersionStage.parse(text) is ModelVersionStage(stage)


@pytest.mark.parametrize("bad", ["Live", "", None, 3, "Prod"])
def test_unknown_stages_are_named(bad: object) -> None:
    with pytest.raises(InvalidArgument, match="stage") as caught:
        ModelVersionStage.parse(bad)
    assert caught.value.field == "stage"


@pytest.mark.parametrize(("value", "number"), [(1, 1), ("7", 7), (" 12 ", 12), (2**31 - 1, 2**31 - 1)])
def test_versions(value: object, number: int) -> None:
    assert validation.validate_version(value) == number


@pytest.mark.parametrize("bad", [0, -1, "one", "1.5", "", None, True, 2**31, "\u0661"])
def test_bad_versions(bad: object) -> None:
    with pytest.raises(InvalidArgument) as caught:
        validation.validate_version(bad)
    assert caught.value.field == "version"


@pytest.mark.parametrize("bad", ["", "   ", "a/b", "x" * 257, "nul\x00", 5, None])
def test_bad_names(bad: object) -> None:
    with pytest.raises(InvalidArgument) as caught:
        validation.validate_name(bad)
    assert caught.value.field == "name"


@pytest.mark.parametrize("good", ["production", "champion-2", "v_next", "A.b"])
def test_aliases(good: str) -> None:
    assert validation.validate_alias(good) == good


@pytest.mark.parametrize("bad", ["latest", "LATEST", "v1", "V23", "", "has space", "a/b", "x" * 256])
def test_bad_aliases(bad: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        validation.validate_alias(bad)
    assert caught.value.field == "alias"


def test_description_and_source_limits() -> None:
    assert validation.validate_description(None) is None
    with pytest.raises(InvalidArgument, match="5000") as caught:
        validation.validate_description("d" * 5001)
    assert caught.value.field == "description"
    with pytest.raises(InvalidArgument) as caught:
        validation.validate_source("")
    assert caught.value.field == "source"


def test_model_filter_accepts_mlflows_forms() -> None:
    parsed = search.parse_registered_model_filter(
        "name ILIKE 'taxi%' AND tag.`mlflow.prompt.is_prompt` != 'true'"
    )
    assert parsed == [
        Comparison(EntityKind.ATTRIBUTE, "name", Operator.ILIKE, "taxi%"),
        Comparison(EntityKind.TAG, "mlflow.prompt.is_prompt", Operator.NE, "true"),
    ]
    assert search.parse_registered_model_filter("  ") == []
    assert search.parse_registered_model_order_by(["timestamp DESC"]) == [
        OrderBy(EntityKind.ATTRIBUTE, "last_updated_timestamp", ascending=False)
    ]


def test_version_filter_and_its_canonical_text_round_trip() -> None:
    text = "name = 'm' AND version_number >= 2 AND run_id IN ('a', 'b') AND source LIKE 's3://%'"
    parsed = search.parse_model_version_filter(text)
    assert [c.key for c in parsed] == ["name", "version_number", "run_id", "source_path"]
    assert parsed[1].value == 2.0
    # the REST store sends the canonical text; the server must read back the same comparisons
    assert search.parse_model_version_filter(format_filter(parsed)) == parsed


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("version_number > 1", "unknown attribute 'version_number'"),
        ("name = 'a' OR name = 'b'", "OR is not supported"),
        ("params.x = '1'", "params cannot be used"),
        ("name < 'b'", "< cannot be used"),
        ("name = x", "must be in quotes"),
    ],
)
def test_bad_model_filters_point_at_the_problem(text: str, fragment: str) -> None:
    with pytest.raises(FilterSyntaxError, match=fragment) as caught:
        search.parse_registered_model_filter(text)
    assert caught.value.field == "filter"


def test_bad_orderings_are_named() -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        search.parse_model_version_order_by(["run_id ASC"])
    assert caught.value.field == "order_by"
    with pytest.raises(InvalidArgument, match="list"):
        search.parse_registered_model_order_by("name")  # type: ignore[arg-type]
