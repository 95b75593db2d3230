"""Flows with their newest run and run count in one store call: SQL (a fixed number of statements, whatever
the number of flows) and REST (``GET /api/v1/flows/summaries`` on a real server), on every database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from flowtrack.exceptions import InvalidArgument
from flowtrack.orchestration.entities import (
    FlowRecord,
    FlowRunRecord,
    FlowSummary,
    StateType,
    WriteBatch,
)
from flowtrack.orchestration.stores.rest.store import RestOrchestrationStore
from flowtrack.orchestration.stores.sql.store import SqlOrchestrationStore
from tests.fixtures.server import RunningServer, running_server

T0 = 1_700_000_000_000


def new_id() -> str:
    return uuid.uuid4().hex


def flow_run(
    flow: str, created_ms: int, state: StateType = StateType.COMPLETED, **fields: Any
) -> FlowRunRecord:
    values: dict[str, Any] = {
        "id": new_id(),
        "flow_id": f"id-{flow}",
        "flow_name": flow,
        "name": f"run-{created_ms}",
        "state_type": state,
        "state_name": state.value.title(),
        "parameters": {},
        "tags": ("t",),
        "created_ms": created_ms,
        "start_ms": created_ms,
        "end_ms": created_ms + 5,
    }
    values.update(fields)
    return FlowRunRecord(**values)


def seed(store: SqlOrchestrationStore | RestOrchestrationStore, prefix: str, flows: int) -> dict[str, Any]:
    """``flows`` flows with i+1 runs each (the newest one FAILED), and one flow that never ran."""
    batch = WriteBatch()
    newest: dict[str, FlowRunRecord] = {}
    for i in range(flows):
        name = f"{prefix}-{i:03d}"
        batch.flows.append(FlowRecord(f"id-{name}", name, T0, ("ml",)))
        runs = [flow_run(name, T0 + 10 * k) for k in range(i + 1)]
        runs[-1] = flow_run(name, T0 + 10 * i, StateType.FAILED)
        batch.flow_runs.extend(runs)
        newest[name] = runs[-1]
    idle = f"{prefix}-idle"
    batch.flows.append(FlowRecord(f"id-{idle}", idle, T0))
    store.write(batch)
    return {"newest": newest, "idle": idle}


def check_summaries(summaries: list[FlowSummary], seeded: dict[str, Any], prefix: str, flows: int) -> None:
    mine = [summary for summary in summaries if summary.flow.name.startswith(prefix)]
    assert [summary.flow.name for summary in mine] == [*sorted(seeded["newest"]), seeded["idle"]]
    for i, name in enumerate(sorted(seeded["newest"])):
        summary = mine[i]
        assert summary.flow == FlowRecord(f"id-{name}", name, T0, ("ml",))
        assert summary.run_count == i + 1
        assert summary.latest_run == seeded["newest"][name]
    assert mine[-1].latest_run is None
    assert mine[-1].run_count == 0
    assert len(mine) == flows + 1


class StatementCounter:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.count = 0

    def __enter__(self) -> StatementCounter:
        sa.event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc: object) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.strip().upper() != "BEGIN":  # SQLite's explicit transaction start is not a query
            self.count += 1


@pytest.fixture
def orch(db_uri: str) -> Iterator[SqlOrchestrationStore]:
    store = SqlOrchestrationStore(db_uri)
    yield store
    store.close()


def statements_for(orch: SqlOrchestrationStore, prefix: str, flows: int) -> int:
    seeded = seed(orch, prefix, flows)
    with StatementCounter(orch._engine) as counter:
        summaries = orch.list_flow_summaries(limit=1000)
    check_summaries(summaries, seeded, prefix, flows)
    return counter.count


def test_the_sql_store_reads_every_flow_and_its_newest_run_in_fixed_statements(
    orch: SqlOrchestrationStore,
) -> None:
    few = statements_for(orch, "few", 2)
    many = statements_for(orch, "many", 40)
    assert few == many
    assert few == 2  # the lease sweep's check and the one summaries statement
    page = orch.list_flow_summaries(limit=5, offset=2)
    assert [summary.flow.name for summary in page] == ["few-idle", *(f"many-{i:03d}" for i in range(4))]


def test_a_lapsed_newest_run_is_summarized_as_crashed(db_uri: str) -> None:
    store = SqlOrchestrationStore(db_uri, lease_seconds=1)
    try:
        silent = flow_run("lapsed", T0, StateType.RUNNING, end_ms=None, heartbeat_ms=T0)
        store.write(WriteBatch(flows=[FlowRecord("id-lapsed", "lapsed", T0)], flow_runs=[silent]))
        [summary] = store.list_flow_summaries()
        assert summary.latest_run is not None
        assert summary.latest_run.id == silent.id
        assert summary.latest_run.state_type is StateType.CRASHED
    finally:
        store.close()


def test_bad_pages_name_their_field(orch: SqlOrchestrationStore) -> None:
    for limit, offset, field in ((0, 0, "limit"), (10, -1, "offset")):
        with pytest.raises(InvalidArgument) as info:
            orch.list_flow_summaries(limit=limit, offset=offset)
        assert info.value.field == field


@pytest.fixture(scope="module")
def server(module_db_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    home = tmp_path_factory.mktemp("flow-summaries-server")
    with running_server(module_db_uri, home / "artifacts", env={"FLOWTRACK_HOME": str(home)}) as running:
        yield running


def test_the_rest_store_reads_the_same_summaries_in_one_request(server: RunningServer) -> None:
    import httpx

    rest = RestOrchestrationStore(server.url)
    try:
        prefix = f"rest-{uuid.uuid4().hex[:6]}"
        seeded = seed(rest, prefix, 5)
        summaries = rest.list_flow_summaries(limit=1000)
        check_summaries(summaries, seeded, prefix, 5)
        with pytest.raises(InvalidArgument, match="'limit'"):
            rest.list_flow_summaries(limit=0)
    finally:
        rest.close()
    with httpx.Client(base_url=server.url) as http:
        response = http.get("/api/v1/flows/summaries", params={"limit": "many"})
        assert response.status_code == 400, response.text
        listed = http.get("/api/v1/flows/summaries", params={"limit": 1000}).json()["flows"]
    idle = next(item for item in listed if item["flow"]["name"] == seeded["idle"])
    assert idle == {
        "flow": {"id": f"id-{seeded['idle']}", "name": seeded["idle"], "created_ms": T0, "tags": []},
        "latest_run": None,
        "run_count": 0,
    }
