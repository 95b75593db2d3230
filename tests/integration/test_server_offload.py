"""Endpoints run store calls on the event loop for embedded SQLite, in the thread pool for network stores."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from flowtrack.server.offload import store_call
from flowtrack.server.services.base import StoreService
from flowtrack.server.services.logged_models import LoggedModelService
from flowtrack.server.services.tracking import TrackingService


def test_only_embedded_sqlite_runs_inline(db_uri: str, store: Any) -> None:
    expected = db_uri.startswith("sqlite")
    assert store.answers_in_process is expected
    assert TrackingService(store).inline is expected
    assert LoggedModelService(store).inline is expected


def _thread_of_call(*services: StoreService) -> tuple[int, int]:
    @store_call
    def endpoint(name: str, **services: StoreService) -> str:
        return f"{name}:{threading.get_ident()}"

    async def main() -> tuple[int, int]:
        kwargs = {f"service_{index}": service for index, service in enumerate(services)}
        answer = await endpoint(name="call", **kwargs)
        label, ident = answer.split(":")
        assert label == "call"
        return threading.get_ident(), int(ident)

    return asyncio.run(main())


def test_inline_services_run_on_the_event_loop_thread() -> None:
    loop_thread, call_thread = _thread_of_call(StoreService(inline=True))
    assert call_thread == loop_thread


def test_one_network_service_sends_the_call_to_the_pool() -> None:
    loop_thread, call_thread = _thread_of_call(StoreService(inline=True), StoreService(inline=False))
    assert call_thread != loop_thread


def test_a_call_without_services_goes_to_the_pool() -> None:
    loop_thread, call_thread = _thread_of_call()
    assert call_thread != loop_thread


def test_the_wrapped_endpoint_keeps_its_signature_for_fastapi() -> None:
    import inspect

    def endpoint(body: str, service: StoreService) -> str:
        return body

    wrapped = store_call(endpoint)
    assert inspect.iscoroutinefunction(wrapped)
    assert list(inspect.signature(wrapped).parameters) == ["body", "service"]
