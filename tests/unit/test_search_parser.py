"""The search language: MLflow filter strings and order-by clauses parse to the AST in filters.py."""

from __future__ import annotations

import pytest

from flowtrack.exceptions import FilterSyntaxError, InvalidArgument
from flowtrack.tracking.filters import Comparison, EntityKind, Operator, OrderBy
from flowtrack.tracking.search import (
    format_filter,
    format_order_by,
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_run_filter,
    parse_run_order_by,
)

M, P, T, A, D = EntityKind.METRIC, EntityKind.PARAM, EntityKind.TAG, EntityKind.ATTRIBUTE, EntityKind.DATASET
ANY_OPERATOR = "a comparison operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN)"
AND_OR_END = "AND or the end of the filter"


def one(kind: EntityKind, key: str, op: Operator, value: object) -> list[Comparison]:
    return [Comparison(kind, key, op, value)]  # type: ignore[arg-type]


@pytest.mark.parametrize("text", [None, "", "   ", "\n\t "])
def test_blank_filters_match_everything(text: str | None) -> None:
    assert parse_run_filter(text) == []
    assert parse_experiment_filter(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # numbers: int, float, negative, exponent, explicit sign
        ("metrics.rmse < 0.5", one(M, "rmse", Operator.LT, 0.5)),
        ("metrics.rmse<=1", one(M, "rmse", Operator.LE, 1.0)),
        ("metrics.loss > -2.5", one(M, "loss", Operator.GT, -2.5)),
        ("metric.lr >= 1e-3", one(M, "lr", Operator.GE, 0.001)),
        ("metrics.x = 1.5E+2", one(M, "x", Operator.EQ, 150.0)),
        ("metrics.x != .5", one(M, "x", Operator.NE, 0.5)),
        ("metrics.x=+3", one(M, "x", Operator.EQ, 3.0)),
        # prefixes and their aliases, case-insensitive
        ("params.model = 'rf'", one(P, "model", Operator.EQ, "rf")),
        ("param.model = 'rf'", one(P, "model", Operator.EQ, "rf")),
        ("parameter.model = 'rf'", one(P, "model", Operator.EQ, "rf")),
        ("parameters.model = 'rf'", one(P, "model", Operator.EQ, "rf")),
        ("PARAMS.model = 'rf'", one(P, "model", Operator.EQ, "rf")),
        ("tag.team = 'ml'", one(T, "team", Operator.EQ, "ml")),
        ("attribute.status = 'FAILED'", one(A, "status", Operator.EQ, "FAILED")),
        ("attr.status = 'FAILED'", one(A, "status", Operator.EQ, "FAILED")),
        ("run.status = 'FAILED'", one(A, "status", Operator.EQ, "FAILED")),
        ("dataset.digest = 'abc'", one(D, "digest", Operator.EQ, "abc")),
        ("datasets.context IN ('train', 'test')", one(D, "context", Operator.IN, ("train", "test"))),
        # keys: unquoted with symbols, backticks, double quotes, unicode
        ("tags.mlflow.source.git-commit = 'x'", one(T, "mlflow.source.git-commit", Operator.EQ, "x")),
        ("metrics.val/loss:1 < 2", one(M, "val/loss:1", Operator.LT, 2.0)),
        ("metrics.`f1 score` > 0.9", one(M, "f1 score", Operator.GT, 0.9)),
        ("tags.\"mlflow.user\" = 'bob'", one(T, "mlflow.user", Operator.EQ, "bob")),
        ("params.`a``b` = 'x'", one(P, "a`b", Operator.EQ, "x")),
        ('params."a""b" = \'x\'', one(P, 'a"b', Operator.EQ, "x")),
        ("params.größe = 'x'", one(P, "größe", Operator.EQ, "x")),
        # strings: both quotes, doubled quotes, backslash escapes, other backslashes kept
        ('params.model = "rf"', one(P, "model", Operator.EQ, "rf")),
        ("params.m = 'it''s'", one(P, "m", Operator.EQ, "it's")),
        ("params.m = 'it\\'s'", one(P, "m", Operator.EQ, "it's")),
        ('params.m = "say \\"hi\\""', one(P, "m", Operator.EQ, 'say "hi"')),
        ("params.m = 'C:\\temp'", one(P, "m", Operator.EQ, "C:\\temp")),
        ("params.m = 'a\\\\'", one(P, "m", Operator.EQ, "a\\")),
        ("params.m = ''", one(P, "m", Operator.EQ, "")),
        # operators, case-insensitive
        ("params.m LIKE 'rf%'", one(P, "m", Operator.LIKE, "rf%")),
        ("params.m like 'rf%'", one(P, "m", Operator.LIKE, "rf%")),
        ("tags.t ILIKE '%X%'", one(T, "t", Operator.ILIKE, "%X%")),
        ("params.m != 'rf'", one(P, "m", Operator.NE, "rf")),
        ("params.m IN ('a')", one(P, "m", Operator.IN, ("a",))),
        ("params.m in('a',\"b\" , 'c')", one(P, "m", Operator.IN, ("a", "b", "c"))),
        ("tags.t not  In ('a', 'b')", one(T, "t", Operator.NOT_IN, ("a", "b"))),
        # attributes: bare, prefixed, quoted, canonicalized; numeric ones take numbers
        ("status = 'FINISHED'", one(A, "status", Operator.EQ, "FINISHED")),
        ("run_name LIKE 'x%'", one(A, "run_name", Operator.LIKE, "x%")),
        ("attributes.run_uuid = 'abc'", one(A, "run_id", Operator.EQ, "abc")),
        ("run_uuid IN ('a', 'b')", one(A, "run_id", Operator.IN, ("a", "b"))),
        ("attributes.`status` != 'RUNNING'", one(A, "status", Operator.NE, "RUNNING")),
        ("start_time > 1700000000000", one(A, "start_time", Operator.GT, 1.7e12)),
        ("attributes.end_time <= 5", one(A, "end_time", Operator.LE, 5.0)),
        # whitespace is free around tokens, AND is case-insensitive
        ("  metrics.a<1  ", one(M, "a", Operator.LT, 1.0)),
    ],
)
def test_run_filters_parse(text: str, expected: list[Comparison]) -> None:
    assert parse_run_filter(text) == expected


