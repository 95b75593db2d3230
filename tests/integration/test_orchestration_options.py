"""Task options: custom result serializers, failing cache keys, and bad values refused at decoration."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import flowtrack
from flowtrack.exceptions import InvalidArgument
from flowtrack.orchestration.results import ResultStore


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
