"""Task options: custom result serializers, failing cache keys, and bad values refused at decoration."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import flowtrack
from flowtrack.exceptions import InvalidArgument
from flowtrack.orchestration.entities import FlowRunFilter, StateType
from flowtrack.orchestration.results import ResultStore
from flowtrack.orchestration.states import State
from flowtrack.orchestration.stores.registry import get_orchestration_store


class Reversed:
    """A serializer object of the user's: JSON written backwards, so only its own loads can read it."""

    name = "reversed-json"

    def __init__(self) -> None:
        self.loaded = 0

    def dumps(self, value: Any) -> bytes:
        return json.dumps(value).encode()[::-1]

    def loads(self, data: bytes) -> Any:
        self.loaded += 1
        return json.loads(data[::-1])


class Nameless:
    def dumps(self, value: Any) -> bytes:
        return repr(value).encode()

    def loads(self, data: bytes) -> Any:
        return int(data)


def _header(path: Path) -> dict[str, Any]:
    head, _, _ = path.read_bytes().partition(b"\n")
    parsed: dict[str, Any] = json.loads(head)
    return parsed


def test_a_custom_serializer_object_persists_and_reads_back_its_results(tmp_path: Path) -> None:
    serializer = Reversed()
    calls: list[int] = []

    @flowtrack.task(
        cache_policy=flowtrack.INPUTS, result_storage=str(tmp_path / "cache"), result_serializer=serializer
    )
    def doubled(x: int) -> dict[str, int]:
        calls.append(x)
        return {"double": 2 * x}

    kept_where = str(tmp_path / "results")

    @flowtrack.task(persist_result=True, result_storage=kept_where, result_serializer=serializer)
    def kept() -> list[int]:
        return [1, 2]

    @flowtrack.flow
    def serializing() -> tuple[list[str], list[int]]:
        states = [doubled(4, return_state=True), doubled(4, return_state=True)]
        assert [s.result() for s in states] == [{"double": 8}, {"double": 8}]
        return [s.name for s in states], kept()

    assert serializing() == (["Completed", "Cached"], [1, 2])
    assert calls == [4]
    assert serializer.loaded == 1  # the cache hit was read back by the same object
    (cached,) = (tmp_path / "cache").iterdir()
    (persisted,) = (tmp_path / "results").iterdir()
    assert _header(cached)["serializer"] == _header(persisted)["serializer"] == "reversed-json"
    assert persisted.read_bytes().endswith(b"]2 ,1[")


def test_a_serializer_without_a_name_is_named_by_its_class(tmp_path: Path) -> None:
    store = ResultStore(str(tmp_path), Nameless())
    store.write("key", 41)
    assert _header(tmp_path / "key")["serializer"] == "Nameless"
    stored = store.read("key")
    assert stored is not None
    assert stored.value == 41


def test_an_object_without_dumps_and_loads_is_refused_as_a_serializer() -> None:
    with pytest.raises(InvalidArgument) as caught:
        flowtrack.task(result_serializer=object())(lambda: None)
    assert caught.value.field == "result_serializer"


class KeyRefused(RuntimeError):
    pass


def _refuse_key(context: Any, parameters: Any) -> str:
    raise KeyRefused(f"no key for {dict(parameters)}")


def test_a_cache_key_fn_that_raises_fails_the_task_run_and_leaves_nothing_pending() -> None:
    @flowtrack.task(cache_key_fn=_refuse_key)
    def keyed(x: int) -> int:
        return x

    @flowtrack.flow
    def refusing_keys() -> list[State]:
        called = keyed(1, return_state=True)
        submitted = keyed.submit(2)
        submitted.wait()
        return [called, submitted.state]

    states = refusing_keys()
    assert [s.type for s in states] == [StateType.FAILED, StateType.FAILED]
    for state in states:
        with pytest.raises(KeyRefused, match="no key for"):
            state.result()
    store = get_orchestration_store()
    (flow_run,) = store.list_flow_runs(FlowRunFilter(flow_names=("refusing_keys",)))
    assert flow_run.state_type is StateType.COMPLETED
    runs = store.list_task_runs(flow_run.id)
    assert [r.state_type for r in runs] == [StateType.FAILED, StateType.FAILED]
    assert all("KeyRefused" in (r.state_message or "") for r in runs)


def test_a_cache_key_fn_that_raises_outside_a_flow_raises_from_the_call() -> None:
    @flowtrack.task(cache_key_fn=_refuse_key)
    def keyed_alone(x: int) -> int:
        return x

    @flowtrack.task(cache_key_fn=_refuse_key)
    async def keyed_async(x: int) -> int:
        return x

    assert keyed_alone(3, return_state=True).is_failed()
    with pytest.raises(KeyRefused):
        keyed_alone(3)
    assert asyncio.run(keyed_async(4, return_state=True)).is_failed()
    with pytest.raises(KeyRefused):
        asyncio.run(keyed_async(4))


def _field_of(**options: Any) -> str | None:
    with pytest.raises(InvalidArgument) as caught:
        flowtrack.task(**options)(lambda: None)
    return caught.value.field


@pytest.mark.parametrize(
    ("option", "bad"),
    [
        ("retry_delay_seconds", "soon"),
        ("retry_delay_seconds", None),
        ("retry_delay_seconds", [1, "two"]),
        ("retry_delay_seconds", {"first": 1}),
        ("retry_delay_seconds", lambda retries: "soon"),
        ("retry_delay_seconds", -1),
        ("cache_expiration", "1h"),
        ("cache_expiration", -5),
        ("cache_expiration", timedelta(seconds=-1)),
        ("cache_expiration", True),
        ("cache_policy", "INPUTS"),
        ("cache_policy", lambda: None),
        ("cache_key_fn", "fixed"),
        ("on_completion", ["not callable"]),
        ("on_failure", print),
        ("on_failure", [print, 3]),
    ],
)
def test_a_bad_task_option_is_refused_at_decoration_naming_it(option: str, bad: Any) -> None:
    assert _field_of(retries=2, **{option: bad}) == option
    assert _field_of(**{option: bad}) == option  # also without retries, where no delay is ever used


@pytest.mark.parametrize(
    ("option", "bad"),
    [
        ("retry_delay_seconds", "soon"),
        ("on_completion", [42]),
        ("on_failure", ["x"]),
        ("on_cancellation", [None]),
        ("on_crashed", print),
    ],
)
def test_a_bad_flow_option_is_refused_at_decoration_naming_it(option: str, bad: Any) -> None:
    with pytest.raises(InvalidArgument) as caught:
        flowtrack.flow(retries=1, **{option: bad})(lambda: None)
    assert caught.value.field == option


def test_good_option_values_are_still_accepted() -> None:
    accepted = flowtrack.task(
        retries=3,
        retry_delay_seconds=[1, 2.5],
        cache_policy=flowtrack.INPUTS + flowtrack.TASK_SOURCE,
        cache_expiration=timedelta(minutes=1),
        on_completion=[print],
        on_failure=(print,),
    )(lambda: None)
    assert accepted.retry_delays == (1.0, 2.5, 2.5)
    assert accepted.cache_expiration_ms == 60_000
    backoff = flowtrack.exponential_backoff(1)
    assert flowtrack.task(retries=2, retry_delay_seconds=backoff)(lambda: None).retry_delays == (1.0, 2.0)