@pytest.mark.parametrize("conjunction", ["AND", "and", "And", "aNd"])
def test_comparisons_are_joined_by_and(conjunction: str) -> None:
    text = f"metrics.rmse < 0.5 {conjunction} params.model = 'rf'\n{conjunction}\tstatus='FINISHED'"
    assert parse_run_filter(text) == [
        Comparison(M, "rmse", Operator.LT, 0.5),
        Comparison(P, "model", Operator.EQ, "rf"),
        Comparison(A, "status", Operator.EQ, "FINISHED"),
    ]


def test_numeric_values_are_floats() -> None:
    [comparison] = parse_run_filter("metrics.x = 3")
    assert type(comparison.value) is float


# (text, position, expected, fragment of the message)
RUN_FILTER_ERRORS = [
    ("metrics.rmse <", 14, "a number", "end of input"),
    ("metrics.rmse < abc", 15, "a number", "'abc'"),
    ("metrics.rmse < 1.2.3", 15, "a number", "'1.2.3'"),
    ("metrics.rmse < 1e", 15, "a number", "'1e'"),
    ("metrics.rmse < '0.5'", 15, "a number", "numeric"),
    ("metrics.rmse < 1e999", 15, "a finite number", "out of range"),
    ("start_time > 'yesterday'", 13, "a number", "numeric"),
    ("params.model = rf", 15, "a quoted string", "quotes"),
    ("params.model = 1", 15, "a quoted string", "quotes"),
    ("params.model =", 14, "a quoted string", "end of input"),
    ("status = FINISHED", 9, "a quoted string", "quotes"),
    ("metrics.rmse", 12, ANY_OPERATOR, "end of input"),
    ("metrics.rmse foo 1", 13, ANY_OPERATOR, "'foo'"),
    ("metrics.rmse <> 1", 13, ANY_OPERATOR, "'!='"),
    ("params.m <> 'a'", 9, ANY_OPERATOR, "'!='"),
    ("metrics.rmse == 1", 13, ANY_OPERATOR, "'='"),
    ("metrics.rmse ! 1", 13, ANY_OPERATOR, "'!'"),
    ("params.m LIKEx 'a'", 9, ANY_OPERATOR, "'LIKEx'"),
    ("params.m NOT LIKE 'a'", 9, "IN after NOT", "NOT IN"),
    ("params.m NOT", 9, "IN after NOT", "NOT IN"),
    ("metrics.rmse LIKE 'a'", 13, "one of =, !=, <, <=, >, >=", "LIKE cannot be used with metrics.rmse"),
    ("metrics.rmse IN ('a')", 13, "one of =, !=, <, <=, >, >=", "IN"),
    ("start_time ILIKE 'a'", 11, "one of =, !=, <, <=, >, >=", "attributes.start_time"),
    ("params.m < 'a'", 9, "one of =, !=, LIKE, ILIKE, IN, NOT IN", "< cannot be used with params.m"),
    ("tags.t >= 'a'", 7, "one of =, !=, LIKE, ILIKE, IN, NOT IN", ">="),
    ("status > 'a'", 7, "one of =, !=, LIKE, ILIKE, IN, NOT IN", ">"),
    (
        "foo.bar = 'x'",
        0,
        "metrics.<key>, params.<key>, tags.<key>, attributes.<key> or datasets.<key>",
        "'foo'",
    ),
    ("metrics.a < 1 AND foo.bar = 'x'", 18, "metrics.<key>", "unknown entity type 'foo'"),
    ("nope = 'x'", 0, "one of artifact_uri, end_time", "unknown attribute 'nope'"),
    ("attributes.nope = 'x'", 11, "one of artifact_uri", "valid: artifact_uri, end_time"),
    ("attributes.`Status` = 'x'", 11, "one of artifact_uri", "'Status'"),
    ("datasets.size = 'x'", 9, "one of name, digest, context", "'size'"),
    ("metrics = 1", 7, "'.' and a key after 'metrics'", "whitespace"),
    ("metrics. x = 1", 8, "a key", "whitespace"),
    ("metrics.", 8, "a key", "end of input"),
    ("metrics.`` = 1", 8, "a non-empty key", "empty key"),
    (" = 1", 1, "an identifier", "'='"),
    ("metrics.`rmse < 1", 17, "a closing quote", "position 8"),
    ("tags.\"t = 'x'", 13, "a closing quote", "position 5"),
    ("params.m = 'x", 13, "a closing quote", "position 11"),
    ("params.m = 'x\\'", 15, "a closing quote", "position 11"),
    ('params.m = "x', 13, "a closing quote", "position 11"),
    ("params.m IN ('a', 'b", 20, "a closing quote", "position 18"),
    ("metrics.rmse < 1 OR metrics.rmse > 2", 17, AND_OR_END, "OR is not supported"),
    ("metrics.rmse < 1 or metrics.rmse > 2", 17, AND_OR_END, "OR is not supported"),
    ("metrics.rmse < 1 garbage", 17, AND_OR_END, "'garbage'"),
    ("metrics.rmse < 1)", 16, AND_OR_END, "')'"),
    ("params.m = 'a' 'b'", 15, AND_OR_END, "'b'"),
    ("metrics.a < 1 ANDmetrics.b > 2", 14, AND_OR_END, "'ANDmetrics.b'"),
    ("metrics.a < 1 AND", 17, "an identifier", "end of input"),
    ("metrics.a < 1 AND AND metrics.b < 2", 18, "one of artifact_uri", "unknown attribute 'AND'"),
    ("params.m IN ()", 13, "a quoted string", "must not be empty"),
    ("params.m IN ( )", 14, "a quoted string", "must not be empty"),
    ("params.m IN 'a'", 12, "'(' starting a list of quoted strings", "\"'a'\""),
    ("params.m IN", 11, "'(' starting a list of quoted strings", "end of input"),
    ("params.m IN ('a',)", 17, "a quoted string", "')'"),
    ("params.m IN ('a' 'b')", 17, "',' or ')'", "'b'"),
    ("params.m IN ('a', b)", 18, "a quoted string", "'b)'"),
    ("params.m IN ('a'", 16, "',' or ')'", "end of input"),
    ("params.m IN (1, 2)", 13, "a quoted string", "'1,'"),
]


