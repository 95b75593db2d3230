"""Child runs under their parent in the runs table, in Debian's Chromium against a real flowtrack server."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.ui_support import START_MS, api, browser, page, ui_server  # noqa: F401 - fixtures
from tests.fixtures.server import MlflowApi

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("FLOWTRACK_UI_SCREENSHOTS", REPO / "build" / "ui-screenshots"))
CHILDREN = {"rf": 3.0, "gbm": 1.0, "lin": 2.0}  # name -> loss; sorted by loss: gbm, lin, rf


@pytest.fixture(scope="module")
def family(api: MlflowApi) -> dict[str, str]:  # noqa: F811 - the fixture imported above
    """train-models with three child runs (rf took 586 ms), and a lone run; names -> run ids."""
    experiment_id = api.create_experiment("nested-runs")
    ids = {"experiment": experiment_id}

    def run(name: str, start: int, took_ms: int, loss: float | None, parent: str | None = None) -> None:
        tags = [{"key": "mlflow.parentRunId", "value": ids[parent]}] if parent else []
        run_id = api.create_run(experiment_id, run_name=name, start_time=start, tags=tags)["info"]["run_id"]
        body: dict[str, Any] = {"run_id": run_id, "params": [{"key": "model", "value": name}]}
        if loss is not None:
            body["metrics"] = [{"key": "loss", "value": loss, "timestamp": start, "step": 0}]
        api.ok(api.post("runs/log-batch", body))
        update = {"run_id": run_id, "status": "FINISHED", "end_time": start + took_ms}
        api.ok(api.post("runs/update", update))
        ids[name] = run_id

    run("train-models", START_MS, 95_000, None)
    for offset, (name, loss) in enumerate(CHILDREN.items()):
        run(name, START_MS + 1000 * (offset + 1), 586 if name == "rf" else 4_200, loss, parent="train-models")
    run("lone", START_MS - 60_000, 12_000, 0.5)
    return ids


def names(page: Any) -> Any:  # noqa: F811
    return page.locator(".grid-row .run-name a")


def test_child_runs_nest_under_their_parent(page: Any, family: dict[str, str]) -> None:  # noqa: F811
    page.goto(f"/experiments/{family['experiment']}?sort=m.loss:asc")
    page.get_by_test_id("run-count").filter(has_text="2 runs").wait_for()
    expect(names(page)).to_have_text(["lone", "train-models"])  # a run without the metric sorts last
    expander = page.get_by_role("button", name="Expand train-models")
    expect(expander).to_have_text("▸ 3")
    expect(page.get_by_role("row").filter(has_text="lone").locator(".expander")).to_have_count(1)
    expect(
        page.get_by_role("row").filter(has_text="lone").get_by_role("button", name=re.compile("Expand"))
    ).to_have_count(0)

    expander.click()
    page.wait_for_url(re.compile(f"open={family['train-models']}"))
    expect(names(page)).to_have_text(["lone", "train-models", "gbm", "lin", "rf"])  # children by loss
    _assert_indented(page)
    rf_row = page.locator(".grid-row").filter(has=page.get_by_role("link", name="rf", exact=True))
    expect(rf_row).to_contain_text("586ms")
    expect(
        page.locator(".grid-row").filter(has=page.get_by_role("link", name="train-models"))
    ).to_contain_text("1m 35s")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "runs-nested.png"))

    page.get_by_role("button", name="Sort by loss").click()  # descending: children follow the table's sort
    expect(names(page)).to_have_text(["lone", "train-models", "rf", "lin", "gbm"])

    page.reload()  # the expanded parent and the sort live in the URL
    expect(names(page)).to_have_text(["lone", "train-models", "rf", "lin", "gbm"])
    _assert_indented(page)

    page.get_by_role("button", name="Collapse train-models").click()
    expect(names(page)).to_have_text(["lone", "train-models"])
    assert "open=" not in page.url


def test_toggle_and_filter_show_the_flat_table(page: Any, family: dict[str, str]) -> None:  # noqa: F811
    page.goto(f"/experiments/{family['experiment']}?sort=a.run_name:asc&open={family['train-models']}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    expect(names(page)).to_have_text(["lone", "train-models", "gbm", "lin", "rf"])
    toggle = page.get_by_label("Nest child runs")
    expect(toggle).to_be_checked()

    toggle.uncheck()
    page.wait_for_url(re.compile("nest=off"))
    page.get_by_test_id("run-count").filter(has_text="5 runs").wait_for()
    expect(names(page)).to_have_text(["gbm", "lin", "lone", "rf", "train-models"])
    expect(page.locator(".grid-row .expander")).to_have_count(0)
    page.reload()
    expect(page.get_by_label("Nest child runs")).not_to_be_checked()
    page.get_by_label("Nest child runs").check()
    page.get_by_test_id("run-count").filter(has_text="2 runs").wait_for()

    box = page.get_by_label("Filter runs")
    box.fill("params.model = 'lin'")
    box.press("Enter")
    page.get_by_test_id("run-count").filter(has_text="1 run").wait_for()
    expect(names(page)).to_have_text(["lin"])  # a child matches: shown flat, without its parent
    expect(page.get_by_test_id("nest-hint")).to_contain_text("flat")
    page.screenshot(path=str(SCREENSHOTS / "runs-nested-filtered.png"))
    box.fill("")
    box.press("Enter")
    expect(page.get_by_test_id("nest-hint")).to_have_count(0)
    expect(names(page)).to_have_text(["lone", "train-models", "gbm", "lin", "rf"])


def test_run_page_shows_a_short_duration_in_milliseconds(page: Any, family: dict[str, str]) -> None:  # noqa: F811
    page.goto(f"/runs/{family['rf']}")
    expect(page.locator(".card").filter(has_text="Duration")).to_contain_text("586ms")


def _assert_indented(page: Any) -> None:  # noqa: F811
    left = {
        name: page.get_by_role("link", name=name, exact=True).bounding_box()["x"]
        for name in ("lone", "train-models", "gbm", "rf")
    }
    assert left["gbm"] == left["rf"] > left["train-models"] + 10, left
    assert left["lone"] == left["train-models"], left
