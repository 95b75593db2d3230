"""Properties of the search language: formatting round-trips, and no input crashes the parser."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowtrack.exceptions import FilterSyntaxError
from flowtrack.tracking.filters import (
    EXPERIMENT_ATTRIBUTES,
    NUMERIC_EXPERIMENT_ATTRIBUTES,
    NUMERIC_RUN_ATTRIBUTES,
    RUN_ATTRIBUTES,
    Comparison,
    EntityKind,
    Operator,
    OrderBy,
    Value,
)
from flowtrack.tracking.search import (
    format_filter,
    format_order_by,
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_run_filter,
    parse_run_order_by,
)

NUMERIC_OPS = [Operator.EQ, Operator.NE, Operator.LT, Operator.LE, Operator.GT, Operator.GE]
STRING_OPS = [Operator.EQ, Operator.NE, Operator.LIKE, Operator.ILIKE, Operator.IN, Operator.NOT_IN]
TRICKY = " `'\"\\.,()=<>!%_-/:\t\n"

# Text that stresses quoting: any character, with quotes, backticks, backslashes and spaces over-represented.
texts = st.text(alphabet=st.one_of(st.characters(), st.sampled_from(TRICKY)))
keys = texts.filter(bool)
numbers = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(2**63), 2**63).map(float),
    st.sampled_from([0.0, -0.0, 1e-3, -2.5e10, 1.7e12, 5e-324, 1.7976931348623157e308]),
)


@st.composite
def comparisons(draw: st.DrawFn, experiments: bool = False) -> Comparison:
    kinds = [EntityKind.ATTRIBUTE, EntityKind.TAG]
    if not experiments:
        kinds += [EntityKind.METRIC, EntityKind.PARAM, EntityKind.DATASET]
    kind = draw(st.sampled_from(kinds))
    key = draw(_keys_for(kind, experiments))
    numeric_attributes = NUMERIC_EXPERIMENT_ATTRIBUTES if experiments else NUMERIC_RUN_ATTRIBUTES
    if kind is EntityKind.METRIC or (kind is EntityKind.ATTRIBUTE and key in numeric_attributes):
        return Comparison(kind, key, draw(st.sampled_from(NUMERIC_OPS)), draw(numbers))
    op = draw(st.sampled_from(STRING_OPS))
    value: Value
    if op in (Operator.IN, Operator.NOT_IN):
        value = tuple(draw(st.lists(texts, min_size=1, max_size=4)))
    else:
        value = draw(texts)
    return Comparison(kind, key, op, value)


def _keys_for(kind: EntityKind, experiments: bool) -> st.SearchStrategy[str]:
    if kind is EntityKind.ATTRIBUTE:
        attributes = EXPERIMENT_ATTRIBUTES if experiments else RUN_ATTRIBUTES
        return st.sampled_from(sorted(set(attributes.values())))
    if kind is EntityKind.DATASET:
        return st.sampled_from(["name", "digest", "context"])
    return keys


@st.composite
def order_bys(draw: st.DrawFn, experiments: bool = False) -> list[OrderBy]:
    kinds = [EntityKind.ATTRIBUTE, EntityKind.TAG]
    if not experiments:
        kinds += [EntityKind.METRIC, EntityKind.PARAM]
    entries = st.tuples(st.sampled_from(kinds), st.booleans()).flatmap(
        lambda pair: _keys_for(pair[0], experiments).map(lambda key: OrderBy(pair[0], key, pair[1]))
    )
    return draw(st.lists(entries, max_size=5, unique_by=lambda o: (o.kind, o.key)))


@settings(max_examples=500)
@given(st.lists(comparisons(), max_size=5))
def test_run_filters_round_trip(ast: list[Comparison]) -> None:
    assert parse_run_filter(format_filter(ast)) == ast


@settings(max_examples=200)
@given(st.lists(comparisons(experiments=True), max_size=5))
def test_experiment_filters_round_trip(ast: list[Comparison]) -> None:
    assert parse_experiment_filter(format_filter(ast)) == ast


@settings(max_examples=300)
@given(order_bys())
def test_run_order_by_round_trips(order: list[OrderBy]) -> None:
    assert parse_run_order_by(format_order_by(order)) == order


@given(order_bys(experiments=True))
def test_experiment_order_by_round_trips(order: list[OrderBy]) -> None:
    assert parse_experiment_order_by(format_order_by(order)) == order


# Fragments of the language, so random concatenations reach deep into the grammar rather than failing early.
FRAGMENTS = [
    *"`'\"\\().,=<>!+-_/: \t",
    *("metrics.", "params.", "tags.", "attributes.", "datasets.", "status", "start_time", "run_uuid", "name"),
    *(" AND ", "and", " OR ", "NOT", " IN ", "LIKE", "ILIKE", "<=", ">=", "!=", "<>", "=="),
    *(
        "rmse",
        "f1 score",
        "1",
        "-2.5",
        "1e-3",
        "1e",
        "1e999",
        ".",
        "'x'",
        '"y"',
        "('a', 'b')",
        "''",
        "``",
        "ASC",
    ),
    *("DESC", "é", "\u00a0", "\u2028", "\x00", "\U0001f600"),
]
soup = st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join)
any_text = st.one_of(st.text(), texts, soup)


def _never_crashes(parse: Callable[[str], object], text: str) -> None:
    outcome: object
    try:
        outcome = parse(text)
    except FilterSyntaxError as error:
        outcome = error
    if isinstance(outcome, FilterSyntaxError):
        assert 0 <= outcome.position <= len(text)
        assert outcome.expected
        assert outcome.text == text
    else:
        assert isinstance(outcome, list)


@settings(max_examples=1000)
@given(any_text)
def test_any_filter_text_parses_or_raises_filter_syntax_error(text: str) -> None:
    _never_crashes(parse_run_filter, text)
    _never_crashes(parse_experiment_filter, text)


@settings(max_examples=500)
@given(any_text)
def test_any_order_by_text_parses_or_raises_filter_syntax_error(text: str) -> None:
    def run_order(clause: str) -> Sequence[OrderBy]:
        return parse_run_order_by([clause])

    def experiment_order(clause: str) -> Sequence[OrderBy]:
        return parse_experiment_order_by([clause])

    _never_crashes(run_order, text)
    _never_crashes(experiment_order, text)


# Every prefix of a valid input, followed by something, ends in a state the parser must handle gracefully.
SEEDS = [
    "metrics.`f1 score` >= -1.5e-3 AND params.model = 'rf' and tags.\"mlflow.user\" LIKE 'a''b%'",
    "attributes.run_uuid NOT IN ('a', \"b\\\"c\") AND status != 'FAILED' AND start_time > 17",
    "datasets.context in ('train') and run.end_time<=1 and tags.x ILIKE '%\\_%'",
    "name = 'x' AND creation_time < 5 AND tags.`a``b` = \"\"",
    "metrics.rmse DESC",
    "attributes.`start_time` ASC",
]
SUFFIXES = ["", " ", " \t\n ", "x", "'", '"', "`", "(", ")", ",", ".", "\\", " AND", " OR 1", "=", "1e"]


@pytest.mark.parametrize("seed", SEEDS)
def test_every_truncation_of_valid_input_is_handled(seed: str) -> None:
    for end in range(len(seed) + 1):
        for suffix in SUFFIXES:
            text = seed[:end] + suffix
            _never_crashes(parse_run_filter, text)
            _never_crashes(parse_experiment_filter, text)
            _never_crashes(lambda clause: parse_run_order_by([clause]), text)
            _never_crashes(lambda clause: parse_experiment_order_by([clause]), text)


@settings(max_examples=500)
@given(st.lists(comparisons(), min_size=1, max_size=3), st.data())
def test_mutated_valid_filters_are_handled(ast: list[Comparison], data: st.DataObject) -> None:
    text = format_filter(ast)
    cut = data.draw(st.integers(0, len(text)), label="cut")
    middle = data.draw(soup, label="inserted")
    resume = data.draw(st.integers(cut, len(text)), label="resume")
    _never_crashes(parse_run_filter, text[:cut] + middle + text[resume:])


@given(st.lists(comparisons(), min_size=1, max_size=3), st.sampled_from([" ", "  ", "\t", "\n"]))
def test_surrounding_whitespace_does_not_matter(ast: list[Comparison], space: str) -> None:
    text = format_filter(ast)
    assert parse_run_filter(f"{space}{text}{space}") == ast