@pytest.mark.parametrize(("text", "position", "expected", "message"), RUN_FILTER_ERRORS)
def test_run_filter_errors_point_at_the_problem(
    text: str, position: int, expected: str, message: str
) -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse_run_filter(text)
    error = caught.value
    assert (error.position, error.field, error.text) == (position, "filter", text)
    assert error.expected.startswith(expected)
    assert message in str(error)
    assert f"{text}\n{' ' * position}^" in str(error)


def test_syntax_errors_are_invalid_arguments() -> None:
    with pytest.raises(InvalidArgument):
        parse_run_filter("metrics.a <")
    with pytest.raises(ValueError, match="OR is not supported"):
        parse_run_filter("metrics.a < 1 OR metrics.b < 1")


def test_non_string_filter_is_refused() -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_run_filter(42)  # type: ignore[arg-type]
    assert caught.value.field == "filter"


# -- experiments -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name = 'exp'", one(A, "name", Operator.EQ, "exp")),
        ("attributes.name ILIKE '%Exp%'", one(A, "name", Operator.ILIKE, "%Exp%")),
        ("experiment_id IN ('1', '2')", one(A, "experiment_id", Operator.IN, ("1", "2"))),
        ("creation_time > 1000", one(A, "creation_time", Operator.GT, 1000.0)),
        ("attr.last_update_time <= 5", one(A, "last_update_time", Operator.LE, 5.0)),
        ("lifecycle_stage = 'active'", one(A, "lifecycle_stage", Operator.EQ, "active")),
        ("tags.`team name` = 'ml'", one(T, "team name", Operator.EQ, "ml")),
    ],
)
def test_experiment_filters_parse(text: str, expected: list[Comparison]) -> None:
    assert parse_experiment_filter(text) == expected


