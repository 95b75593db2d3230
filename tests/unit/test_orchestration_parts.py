"""The engine's pure parts: states, retry delays, cache keys, parameter checks, hooks registration."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import pytest

from flowtrack.exceptions import InvalidArgument
from flowtrack.orchestration.caching import INPUTS, NO_CACHE, NONE, TASK_SOURCE, CacheContext, cache_key
from flowtrack.orchestration.entities import StateType
from flowtrack.orchestration.errors import ParameterValidationError
from flowtrack.orchestration.hooks import (
    OrchestrationHooks,
    capture_task_context,
    register_hooks,
    registered_hooks,
    unregister_hooks,
)
from flowtrack.orchestration.parameters import ParameterBinder
from flowtrack.orchestration.retries import exponential_backoff, retry_delays, with_jitter
from flowtrack.orchestration.states import (
    Cached,
    Completed,
    Crashed,
    Failed,
    Pending,
    Retrying,
    TimedOut,
    UnfinishedRun,
)


def test_completed_state_returns_its_value_and_answers_predicates() -> None:
    state = Completed(42)
    assert state.result() == 42
    assert state.is_completed()
    assert state.is_final()
    assert not state.is_failed()
    assert state.type is StateType.COMPLETED
    assert state.name == "Completed"
    assert abs(state.timestamp - datetime.now(UTC)).total_seconds() < 5


def test_named_variants_keep_their_base_type() -> None:
    assert Cached(1).type is StateType.COMPLETED
    assert Cached(1).name == "Cached"
    assert Retrying().type is StateType.RUNNING
    assert Retrying().name == "Retrying"
    assert TimedOut(TimeoutError("slow")).type is StateType.FAILED
    assert Crashed(KeyboardInterrupt()).is_crashed()


def test_failed_state_raises_its_error_or_returns_it() -> None:
    error = ValueError("boom")
    state = Failed(error)
    with pytest.raises(ValueError, match="boom"):
        state.result()
    assert state.result(raise_on_failure=False) is error
    assert state.message == "ValueError: boom"


def test_pending_state_has_no_result() -> None:
    with pytest.raises(UnfinishedRun):
        Pending().result()


def test_retry_delays_from_number_list_and_backoff() -> None:
    assert retry_delays(2, 3) == (2.0, 2.0, 2.0)
    assert retry_delays([1, 5], 4) == (1.0, 5.0, 5.0, 5.0)
    assert retry_delays(exponential_backoff(3), 4) == (3.0, 6.0, 12.0, 24.0)
    assert retry_delays(0, 0) == ()


def test_bad_retry_delays_name_the_option() -> None:
    with pytest.raises(InvalidArgument) as caught:
        retry_delays([-1], 2)
    assert caught.value.field == "retry_delay_seconds"
    with pytest.raises(InvalidArgument):
        retry_delays([], 1)


def test_jitter_stretches_a_delay_by_at_most_its_factor() -> None:
    values = [with_jitter(10, 0.5) for _ in range(200)]
    assert all(10 <= v <= 15 for v in values)
    assert len(set(values)) > 1
    assert with_jitter(10, None) == 10


def _context(fn: object, **parameters: object) -> CacheContext:
    return CacheContext("mod.fn", "fn", fn, parameters)  # type: ignore[arg-type]


def _add(x: int, y: int) -> int:
    return x + y


def _mul(x: int, y: int) -> int:
    return x * y


def test_inputs_keys_follow_the_arguments() -> None:
    assert cache_key(INPUTS, None, _context(_add, x=1, y=2)) == cache_key(
        INPUTS, None, _context(_add, y=2, x=1)
    )
    assert cache_key(INPUTS, None, _context(_add, x=1, y=2)) != cache_key(
        INPUTS, None, _context(_add, x=1, y=3)
    )


def test_task_source_keys_follow_the_code() -> None:
    assert cache_key(TASK_SOURCE, None, _context(_add)) != cache_key(TASK_SOURCE, None, _context(_mul))


def test_policies_combine_with_plus_and_no_cache_turns_caching_off() -> None:
    both = INPUTS + TASK_SOURCE
    key = cache_key(both, None, _context(_add, x=1, y=2))
    assert key is not None
    assert key != cache_key(INPUTS, None, _context(_add, x=1, y=2))
    assert key != cache_key(both, None, _context(_mul, x=1, y=2))
    assert cache_key(NO_CACHE, None, _context(_add, x=1, y=2)) is None
    assert NONE is NO_CACHE
    assert repr(NO_CACHE + INPUTS) == "INPUTS"


def test_a_cache_key_fn_decides_the_key() -> None:
    key = cache_key(None, lambda ctx, params: f"k-{params['x']}", _context(_add, x=7, y=0))
    assert key == "k-7"
    assert cache_key(None, lambda ctx, params: "../escape", _context(_add, x=7, y=0)) != "../escape"


def _typed(
    n: int, rate: float, names: list[str], mode: Literal["a", "b"] = "a", note: str | None = None
) -> None:
    return None


def test_binder_accepts_matching_arguments() -> None:
    binder = ParameterBinder(_typed, "flow 'typed'", validate=True)
    assert binder.bind((1, 2, ["x"]), {}) == {"n": 1, "rate": 2, "names": ["x"], "mode": "a", "note": None}


@pytest.mark.parametrize(
    ("args", "kwargs", "field", "words"),
    [
        (("1", 2.0, []), {}, "n", "expected int, got str '1'"),
        ((1, "fast", []), {}, "rate", "expected float"),
        ((1, 2.0, ["a", 3]), {}, "names", "item 1 = 3"),
        ((1, 2.0, []), {"mode": "c"}, "mode", "Literal"),
        ((True, 2.0, []), {}, "n", "expected int, got bool"),
    ],
)
def test_binder_names_the_bad_parameter(
    args: tuple[object, ...], kwargs: dict[str, object], field: str, words: str
) -> None:
    binder = ParameterBinder(_typed, "flow 'typed'", validate=True)
    with pytest.raises(ParameterValidationError) as caught:
        binder.bind(args, kwargs)
    assert caught.value.field == field
    assert words in str(caught.value)
    assert "flow 'typed'" in str(caught.value)


def test_binder_reports_missing_and_unknown_arguments() -> None:
    binder = ParameterBinder(_typed, "flow 'typed'", validate=False)
    with pytest.raises(ParameterValidationError, match="missing a required argument: 'rate'"):
        binder.bind((1,), {})
    with pytest.raises(ParameterValidationError, match="unexpected keyword argument 'bogus'"):
        binder.bind((1, 2.0, []), {"bogus": 1})


def test_binder_without_validation_lets_any_value_through() -> None:
    binder = ParameterBinder(_typed, "flow 'typed'", validate=False)
    assert binder.bind(("1", "x", 3), {})["n"] == "1"


class _Recording(OrchestrationHooks):
    def capture_task_context(self) -> object:
        return "payload"


def test_hooks_register_once_per_class_and_capture_payloads() -> None:
    first, second = _Recording(), _Recording()
    register_hooks(first)
    register_hooks(second)
    try:
        assert [h for h in registered_hooks() if isinstance(h, _Recording)] == [second]
        assert (second, "payload") in capture_task_context()
    finally:
        unregister_hooks(second)
    assert second not in registered_hooks()


def _plain(a: int, b: int = 2, c: str = "x") -> None:
    return None


def test_plain_signatures_bind_positional_keyword_and_defaults() -> None:
    binder = ParameterBinder(_plain, "task 'plain'", validate=True)
    assert binder.bind((1,), {"c": "y"}) == {"a": 1, "b": 2, "c": "y"}
    assert binder.bind((), {"a": 5}) == {"a": 5, "b": 2, "c": "x"}
    with pytest.raises(ParameterValidationError, match="multiple values for argument 'a'"):
        binder.bind((1,), {"a": 2})
    with pytest.raises(ParameterValidationError, match="too many positional arguments"):
        binder.bind((1, 2, "z", 4), {})
    with pytest.raises(ParameterValidationError) as caught:
        binder.bind((1,), {"c": 3})
    assert caught.value.field == "c"
