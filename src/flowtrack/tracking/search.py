"""Parse and format MLflow's search language: filter strings and order-by clauses.

Grammar (keywords, prefixes and operators are case-insensitive; attribute names are not)::

    filter      := comparison (AND comparison)*
    comparison  := identifier operator value
    identifier  := prefix "." key | attribute
    key         := unquoted | `backticked` | "double quoted"
    operator    := = | != | < | <= | > | >= | LIKE | ILIKE | IN | NOT IN
    value       := number | 'string' | "string" | "(" string ("," string)* ")"
    order       := identifier [ASC | DESC]

Inside quotes a quote is written doubled (``'it''s'``) or backslash-escaped (``'it\\'s'``); a backslash before
a backslash or a quote character escapes it, any other backslash is kept as is (``'C:\\temp'``, ``'%\\_%'``).
Every malformed input raises :class:`FilterSyntaxError` pointing at the offending character.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flowtrack.exceptions import FilterSyntaxError, InvalidArgument
from flowtrack.tracking.filters import (
    EXPERIMENT_ATTRIBUTES,
    LOGGED_MODEL_ATTRIBUTES,
    NUMERIC_EXPERIMENT_ATTRIBUTES,
    NUMERIC_LOGGED_MODEL_ATTRIBUTES,
    NUMERIC_RUN_ATTRIBUTES,
    RUN_ATTRIBUTES,
    Comparison,
    EntityKind,
    Operator,
    OrderBy,
    Value,
)
from flowtrack.tracking.logged_models import LoggedModelOrderBy

__all__ = [
    "format_filter",
    "format_order_by",
    "parse_experiment_filter",
    "parse_experiment_order_by",
    "parse_logged_model_filter",
    "parse_logged_model_order_by",
    "parse_logged_model_order_field",
    "parse_run_filter",
    "parse_run_order_by",
]

_PREFIXES: dict[str, EntityKind] = {
    **dict.fromkeys(("metrics", "metric"), EntityKind.METRIC),
    **dict.fromkeys(("params", "param", "parameter", "parameters"), EntityKind.PARAM),
    **dict.fromkeys(("tags", "tag"), EntityKind.TAG),
    **dict.fromkeys(("attributes", "attribute", "attr", "run"), EntityKind.ATTRIBUTE),
    **dict.fromkeys(("datasets", "dataset"), EntityKind.DATASET),
}
_DATASET_KEYS = ("name", "digest", "context")
_NUMERIC_OPERATORS = (Operator.EQ, Operator.NE, Operator.LT, Operator.LE, Operator.GT, Operator.GE)
_SYMBOL_OPERATORS = {op.value: op for op in _NUMERIC_OPERATORS}
_WORD_OPERATORS = {"LIKE": Operator.LIKE, "ILIKE": Operator.ILIKE, "IN": Operator.IN}
_MISTAKES = {"<>": "!=", "==": "="}
_STRING_OPERATORS = (Operator.EQ, Operator.NE, Operator.LIKE, Operator.ILIKE, Operator.IN, Operator.NOT_IN)
_ANY_OPERATOR = "a comparison operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN)"
_KEY_QUOTES = frozenset('`"')
_VALUE_QUOTES = frozenset("'\"")
_ESCAPABLE = frozenset("\\'\"`")
# Character classes for ASCII; beyond ASCII, scan() falls back to str.isalnum / str.isspace.
_ASCII = [chr(code) for code in range(128)]
_SPACE = frozenset(ch for ch in _ASCII if ch.isspace())
_ALNUM = frozenset(ch for ch in _ASCII if ch.isalnum())
_WORD = _ALNUM | {"_"}
_KEY = _ALNUM | frozenset("_-./:")
_HEAD = _KEY - {"."}
_NUMBER = frozenset("0123456789.eE+-")


@dataclass(frozen=True, slots=True)
class _Schema:
    """What one kind of search accepts: entity kinds and attribute names."""

    name: str
    kinds: tuple[EntityKind, ...]
    attributes: Mapping[str, str]
    numeric: frozenset[str]


_RUNS = _Schema("run", tuple(EntityKind), RUN_ATTRIBUTES, NUMERIC_RUN_ATTRIBUTES)
_EXPERIMENT_KINDS = (EntityKind.ATTRIBUTE, EntityKind.TAG)
_EXPERIMENTS = _Schema("experiment", _EXPERIMENT_KINDS, EXPERIMENT_ATTRIBUTES, NUMERIC_EXPERIMENT_ATTRIBUTES)
_MODEL_KINDS = (EntityKind.ATTRIBUTE, EntityKind.METRIC, EntityKind.PARAM, EntityKind.TAG)
_LOGGED_MODELS = _Schema(
    "logged model", _MODEL_KINDS, LOGGED_MODEL_ATTRIBUTES, NUMERIC_LOGGED_MODEL_ATTRIBUTES
)
# MLflow orders logged models by attributes and metrics only.
_MODEL_ORDER_KINDS = (EntityKind.ATTRIBUTE, EntityKind.METRIC)
_LOGGED_MODEL_ORDER = _Schema(
    "logged model", _MODEL_ORDER_KINDS, LOGGED_MODEL_ATTRIBUTES, NUMERIC_LOGGED_MODEL_ATTRIBUTES
)


class _Parser:
    """Recursive descent over one string; the lexing methods read a token at ``pos`` and advance past it."""

    __slots__ = ("field", "kinds", "pos", "schema", "text")

    def __init__(self, text: str, schema: _Schema, field: str) -> None:
        self.text = text
        self.pos = 0
        self.schema = schema
        self.field = field
        # MLflow filters on dataset fields but cannot order by them.
        ordering = field == "order_by"
        self.kinds = tuple(k for k in schema.kinds if not (ordering and k is EntityKind.DATASET))

    def prefixes(self) -> str:
        names = [f"{kind.value}.<key>" for kind in self.kinds]
        return f"{', '.join(names[:-1])} or {names[-1]}"

    # -- errors -------------------------------------------------------------------------------------------
    def fail(self, message: str, expected: str, position: int | None = None) -> FilterSyntaxError:
        pos = self.pos if position is None else position
        return FilterSyntaxError(message, text=self.text, position=pos, expected=expected, field=self.field)

    def unexpected(self, expected: str, position: int | None = None) -> FilterSyntaxError:
        pos = self.pos if position is None else position
        if pos >= len(self.text):
            return self.fail("unexpected end of input", expected, pos)
        rest = self.text[pos : pos + 20]
        what = "whitespace" if rest[0].isspace() else repr(rest.split(maxsplit=1)[0])
        return self.fail(f"unexpected {what}", expected, pos)

    # -- lexing -------------------------------------------------------------------------------------------
    def peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def at_end(self) -> bool:
        self.skip_ws()
        return self.pos >= len(self.text)

    def skip_ws(self) -> None:
        self.scan(_SPACE, str.isspace)

    def scan(self, chars: frozenset[str], beyond_ascii: Callable[[str], bool] | None = str.isalnum) -> str:
        """Read the longest run of ``chars`` (or of non-ASCII characters ``beyond_ascii`` accepts)."""
        text, start = self.text, self.pos
        end, size = start, len(text)
        while end < size:
            ch = text[end]
            if ch not in chars and (beyond_ascii is None or ch < "\x80" or not beyond_ascii(ch)):
                break
            end += 1
        self.pos = end
        return text[start:end]

    def quoted(self) -> str:
        """Read the string whose opening quote is at ``pos``; see the module docstring for escapes."""
        text, start = self.text, self.pos
        quote, i = text[start], start + 1
        chunks: list[str] = []
        while True:
            close = text.find(quote, i)
            backslash = text.find("\\", i, len(text) if close < 0 else close)
            if backslash >= 0:
                escaped = text[backslash + 1 : backslash + 2]
                chunks += [text[i:backslash], escaped if escaped in _ESCAPABLE else "\\"]
                i = backslash + (2 if escaped in _ESCAPABLE else 1)
            elif close < 0:
                raise self.fail(f"the quote at position {start} is not closed", "a closing quote", len(text))
            elif text.startswith(quote, close + 1):
                chunks += [text[i:close], quote]
                i = close + 2
            else:
                chunks.append(text[i:close])
                self.pos = close + 1
                return "".join(chunks)

    # -- grammar ------------------------------------------------------------------------------------------
    def filter(self) -> list[Comparison]:
        comparisons = [self.comparison()]
        while not self.at_end():
            start = self.pos
            word = self.scan(_WORD).upper()
            if word == "OR":
                raise self.fail("OR is not supported, only AND", "AND or the end of the filter", start)
            if word != "AND":
                raise self.unexpected("AND or the end of the filter", start)
            comparisons.append(self.comparison())
        return comparisons

    def comparison(self) -> Comparison:
        self.skip_ws()
        kind, key = self.identifier()
        label = f"{kind.value}.{key}"
        numeric = kind is EntityKind.METRIC or (kind is EntityKind.ATTRIBUTE and key in self.schema.numeric)
        self.skip_ws()
        op = self.operator(_NUMERIC_OPERATORS if numeric else _STRING_OPERATORS, label)
        self.skip_ws()
        value: Value
        if op is Operator.IN or op is Operator.NOT_IN:
            value = self.string_list()
        elif numeric:
            value = self.number(label)
        else:
            value = self.string(label)
        return Comparison(kind, key, op, value)

    def order_clause(self) -> OrderBy:
        self.skip_ws()
        kind, key = self.identifier()
        if self.at_end():
            return OrderBy(kind, key)
        start = self.pos
        direction = self.scan(_WORD).upper()
        if direction not in ("ASC", "DESC"):
            raise self.unexpected("ASC, DESC or the end of the clause", start)
        if not self.at_end():
            raise self.unexpected("the end of the clause")
        return OrderBy(kind, key, ascending=direction == "ASC")

    def identifier(self) -> tuple[EntityKind, str]:
        start = self.pos
        head = self.scan(_HEAD)
        if not head:
            raise self.unexpected(f"an identifier such as {self.prefixes()}, or an attribute name")
        kind = _PREFIXES.get(head.lower())
        if self.peek() != ".":
            if kind is not None:
                raise self.unexpected(f"'.' and a key after {head!r}")
            return EntityKind.ATTRIBUTE, self.attribute(head, start)
        if kind is None:
            raise self.fail(f"unknown entity type {head!r}", self.prefixes(), start)
        if kind not in self.kinds:
            where = f"{self.schema.name} {self.field}"
            raise self.fail(f"{kind.value} cannot be used in {where}", self.prefixes(), start)
        self.pos += 1
        key_start = self.pos
        key = self.key()
        if kind is EntityKind.ATTRIBUTE:
            return kind, self.attribute(key, key_start)
        if kind is EntityKind.DATASET and key not in _DATASET_KEYS:
            raise self.fail(f"unknown dataset field {key!r}", f"one of {', '.join(_DATASET_KEYS)}", key_start)
        return kind, key

    def key(self) -> str:
        start = self.pos
        if self.peek() not in _KEY_QUOTES:
            key = self.scan(_KEY)
            if not key:
                raise self.unexpected("a key (quote it with backticks if it contains spaces or symbols)")
            return key
        key = self.quoted()
        if not key:
            raise self.fail("empty key", "a non-empty key", start)
        return key

    def attribute(self, name: str, start: int) -> str:
        canonical = self.schema.attributes.get(name)
        if canonical is None:
            valid = ", ".join(sorted(self.schema.attributes))
            raise self.fail(f"unknown attribute {name!r} (valid: {valid})", f"one of {valid}", start)
        return canonical

    def operator(self, allowed: tuple[Operator, ...], label: str) -> Operator:
        start = self.pos
        op = self.any_operator()
        if op not in allowed:
            names = ", ".join(other.value for other in allowed)
            raise self.fail(f"{op.value} cannot be used with {label}", f"one of {names}", start)
        return op

    def any_operator(self) -> Operator:
        start = self.pos
        pair = self.text[start : start + 2]
        if pair in _MISTAKES:
            raise self.fail(f"{pair!r} is not supported, use {_MISTAKES[pair]!r}", _ANY_OPERATOR)
        for symbol in (pair, pair[:1]):
            if symbol in _SYMBOL_OPERATORS:
                self.pos += len(symbol)
                return _SYMBOL_OPERATORS[symbol]
        word = self.scan(_WORD).upper()
        if word in _WORD_OPERATORS:
            return _WORD_OPERATORS[word]
        if word != "NOT":
            raise self.unexpected(_ANY_OPERATOR, start)
        self.skip_ws()
        if self.scan(_WORD).upper() != "IN":
            raise self.fail("NOT is only supported as NOT IN", "IN after NOT", start)
        return Operator.NOT_IN

    def number(self, label: str) -> float:
        start = self.pos
        if self.peek() in _VALUE_QUOTES:
            raise self.fail(f"{label} is numeric; compare it with an unquoted number", "a number")
        raw = self.scan(_NUMBER, None)
        try:
            value = float(raw)
        except ValueError:
            raise self.unexpected("a number", start) from None
        if not math.isfinite(value):
            raise self.fail(f"number {raw!r} is out of range", "a finite number", start)
        return value

    def string(self, label: str) -> str:
        if self.peek() in _VALUE_QUOTES:
            return self.quoted()
        if self.pos >= len(self.text):
            raise self.unexpected("a quoted string")
        raise self.fail(f"the value for {label} must be in quotes", "a quoted string")

    def string_list(self) -> tuple[str, ...]:
        if self.peek() != "(":
            raise self.unexpected("'(' starting a list of quoted strings")
        self.pos += 1
        items: list[str] = []
        while True:
            self.skip_ws()
            if self.peek() not in _VALUE_QUOTES:
                if not items and self.peek() == ")":
                    raise self.fail("an IN list must not be empty", "a quoted string")
                raise self.unexpected("a quoted string")
            items.append(self.quoted())
            self.skip_ws()
            if self.peek() == ")":
                self.pos += 1
                return tuple(items)
            if self.peek() != ",":
                raise self.unexpected("',' or ')'")
            self.pos += 1


# -- public API -------------------------------------------------------------------------------------------
def _parse_filter(text: str | None, schema: _Schema) -> list[Comparison]:
    if text is None:
        return []
    if not isinstance(text, str):
        raise InvalidArgument(f"filter must be a string, not {type(text).__name__}", field="filter")
    parser = _Parser(text, schema, "filter")
    return [] if parser.at_end() else parser.filter()


def _parse_order_by(clauses: Sequence[str] | None, schema: _Schema) -> list[OrderBy]:
    if clauses is None:
        return []
    if isinstance(clauses, str):
        raise InvalidArgument("order_by must be a list of strings, not a single string", field="order_by")
    order: list[OrderBy] = []
    for clause in clauses:
        if not isinstance(clause, str):
            raise InvalidArgument(f"order_by entries must be strings, got {clause!r}", field="order_by")
        parser = _Parser(clause, schema, "order_by")
        parsed = parser.order_clause()
        if any(o.kind is parsed.kind and o.key == parsed.key for o in order):
            raise parser.fail("duplicate order_by key", "a key not already ordered by", 0)
        order.append(parsed)
    return order


def parse_run_filter(text: str | None) -> list[Comparison]:
    """Parse a search_runs filter such as ``metrics.rmse < 0.5 AND params.model = 'rf'``; blank means all."""
    return _parse_filter(text, _RUNS)


def parse_run_order_by(clauses: Sequence[str] | None) -> list[OrderBy]:
    """Parse search_runs order_by clauses such as ``["metrics.rmse ASC", "start_time DESC"]``."""
    return _parse_order_by(clauses, _RUNS)


def parse_experiment_filter(text: str | None) -> list[Comparison]:
    """Parse a search_experiments filter: attributes (``name LIKE 'x%'``) and ``tags.<key>`` only."""
    return _parse_filter(text, _EXPERIMENTS)


def parse_experiment_order_by(clauses: Sequence[str] | None) -> list[OrderBy]:
    """Parse search_experiments order_by clauses: attributes and ``tags.<key>`` only."""
    return _parse_order_by(clauses, _EXPERIMENTS)


def parse_logged_model_filter(text: str | None) -> list[Comparison]:
    """Parse a search_logged_models filter: attributes (``name = 'model'``, ``status = 'READY'``,
    ``source_run_id = '…'``, ``creation_timestamp > 0``) and ``metrics.``, ``params.``, ``tags.<key>``."""
    return _parse_filter(text, _LOGGED_MODELS)


def parse_logged_model_order_field(field_name: str) -> OrderBy:
    """Parse the ``field_name`` of a logged-model ordering (an attribute or ``metrics.<key>``), ascending.

    A trailing ``ASC``/``DESC`` is accepted too, so ``"metrics.acc DESC"`` works as a whole clause.
    """
    if not isinstance(field_name, str):
        raise InvalidArgument(f"order_by field_name must be a string, got {field_name!r}", field="order_by")
    return _Parser(field_name, _LOGGED_MODEL_ORDER, "order_by").order_clause()


def parse_logged_model_order_by(
    items: Sequence[str | Mapping[str, Any]] | None,
) -> list[LoggedModelOrderBy]:
    """Orderings of a logged-model search: MLflow's dicts (``{"field_name": "metrics.acc", "ascending": False,
    "dataset_name": ..., "dataset_digest": ...}``) or clauses such as ``"creation_timestamp DESC"``."""
    if items is None:
        return []
    if isinstance(items, str | Mapping):
        raise InvalidArgument("order_by must be a list of orderings", field="order_by")
    return [_logged_model_order(item) for item in items]


def _logged_model_order(item: str | Mapping[str, Any]) -> LoggedModelOrderBy:
    if isinstance(item, str):
        parsed = parse_logged_model_order_field(item)
        return LoggedModelOrderBy(parsed.kind, parsed.key, parsed.ascending)
    if not isinstance(item, Mapping):
        raise InvalidArgument(f"order_by entries are dicts or strings, got {item!r}", field="order_by")
    field_name = item.get("field_name")
    if not field_name:
        raise InvalidArgument("Missing value for required parameter 'order_by.field_name'.", field="order_by")
    parsed = parse_logged_model_order_field(field_name)
    ascending = item.get("ascending", True)
    if not isinstance(ascending, bool):
        message = f"order_by ascending must be true or false, got {ascending!r}"
        raise InvalidArgument(message, field="order_by")
    dataset_name, dataset_digest = item.get("dataset_name") or None, item.get("dataset_digest") or None
    if (dataset_name or dataset_digest) and parsed.kind is not EntityKind.METRIC:
        raise InvalidArgument(
            f"dataset_name and dataset_digest apply to metrics only, not to {field_name!r}", field="order_by"
        )
    if dataset_digest and not dataset_name:
        raise InvalidArgument("order_by dataset_digest needs a dataset_name", field="order_by")
    for name, value in (("dataset_name", dataset_name), ("dataset_digest", dataset_digest)):
        if value is not None and not isinstance(value, str):
            raise InvalidArgument(f"order_by {name} must be a string, got {value!r}", field="order_by")
    descending = not ascending or not parsed.ascending  # ``ascending: False`` or a clause ending in DESC
    return LoggedModelOrderBy(parsed.kind, parsed.key, not descending, dataset_name, dataset_digest)


def _quote(text: str, quote: str) -> str:
    """Quote ``text`` so that :meth:`_Parser.quoted` reads it back unchanged."""
    out: list[str] = []
    for i, ch in enumerate(text):
        following = text[i + 1 : i + 2]
        if ch == quote:
            out.append(quote + quote)
        elif ch == "\\" and (not following or following in _ESCAPABLE):  # else it would escape what follows
            out.append("\\\\")
        else:
            out.append(ch)
    return f"{quote}{''.join(out)}{quote}"


def _format_value(value: Value) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_quote(item, "'") for item in value) + ")"
    if isinstance(value, str):
        return _quote(value, "'")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidArgument(f"cannot search for the non-finite number {number}", field="filter")
    return str(int(number)) if number.is_integer() and abs(number) < 2**53 else repr(number)


def format_filter(comparisons: Sequence[Comparison]) -> str:
    """The canonical filter text for ``comparisons``; the parse functions read it back to the same list."""
    return " AND ".join(f"{c.kind}.{_quote(c.key, '`')} {c.op} {_format_value(c.value)}" for c in comparisons)


def format_order_by(order: Sequence[OrderBy]) -> list[str]:
    """The canonical order_by clauses for ``order``, e.g. ``["metrics.`rmse` DESC"]``."""
    return [f"{o.kind}.{_quote(o.key, '`')} {'ASC' if o.ascending else 'DESC'}" for o in order]
