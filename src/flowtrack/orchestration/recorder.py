"""The batched recorder: the engine's only way to the orchestration store.

Records accumulate in memory (a run's newest record replaces its older ones) and go to the store as one
``WriteBatch``: on a short timer, when many are pending, and synchronously when a top-level flow ends, so
nothing is lost when a flow returns or fails. The same thread heartbeats running flow runs so the store can
tell a live run from one whose process died.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from typing import Protocol

from flowtrack._internal.clock import now_ms
from flowtrack.config.settings import load_settings
from flowtrack.exceptions import NotFound
from flowtrack.orchestration.entities import (
    FlowRecord,
    FlowRunRecord,
    LogRecord,
    StateRecord,
    StateType,
    TaskEdge,
    TaskRunRecord,
    WriteBatch,
)
from flowtrack.orchestration.interrupts import stop_flow_run
from flowtrack.orchestration.stores.base import OrchestrationStore

__all__ = ["FLUSH_INTERVAL_S", "HEARTBEAT_INTERVAL_S", "Recorder", "heartbeat_interval", "recorder_for"]

FLUSH_INTERVAL_S = 0.5
HEARTBEAT_INTERVAL_S = 10.0
CANCEL_CHECK_INTERVAL_S = 1.0
MAX_PENDING = 2_000

_log = logging.getLogger(__name__)


class TaskRunSource(Protocol):
    """A live task run: cheaper to note on every state change than a record, built once per batch."""

    id: str

    def task_run_record(self) -> TaskRunRecord: ...


class Recorder:
    """Collects records and flushes them to its store; a worker process's recorder has no store."""

    def __init__(
        self,
        store: OrchestrationStore | None,
        heartbeat_interval_s: float = HEARTBEAT_INTERVAL_S,
        lease_ms: int | None = None,
    ) -> None:
        self.store = store
        self.heartbeat_interval_s = heartbeat_interval_s
        self.lease_ms = lease_ms  # recorded with each flow run: readers judge its heartbeats by it
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()  # keeps batches in order: a newer batch never lands first
        self._wake = threading.Event()
        self._flow_runs: dict[str, FlowRunRecord] = {}
        self._task_runs: dict[str, TaskRunRecord | TaskRunSource] = {}
        self._batch = WriteBatch()
        self._pending = 0
        self._unwritten: WriteBatch | None = None
        self._running: set[str] = set()
        self._thread: threading.Thread | None = None
        self._last_write = 0.0
        self.cancel_requested: set[str] = set()  # flow runs cancelled from outside; the engine stops them

    # -- collecting (any thread) ----------
    def flow(self, record: FlowRecord) -> None:
        with self._lock:
            self._batch.flows.append(record)

    def flow_run(self, record: FlowRunRecord, state: StateRecord | None = None) -> None:
        with self._lock:
            self._flow_runs[record.id] = record
            if state is not None:
                self._batch.states.append(state)
            if record.state_type.is_final:
                self._running.discard(record.id)
            else:
                self._running.add(record.id)
                self._ensure_thread()
        self._wake.set()  # flow-level changes are rare and worth showing promptly

    def task_run(self, source: TaskRunSource, state: StateRecord | None = None) -> None:
        """Note a task run's change; its record is built from ``source`` when the batch is taken."""
        with self._lock:
            self._task_runs[source.id] = source
            if state is not None:
                self._batch.states.append(state)
            self._pending += 1
            full = self._pending >= MAX_PENDING
        if full:
            self._flush_full()

    def edges(self, edges: list[TaskEdge]) -> None:
        with self._lock:
            self._batch.edges.extend(edges)

    def log(self, record: LogRecord) -> None:
        with self._lock:
            self._batch.logs.append(record)
            self._pending += 1
            full = self._pending >= MAX_PENDING
        if full:
            self._flush_full()

    def merge(self, batch: WriteBatch) -> None:
        """Fold in what a worker process collected."""
        with self._lock:
            self._batch.flows.extend(batch.flows)
            self._batch.states.extend(batch.states)
            self._batch.edges.extend(batch.edges)
            self._batch.logs.extend(batch.logs)
            for flow_run in batch.flow_runs:
                self._flow_runs[flow_run.id] = flow_run
            for task_run in batch.task_runs:
                self._task_runs[task_run.id] = task_run
            self._pending += len(batch.task_runs) + len(batch.logs)

    def take(self) -> WriteBatch:
        with self._lock:
            batch = self._batch
            batch.flow_runs = list(self._flow_runs.values())
            batch.task_runs = [
                r if isinstance(r, TaskRunRecord) else r.task_run_record() for r in self._task_runs.values()
            ]
            self._batch = WriteBatch()
            self._flow_runs = {}
            self._task_runs = {}
            self._pending = 0
        return batch

    # -- writing ----------
    def flush(self) -> None:
        """Write everything collected so far; raises when the store fails (the records are kept)."""
        if self.store is None:
            return
        with self._write_lock:
            self._write_taken()

    def _write_taken(self) -> None:  # called with self._write_lock held
        assert self.store is not None
        batch = self._unwritten or WriteBatch()
        self._unwritten = None
        _extend(batch, self.take())
        if not batch:
            return
        self._last_write = time.monotonic()
        try:
            self.store.write(batch)
        except BaseException:
            self._unwritten = batch
            raise

    def _flush_full(self) -> None:
        """Write a full batch in the producing thread.

        A busy flow writing through the background thread would make the two threads fight over the GIL
        (each database call hands it over and waits to get it back); writing in place costs the flow the
        same work without the fight. Another thread already writing means the batch is being taken care of.
        """
        if self.store is None or not self._write_lock.acquire(blocking=False):
            return
        try:
            self._write_taken()
        finally:
            self._write_lock.release()

    def request_flush(self) -> None:
        self._wake.set()

    def start(self) -> None:
        """Make sure the background flush-and-heartbeat thread runs."""
        with self._lock:
            self._ensure_thread()

    def _ensure_thread(self) -> None:  # called with self._lock held
        if self._thread is None and self.store is not None:
            self._thread = threading.Thread(target=self._loop, name="flowtrack-recorder", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        """Flush on a timer and heartbeat; end once no flow run is running and nothing is left to write."""
        next_heartbeat = next_cancel_check = 0.0
        while True:
            woken = self._wake.wait(FLUSH_INTERVAL_S)
            self._wake.clear()
            try:
                if woken or time.monotonic() - self._last_write >= FLUSH_INTERVAL_S:
                    self.flush()
                next_heartbeat = self._maybe_heartbeat(next_heartbeat)
                next_cancel_check = self._maybe_check_cancellations(next_cancel_check)
            except Exception:  # noqa: BLE001 - the thread must survive a store outage; the batch is kept
                _log.warning("flowtrack could not record orchestration state; will retry", exc_info=True)
                continue
            with self._lock:
                idle = not (self._batch or self._task_runs or self._flow_runs or self._unwritten)
                if idle and not self._running:
                    self._thread = None
                    return

    def _maybe_heartbeat(self, due_ms: float) -> float:
        now = now_ms()
        if now < due_ms:
            return due_ms
        with self._lock:
            running = sorted(self._running)
        if running and self.store is not None:
            self.store.heartbeat(running, now)
        return now + self.heartbeat_interval_s * 1000

    def _maybe_check_cancellations(self, due: float) -> float:
        """Ask the store whether a running flow run was cancelled from outside (it then reads CANCELLING)."""
        now = time.monotonic()
        if now < due or self.store is None:
            return due
        with self._lock:
            running = [run_id for run_id in self._running if run_id not in self.cancel_requested]
        for run_id in running:
            try:
                state = self.store.get_flow_run(run_id).state_type
            except NotFound:  # not written yet
                continue
            if state in (StateType.CANCELLING, StateType.CANCELLED):
                self.cancel_requested.add(run_id)
                stop_flow_run(run_id)  # interrupts its running bodies instead of waiting for a task boundary
        return now + CANCEL_CHECK_INTERVAL_S


def _extend(into: WriteBatch, more: WriteBatch) -> None:
    """Append ``more`` after ``into``; runs present in both keep the newer record."""
    into.flows.extend(more.flows)
    newer_flow_runs = {r.id for r in more.flow_runs}
    into.flow_runs = [r for r in into.flow_runs if r.id not in newer_flow_runs] + more.flow_runs
    newer_task_runs = {r.id for r in more.task_runs}
    into.task_runs = [r for r in into.task_runs if r.id not in newer_task_runs] + more.task_runs
    into.states.extend(more.states)
    into.edges.extend(more.edges)
    into.logs.extend(more.logs)


_recorders: dict[int, Recorder] = {}
_recorders_lock = threading.Lock()


def heartbeat_interval(lease_seconds: float) -> float:
    """Three heartbeats per lease at least, so one late beat never lets a live run read back CRASHED."""
    return min(HEARTBEAT_INTERVAL_S, lease_seconds / 3)


def recorder_for(store: OrchestrationStore) -> Recorder:
    """The process-wide recorder of ``store`` (one background thread per store)."""
    recorder = _recorders.get(id(store))
    if recorder is None or recorder.store is not store:
        with _recorders_lock:
            recorder = _recorders.get(id(store))
            if recorder is None or recorder.store is not store:
                lease_seconds = load_settings().flow_run_lease_seconds
                recorder = _recorders[id(store)] = Recorder(
                    store, heartbeat_interval(lease_seconds), max(1, round(lease_seconds * 1000))
                )
    recorder.start()
    return recorder


@atexit.register
def _flush_all() -> None:
    for recorder in list(_recorders.values()):
        try:
            recorder.flush()
        except Exception:  # noqa: BLE001 - at exit there is no caller left to raise to
            _log.warning("flowtrack lost orchestration records at exit", exc_info=True)