@pytest.mark.parametrize(
    ("text", "position", "expected", "message"),
    [
        (
            "metrics.a > 1",
            0,
            "attributes.<key> or tags.<key>",
            "metrics cannot be used in experiment filter",
        ),
        ("params.a = 'x'", 0, "attributes.<key> or tags.<key>", "params cannot be used"),
        ("datasets.name = 'x'", 0, "attributes.<key> or tags.<key>", "datasets cannot be used"),
        ("run_name = 'x'", 0, "one of creation_time, experiment_id", "unknown attribute 'run_name'"),
        ("creation_time > 'x'", 16, "a number", "numeric"),
        ("name < 'x'", 5, "one of =, !=, LIKE, ILIKE, IN, NOT IN", "<"),
    ],
)
def test_experiment_filter_errors(text: str, position: int, expected: str, message: str) -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse_experiment_filter(text)
    assert caught.value.position == position
    assert caught.value.expected.startswith(expected)
    assert message in str(caught.value)


# -- order_by ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("clauses", [None, []])
def test_no_order_by(clauses: list[str] | None) -> None:
    assert parse_run_order_by(clauses) == []
    assert parse_experiment_order_by(clauses) == []


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("metrics.rmse", OrderBy(M, "rmse")),
        ("metrics.rmse ASC", OrderBy(M, "rmse")),
        ("metrics.rmse asc", OrderBy(M, "rmse")),
        ("metrics.rmse DESC", OrderBy(M, "rmse", ascending=False)),
        ("  metrics.rmse   desc  ", OrderBy(M, "rmse", ascending=False)),
        ("attributes.start_time DESC", OrderBy(A, "start_time", ascending=False)),
        ("start_time", OrderBy(A, "start_time")),
        ("run_name DESC", OrderBy(A, "run_name", ascending=False)),
        ("attributes.run_uuid", OrderBy(A, "run_id")),
        ("params.`max depth`", OrderBy(P, "max depth")),
        ('tags."mlflow.runName" DESC', OrderBy(T, "mlflow.runName", ascending=False)),
        ("tags.mlflow.runName", OrderBy(T, "mlflow.runName")),
    ],
)
def test_run_order_by_parses(clause: str, expected: OrderBy) -> None:
    assert parse_run_order_by([clause]) == [expected]


def test_order_by_keeps_clause_order() -> None:
    assert parse_run_order_by(("metrics.a DESC", "params.b", "start_time ASC")) == [
        OrderBy(M, "a", ascending=False),
        OrderBy(P, "b"),
        OrderBy(A, "start_time"),
    ]


