"""The web UI's flow-run pages in Debian's Chromium, against a real server whose database real flows wrote.

The flows below run in a child process (``python -c "...; seed(...)"``) with the server's SQLite file as
their tracking URI, so the data is exactly what the engine and the tracking link write: task runs, edges,
states, logs from ``get_run_logger`` and a tracked run per flow run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

import flowtrack
from tests.e2e.ui_support import browser, page, ui_server  # noqa: F401 - fixtures
from tests.fixtures.server import RunningServer

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
BIG_FLOW_TASKS = 10_000
BIG_PAGE_BOUND_S = 10.0  # a smoke bound for the 10,000-task-run page, far above what it takes (printed)
MANY_FLOW_RUNS = 450  # three pages of the list
SCREENSHOTS = Path(os.environ.get("FLOWTRACK_UI_SCREENSHOTS", REPO / "build" / "ui-screenshots"))


# -- the flows -------------------------------------------------------------------------------------------
@flowtrack.task
def extract(rows: int) -> list[int]:
    flowtrack.get_run_logger().info("extracted %d rows", rows)
    return list(range(rows))


@flowtrack.task
def transform(rows: list[int]) -> int:
    flowtrack.get_run_logger().warning("row total is %d", sum(rows))
    return sum(rows)


@flowtrack.task
def load(total: int) -> int:
    if total > 100:
        raise ValueError(f"the warehouse refused a total of {total}")
    return total


@flowtrack.flow(flow_run_name="etl-{rows}", tags=["nightly", "warehouse"])
def etl(rows: int = 5) -> int:
    flowtrack.get_run_logger().info("starting the load of %d rows", rows)
    total = transform.submit(extract.submit(rows))
    return load.submit(total).result()


@flowtrack.task(cache_policy=flowtrack.INPUTS)
def lookup(key: int) -> int:
    return key * 2


@flowtrack.flow(flow_run_name="nightly-{days}")
def nightly(days: int = 1) -> None:
    lookup(days)
    lookup(days)  # the same input: served from the cache
    etl(3)


@flowtrack.task
def square(x: int) -> int:
    return x * x


@flowtrack.flow(flow_run_name="big-{n}")
def big(n: int = BIG_FLOW_TASKS) -> int:
    return sum(square.map(range(n)).result())


@flowtrack.task
def nap(step: int) -> int:
    time.sleep(0.2)
    return step


@flowtrack.flow(flow_run_name="slow")
def slow(steps: int = 600) -> None:
    for step in range(steps):  # one task after another: the engine sees a cancellation between two
        nap(step)


@flowtrack.flow(flow_run_name="tiny-{i:03d}")
def tiny(i: int) -> int:
    return i


def seed(which: str) -> None:
    """Run the flows of ``which`` in this process (the child the tests start)."""
    if which == "main":
        etl(5)
        etl(20, return_state=True)  # load fails: 190 is over 100
        nightly(2)
    elif which == "big":
        big()
    elif which == "many":
        for i in range(MANY_FLOW_RUNS):
            tiny(i)
    elif which == "slow":
        slow(return_state=True)


# -- fixtures --------------------------------------------------------------------------------------------
def flows_process(server: RunningServer, which: str) -> subprocess.Popen[bytes]:
    home = server.artifacts.parent
    # the server's own database, and nothing of the caller's configuration (an API URL would win over it)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("FLOWTRACK_", "MLFLOW_"))}
    env["FLOWTRACK_HOME"] = str(home)
    env["FLOWTRACK_TRACKING_URI"] = f"sqlite:///{home / 'flowtrack.db'}"
    code = f"from tests.e2e.test_ui_flow_runs import seed; seed({which!r})"
    return subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=env, stderr=subprocess.PIPE)


def run_flows(server: RunningServer, which: str) -> None:
    process = flows_process(server, which)
    _, stderr = process.communicate(timeout=180)
    assert process.returncode == 0, stderr.decode(errors="replace")


@dataclass
class Api:
    http: httpx.Client

    def flow_runs(self, **filter_fields: Any) -> list[dict[str, Any]]:
        body = {"filter": filter_fields, "limit": 1000}
        response = self.http.post("/api/v1/flow_runs/filter", json=body)
        assert response.status_code == 200, response.text
        runs: list[dict[str, Any]] = response.json()["flow_runs"]
        return runs

    def flow_run(self, run_id: str) -> httpx.Response:
        return self.http.get(f"/api/v1/flow_runs/{run_id}")

    def by_name(self, name: str) -> dict[str, Any]:
        (run,) = [run for run in self.flow_runs() if run["name"] == name]
        return run


@pytest.fixture(scope="module")
def api(ui_server: RunningServer) -> Iterator[Api]:  # noqa: F811 - the fixture imported above
    run_flows(ui_server, "main")
    with httpx.Client(base_url=ui_server.url, timeout=30) as http:
        yield Api(http)


def screenshot(page: Any, name: str) -> None:  # noqa: F811
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def hover_until_tip(page: Page, position: dict[str, float], text: str) -> None:  # noqa: F811
    """Hover the timeline until its tooltip shows ``text``: under load the canvas may still be laying out
    when the first hover lands, and a pointer already in place sends no new move event, so move off first."""
    deadline = time.monotonic() + 20
    while True:
        page.mouse.move(0, 0)
        page.get_by_test_id("timeline").hover(position=position)
        try:
            expect(page.get_by_test_id("timeline-tip")).to_contain_text(text, timeout=2_000)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise


def grid_rows(page: Any, name: str) -> Any:  # noqa: F811
    return page.get_by_role("grid", name=name).locator(".grid-row")


# -- tests -----------------------------------------------------------------------------------------------
def test_list_shows_flow_runs_with_their_states_and_filters(page: Any, api: Api) -> None:  # noqa: F811
    page.emulate_media(color_scheme="light")
    page.goto("/")
    page.get_by_role("link", name="Flow runs").click()
    page.wait_for_url("**/flow-runs")
    page.get_by_test_id("flow-run-count").filter(has_text="4 flow runs").wait_for()
    rows = grid_rows(page, "Flow runs")
    # newest first: nightly-2's subflow run (made after nightly-2), nightly-2, the failed etl-20, etl-5
    expect(rows.locator("a[href^='/flow-runs/']")).to_have_text(["etl-3", "nightly-2", "etl-20", "etl-5"])
    failed = rows.filter(has_text="etl-20")
    expect(failed.locator(".badge.state-FAILED")).to_have_text("Failed")
    expect(rows.filter(has_text="etl-5").locator(".badge.state-COMPLETED")).to_have_text("Completed")
    expect(failed).to_contain_text("nightly")  # a tag
    screenshot(page, "flow-runs-light")

    page.get_by_role("group", name="States").get_by_role("button", name="failed").click()
    page.wait_for_url(re.compile(r"states=FAILED"))
    page.get_by_test_id("flow-run-count").filter(has_text="1 flow run").wait_for()
    expect(rows.locator("a[href^='/flow-runs/']")).to_have_text(["etl-20"])
    page.get_by_role("group", name="States").get_by_role("button", name="completed").click()
    page.get_by_test_id("flow-run-count").filter(has_text="4 flow runs").wait_for()

    page.get_by_label("Flow", exact=True).select_option("etl")
    page.get_by_test_id("flow-run-count").filter(has_text="3 flow runs").wait_for()
    expect(rows.locator("a[href^='/flow-runs/']")).to_have_text(["etl-3", "etl-20", "etl-5"])
    page.get_by_label("Top-level only").check()  # leaves out etl-3, nightly-2's subflow run
    page.get_by_test_id("flow-run-count").filter(has_text="2 flow runs").wait_for()
    expect(rows.locator("a[href^='/flow-runs/']")).to_have_text(["etl-20", "etl-5"])
    assert "flow=etl" in page.url
    assert "top=1" in page.url
    page.reload()  # the filters live in the URL
    page.get_by_test_id("flow-run-count").filter(has_text="2 flow runs").wait_for()
    expect(page.get_by_label("Top-level only")).to_be_checked()
    assert page.get_by_label("Flow", exact=True).input_value() == "etl"


def test_a_failed_flow_run_shows_its_task_runs_logs_and_states(page: Any, api: Api) -> None:  # noqa: F811
    page.emulate_media(color_scheme="light")
    run = api.by_name("etl-20")
    page.goto("/flow-runs?flow=etl")
    grid_rows(page, "Flow runs").get_by_role("link", name="etl-20", exact=True).click()
    page.wait_for_url(f"**/flow-runs/{run['id']}")
    page.get_by_role("heading", name="etl-20").wait_for()
    expect(page.locator("main .row .badge.state-FAILED").first).to_have_text("Failed")
    expect(page.get_by_test_id("state-message")).to_contain_text("the warehouse refused a total of 190")
    expect(page.get_by_role("table", name="Parameters")).to_contain_text("rows")
    expect(page.get_by_role("table", name="State history")).to_contain_text("Running")
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)  # a final state

    tasks = grid_rows(page, "Task runs")
    expect(tasks).to_have_count(3)
    load_row = tasks.filter(has_text="load")
    expect(load_row.locator(".badge")).to_have_text("Failed")
    expect(tasks.filter(has_text="extract").locator(".badge")).to_have_text("Completed")
    load_row.click()
    details = page.get_by_role("complementary", name="Selected task run")
    expect(details).to_contain_text("the warehouse refused a total of 190")
    upstream = details.get_by_role("list", name="Upstream task runs")
    expect(upstream).to_contain_text("transform")
    expect(upstream).to_contain_text("as total")
    upstream.get_by_role("button", name=re.compile("transform")).click()  # walk up the graph
    expect(details.get_by_role("list", name="Downstream task runs")).to_contain_text("load")
    assert "task=" in page.url

    logs = page.get_by_role("table", name="Logs")
    expect(logs).to_contain_text("starting the load of 20 rows")
    expect(logs).to_contain_text("extracted 20 rows")
    expect(logs.locator("tr", has_text="row total is 190")).to_contain_text("WARNING")
    details.get_by_role("button", name="Show its logs").click()
    expect(logs.locator("tbody tr")).to_have_count(1)
    expect(logs).to_contain_text("row total is 190")
    page.get_by_label("Logs of").select_option("")
    expect(logs).to_contain_text("extracted 20 rows")

    timeline = page.get_by_test_id("timeline")
    box = timeline.bounding_box()
    hover_until_tip(page, {"x": box["width"] / 2, "y": 24 + 9}, "extract")  # the first row under the axis
    screenshot(page, "flow-run-light")
    page.emulate_media(color_scheme="dark")
    page.mouse.move(0, 0)
    screenshot(page, "flow-run-dark")
    page.goto("/flow-runs")
    page.get_by_test_id("flow-run-count").filter(has_text="flow runs").wait_for()
    screenshot(page, "flow-runs-dark")


def test_tracked_run_and_flow_run_link_to_each_other(page: Any, api: Api) -> None:  # noqa: F811
    run = api.by_name("etl-5")
    page.goto(f"/flow-runs/{run['id']}")
    page.get_by_role("link", name="Tracked run").click()
    page.wait_for_url(f"**/runs/{run['tracking_run_id']}")
    page.get_by_role("heading", name="etl-5").wait_for()
    screenshot(page, "tracked-run")
    page.get_by_role("link", name="Flow run", exact=True).click()
    page.wait_for_url(f"**/flow-runs/{run['id']}")
    page.get_by_role("heading", name="etl-5").wait_for()


def test_subflow_runs_are_listed_and_link_to_their_parent(page: Any, api: Api) -> None:  # noqa: F811
    parent, child = api.by_name("nightly-2"), api.by_name("etl-3")
    page.goto(f"/flow-runs/{parent['id']}")
    subflows = page.get_by_role("table", name="Subflow runs")
    subflows.get_by_role("link", name="etl-3").click()
    page.wait_for_url(f"**/flow-runs/{child['id']}")
    page.get_by_role("heading", name="etl-3").wait_for()
    page.get_by_role("link", name="Parent flow run").click()
    page.wait_for_url(f"**/flow-runs/{parent['id']}")
    expect(page.get_by_text("1 subflow runs")).to_be_visible()
    tasks = grid_rows(page, "Task runs")
    expect(tasks.locator(".badge")).to_have_text(["Completed", "Cached", "Cached"])  # state, cache column
    expect(tasks.filter(has_text="lookup-1").locator("code")).to_have_text(re.compile(r"^[0-9a-f]{16}$"))
    screenshot(page, "flow-run-parent")


def test_cancel_a_running_flow_run(page: Any, api: Api, ui_server: RunningServer) -> None:  # noqa: F811
    process = flows_process(ui_server, "slow")
    try:
        deadline = time.monotonic() + 60
        running: list[dict[str, Any]] = []
        while not running and time.monotonic() < deadline:
            running = api.flow_runs(flow_names=["slow"], state_types=["RUNNING"])
            time.sleep(0.2)
        assert running, "the slow flow never ran"
        listing = page.context.new_page()  # the list, open beside the run's page, follows on its own
        listing.goto("/flow-runs?flow=slow")
        expect(grid_rows(listing, "Flow runs").locator(".badge.state-RUNNING")).to_have_text("Running")
        listing.get_by_text("live · refreshes every 5s").wait_for()

        page.goto(f"/flow-runs/{running[0]['id']}")
        page.get_by_text("live · refreshes every 5s").wait_for()
        expect(page.locator("main .row .badge").first).to_have_text("Running")
        screenshot(page, "flow-run-running")
        page.get_by_role("button", name="Cancel").click()
        # CANCELLING until the engine stops the flow, CANCELLED once it has (the page refreshes itself)
        expect(page.locator("main .row .badge.state-CANCELLED")).to_have_text("Cancelled", timeout=30_000)
        expect(page.get_by_role("button", name="Cancel")).to_have_count(0)
        expect(page.get_by_role("table", name="State history")).to_contain_text("cancelled from the web UI")
        expect(grid_rows(listing, "Flow runs").locator(".badge.state-CANCELLED")).to_have_text(
            "Cancelled", timeout=15_000
        )
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert api.flow_run(running[0]["id"]).json()["flow_run"]["state_type"] == "CANCELLED"


def test_delete_a_flow_run(page: Any, api: Api) -> None:  # noqa: F811
    run = api.by_name("etl-5")
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"/flow-runs/{run['id']}")
    page.get_by_role("heading", name="etl-5").wait_for()
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url("**/flow-runs")
    page.get_by_test_id("flow-run-count").wait_for()
    expect(grid_rows(page, "Flow runs").get_by_role("link", name="etl-5", exact=True)).to_have_count(0)
    assert api.flow_run(run["id"]).status_code == 404
    page.goto(f"/flow-runs/{run['id']}")
    expect(page.locator("main .error")).to_contain_text("no flow run with id")


def test_a_flow_run_of_ten_thousand_task_runs(page: Any, api: Api, ui_server: RunningServer) -> None:  # noqa: F811
    run_flows(ui_server, "big")
    run = api.by_name(f"big-{BIG_FLOW_TASKS}")
    started = time.perf_counter()
    page.goto(f"/flow-runs/{run['id']}")
    page.get_by_test_id("task-run-count").filter(has_text="10,000 task runs").wait_for()
    page.get_by_role("img", name="Timeline of 10,000 runs").wait_for()
    seconds = time.perf_counter() - started
    print(f"\n10,000 task runs: page usable in {seconds:.2f} s")
    assert seconds < BIG_PAGE_BOUND_S
    assert grid_rows(page, "Task runs").count() < 100  # only the rows in view exist
    assert page.evaluate("document.querySelectorAll('*').length") < 2000

    timeline = page.get_by_test_id("timeline")
    hover_until_tip(page, {"x": 400, "y": 24 + 9}, "square")
    page.locator(".timeline").evaluate("element => { element.scrollTop = element.scrollHeight; }")
    box = timeline.bounding_box()
    hover_until_tip(page, {"x": 400, "y": box["height"] - 10}, "square")

    page.get_by_label("Filter task runs").fill("square-9999")
    page.get_by_test_id("task-run-count").filter(has_text="1 of 10,000 task runs").wait_for()
    grid_rows(page, "Task runs").first.click()
    expect(page.get_by_role("complementary", name="Selected task run")).to_contain_text("square-9999")
    screenshot(page, "flow-run-10000")


def test_a_long_list_loads_pages_as_it_scrolls(page: Any, api: Api, ui_server: RunningServer) -> None:  # noqa: F811
    run_flows(ui_server, "many")
    page.goto("/flow-runs?flow=tiny")
    page.get_by_test_id("flow-run-count").filter(has_text="200+ flow runs").wait_for()
    rows = grid_rows(page, "Flow runs")
    expect(rows.first.locator("a").first).to_have_text(f"tiny-{MANY_FLOW_RUNS - 1}")
    assert rows.count() < 80  # only the rows on screen, and a few more
    page.get_by_role("grid", name="Flow runs").focus()
    # End goes to the last row loaded, whose coming into view asks for the next page
    for count in ("400+ flow runs", f"{MANY_FLOW_RUNS} flow runs"):
        page.keyboard.press("End")
        page.get_by_test_id("flow-run-count").filter(has_text=count).wait_for()
    page.keyboard.press("End")
    rows.locator("a", has_text="tiny-000").wait_for()  # the oldest run, on the last page
    assert rows.count() < 80