@pytest.mark.parametrize(
    ("clause", "position", "expected", "message"),
    [
        ("", 0, "an identifier", "end of input"),
        ("metrics.rmse DOWN", 13, "ASC, DESC or the end of the clause", "'DOWN'"),
        ("metrics.rmse DESC ASC", 18, "the end of the clause", "'ASC'"),
        ("metrics.rmse, start_time", 12, "ASC, DESC or the end of the clause", "','"),
        ("metrics.`rmse DESC", 18, "a closing quote", "not closed"),
        ("foo.bar", 0, "metrics.<key>, params.<key>, tags.<key> or attributes.<key>", "'foo'"),
        ("datasets.name", 0, "metrics.<key>", "datasets cannot be used in run order_by"),
        ("attributes.nope DESC", 11, "one of artifact_uri", "'nope'"),
        ("metrics.f1 score", 11, "ASC, DESC or the end of the clause", "'score'"),
    ],
)
def test_run_order_by_errors(clause: str, position: int, expected: str, message: str) -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse_run_order_by(["metrics.ok", clause])
    error = caught.value
    assert (error.position, error.field, error.text) == (position, "order_by", clause)
    assert error.expected.startswith(expected)
    assert message in str(error)


def test_duplicate_order_by_keys_are_refused() -> None:
    with pytest.raises(FilterSyntaxError, match="duplicate") as caught:
        parse_run_order_by(["run_uuid", "attributes.run_id DESC"])
    assert caught.value.field == "order_by"


def test_order_by_must_be_a_list_of_strings() -> None:
    with pytest.raises(InvalidArgument, match="list of strings"):
        parse_run_order_by("metrics.rmse DESC")
    with pytest.raises(InvalidArgument, match="must be strings"):
        parse_run_order_by([1])  # type: ignore[list-item]


def test_experiment_order_by() -> None:
    assert parse_experiment_order_by(["last_update_time DESC", "attributes.name", "tags.team"]) == [
        OrderBy(A, "last_update_time", ascending=False),
        OrderBy(A, "name"),
        OrderBy(T, "team"),
    ]
    with pytest.raises(FilterSyntaxError, match="metrics cannot be used in experiment order_by"):
        parse_experiment_order_by(["metrics.rmse"])
    with pytest.raises(FilterSyntaxError, match="unknown attribute 'start_time'"):
        parse_experiment_order_by(["start_time"])


# -- formatting --------------------------------------------------------------------------------------------


def test_format_filter_is_canonical() -> None:
    text = "metrics.rmse<.5 and params.model = \"rf\" and run_uuid in ('a','b') and start_time > 17"
    assert format_filter(parse_run_filter(text)) == (
        "metrics.`rmse` < 0.5 AND params.`model` = 'rf' AND attributes.`run_id` IN ('a', 'b')"
        " AND attributes.`start_time` > 17"
    )
    assert format_filter([]) == ""


@pytest.mark.parametrize(
    ("comparison", "text"),
    [
        (Comparison(P, "a`b", Operator.EQ, "it's"), "params.`a``b` = 'it''s'"),
        (Comparison(T, "x", Operator.EQ, "C:\\temp\\"), "tags.`x` = 'C:\\temp\\\\'"),
        (Comparison(T, "x", Operator.EQ, 'a\\"b'), "tags.`x` = 'a\\\\\"b'"),
        (Comparison(M, "m", Operator.GT, -1e-5), "metrics.`m` > -1e-05"),
        (Comparison(M, "m", Operator.GT, 2.0**60), "metrics.`m` > 1.152921504606847e+18"),
        (Comparison(D, "name", Operator.NOT_IN, ("a",)), "datasets.`name` NOT IN ('a')"),
    ],
)
def test_format_escapes(comparison: Comparison, text: str) -> None:
    assert format_filter([comparison]) == text
    assert parse_run_filter(text) == [comparison]


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_format_refuses_non_finite_numbers(value: float) -> None:
    with pytest.raises(InvalidArgument, match="non-finite"):
        format_filter([Comparison(M, "m", Operator.LT, value)])


def test_format_order_by() -> None:
    order = [OrderBy(M, "f1 score", ascending=False), OrderBy(A, "start_time")]
    assert format_order_by(order) == ["metrics.`f1 score` DESC", "attributes.`start_time` ASC"]
    assert parse_run_order_by(format_order_by(order)) == order
