"""The web UI in Debian's Chromium against a real flowtrack server seeded over its REST API."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.ui_support import Seeded, api, browser, page, seed, ui_server  # noqa: F401 - fixtures
from tests.fixtures.server import MlflowApi

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def data(api: MlflowApi) -> Seeded:  # noqa: F811 - the fixture imported above
    return seed(api, "image-classifier")


def first_run_name(page: Any) -> str:  # noqa: F811
    return str(page.locator(".grid-row").first.locator("a").inner_text())


def test_experiments_list_search_and_create(page: Any, data: Seeded) -> None:  # noqa: F811
    page.goto("/")
    page.get_by_role("link", name=data.experiment_name).wait_for()
    page.get_by_label("Search experiments").fill("zzz-no-such")
    page.get_by_text("No experiments match.").wait_for()
    page.get_by_label("Search experiments").fill("")
    page.get_by_label("New experiment name").fill("made-in-the-ui")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r"/experiments/\d+$"))
    page.get_by_role("heading", name="made-in-the-ui").wait_for()
    page.get_by_text("No runs in this experiment yet.").wait_for()


def test_runs_table_sorts_by_a_metric(page: Any, data: Seeded) -> None:  # noqa: F811
    page.goto(f"/experiments/{data.experiment_id}")
    page.get_by_test_id("run-count").filter(has_text="12 runs").wait_for()
    by_loss = sorted(data.final_loss, key=data.final_loss.__getitem__)
    # the table scrolls inside the viewport, so only the visible rows are rendered, whatever the run count
    assert page.evaluate("document.querySelector('.grid-wrap').clientHeight") < 900
    page.get_by_role("button", name="Sort by loss").click()  # metrics sort descending first
    page.wait_for_url(re.compile(r"sort=m\.loss%3Adesc|sort=m\.loss:desc"))
    expect(page.locator(".grid-row a").first).to_have_text(by_loss[-1])
    page.get_by_role("button", name="Sort by loss").click()
    expect(page.locator(".grid-row a").first).to_have_text(by_loss[0])
    assert first_run_name(page) == by_loss[0]


def test_click_a_tag_value_to_filter(page: Any, data: Seeded) -> None:  # noqa: F811
    page.goto(f"/experiments/{data.experiment_id}?sort=a.run_name:asc")
    page.get_by_test_id("run-count").filter(has_text="12 runs").wait_for()
    page.locator(".grid-row").first.get_by_role("button", name="a", exact=True).click()
    page.get_by_test_id("run-count").filter(has_text="4 runs").wait_for()
    assert "team" in page.get_by_label("Filter runs").input_value()
    names = page.locator(".grid-row a").all_inner_texts()
    assert names == ["r00", "r03", "r06", "r09"]


def test_filter_autocompletes_keys_and_shows_errors_inline(page: Any, data: Seeded) -> None:  # noqa: F811
    page.goto(f"/experiments/{data.experiment_id}")
    box = page.get_by_label("Filter runs")
    box.click()
    box.type("params.de")
    page.get_by_role("option", name="params.depth").wait_for()
    box.press("Tab")
    assert box.input_value() == "params.depth "
    box.type("= '34'")
    box.press("Enter")
    page.get_by_test_id("run-count").filter(has_text="6 runs").wait_for()
    box.fill("metrics.loss >< 1")
    box.press("Enter")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "position 14" not in alert.inner_text() or "^" in alert.inner_text()
    assert "unexpected '<'" in alert.inner_text()
    assert box.get_attribute("aria-invalid") == "true"


def test_keyboard_opens_a_run_from_the_table(page: Any, data: Seeded) -> None:  # noqa: F811
    page.goto(f"/experiments/{data.experiment_id}?sort=a.run_name:asc")
    page.get_by_test_id("run-count").filter(has_text="12 runs").wait_for()
    page.get_by_role("grid", name="Runs").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/runs/{data.runs['r01']}")
    page.get_by_role("heading", name="r01").wait_for()


def test_run_page_charts_and_previews_artifacts(page: Any, data: Seeded) -> None:  # noqa: F811
    page.goto(f"/runs/{data.runs['r00']}")
    page.get_by_role("heading", name="r00").wait_for()
    page.get_by_text("train.py").wait_for()
    page.locator("[data-testid=chart] canvas").first.wait_for()
    page.get_by_role("button", name="loss", exact=True).click()  # a second metric in the same chart
    expect(page.locator("[data-testid=chart] .u-series")).to_have_count(3)
    page.get_by_label("x axis").select_option("relative")
    assert "x=relative" in page.url
    tree = page.get_by_role("tree", name="Artifacts")
    tree.get_by_role("treeitem", name="config.json").click()
    page.get_by_test_id("artifact-text").wait_for()
    assert '"layers"' in page.get_by_test_id("artifact-text").inner_text()
    tree.get_by_role("treeitem", name="eval").click()
    tree.get_by_role("treeitem", name="predictions.csv").click()
    table = page.get_by_test_id("artifact-table")
    table.locator("th").first.wait_for()
    assert table.locator("th").all_inner_texts() == ["id", "label", "score"]
    assert "bird, small" in table.inner_text()
    assert "artifact=eval%2Fpredictions.csv" in page.url  # a link to this preview
    page.reload()
    page.get_by_role("treeitem", name="predictions.csv", selected=True).wait_for()  # its folder opened
    assert "bird, small" in page.get_by_test_id("artifact-table").inner_text()
    tree.get_by_role("treeitem", name="confusion.png").click()
    expect(page.locator(".preview img")).to_have_js_property("naturalWidth", 48)
    tree.get_by_role("treeitem", name="report.html").click()
    frame_element = page.locator(".preview iframe")
    assert frame_element.get_attribute("sandbox") == ""
    frame = frame_element.content_frame
    frame.get_by_role("heading", name="Evaluation report").wait_for()
    assert "pwned" not in frame.locator("body").inner_text()
    assert (
        page.get_by_role("link", name="Download").get_attribute("href", timeout=1000).endswith("report.html")
    )


def test_compare_two_selected_runs(page: Any, data: Seeded) -> None:  # noqa: F811
    page.goto(f"/experiments/{data.experiment_id}?sort=a.run_name:asc")
    page.get_by_test_id("run-count").filter(has_text="12 runs").wait_for()
    page.get_by_label("Select r00").check()
    page.get_by_label("Select r01").check()
    page.get_by_test_id("run-count").filter(has_text="2 selected").wait_for()
    page.get_by_role("button", name="Compare (2)").click()
    page.wait_for_url("**/compare?runs=*")
    page.get_by_role("heading", name="Comparing 2 runs").wait_for()
    expect(page.locator("[data-testid=chart] canvas")).to_have_count(2)
    differing = (
        page.get_by_test_id("compare-table").locator("tr[data-differs=true] td:first-child").all_inner_texts()
    )
    assert "lr" in differing
    assert "depth" in differing
    same = (
        page.get_by_test_id("compare-table")
        .locator("tr[data-differs=false] td:first-child")
        .all_inner_texts()
    )
    assert same == []  # every seeded param, metric and tag differs between r00 and r01
    assert page.get_by_role("img", name="Parallel coordinates").locator("polyline").count() == 2
    assert page.get_by_role("img", name="Scatter").locator("circle").count() == 2


def test_registered_model_versions_and_alias(page: Any, api: MlflowApi, data: Seeded) -> None:  # noqa: F811
    run_id = data.runs["r02"]
    api.ok(api.post("registered-models/create", {"name": "classifier"}))
    for _ in range(2):
        body = {"name": "classifier", "source": f"runs:/{run_id}/model", "run_id": run_id}
        api.ok(api.post("model-versions/create", body))
    api.ok(api.post("registered-models/alias", {"name": "classifier", "alias": "champion", "version": "2"}))
    page.goto("/models")
    page.get_by_role("link", name="classifier").click()
    page.get_by_role("heading", name="classifier").wait_for()
    assert page.get_by_test_id("model-alias").inner_text() == "@champion → version 2"
    rows = page.locator("table.plain tbody tr")
    expect(rows).to_have_count(2)
    assert "@champion" in rows.first.inner_text()
    rows.first.get_by_role("link").click()
    page.wait_for_url(f"**/runs/{run_id}")
    page.get_by_role("heading", name="r02").wait_for()


def test_delete_and_restore_runs(page: Any, api: MlflowApi) -> None:  # noqa: F811
    experiment_id = api.create_experiment("deletions")
    for name in ("keep", "drop"):
        api.create_run(experiment_id, run_name=name)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"/experiments/{experiment_id}")
    page.get_by_test_id("run-count").filter(has_text="2 runs").wait_for()
    page.get_by_label("Select drop").check()
    page.get_by_role("button", name="Delete").click()
    page.get_by_test_id("run-count").filter(has_text="1 run").wait_for()
    assert page.locator(".grid-row a").all_inner_texts() == ["keep"]
    page.get_by_label("Lifecycle").select_option("DELETED_ONLY")
    page.get_by_test_id("run-count").filter(has_text="1 run").wait_for()
    page.get_by_label("Select drop").check()
    page.get_by_role("button", name="Restore").click()
    page.get_by_test_id("run-count").filter(has_text="0 runs").wait_for()
    runs = api.ok(api.post("runs/search", {"experiment_ids": [experiment_id]}))["runs"]
    assert sorted(run["info"]["run_name"] for run in runs) == ["drop", "keep"]


def test_rename_and_delete_an_experiment(page: Any, api: MlflowApi) -> None:  # noqa: F811
    experiment_id = api.create_experiment("to-rename")
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/?q=to-rename")
    row = page.locator("tr", has_text="to-rename")
    row.get_by_role("button", name="Rename").click()
    page.get_by_label("New name").fill("renamed-in-ui")
    page.get_by_label("New name").press("Enter")
    page.get_by_label("Search experiments").fill("renamed-in-ui")
    page.get_by_role("link", name="renamed-in-ui").wait_for()
    page.locator("tr", has_text="renamed-in-ui").get_by_role("button", name="Delete").click()
    page.get_by_text("No experiments match.").wait_for()
    got = api.ok(api.get("experiments/get", experiment_id=experiment_id))["experiment"]
    assert (got["name"], got["lifecycle_stage"]) == ("renamed-in-ui", "deleted")


def test_a_running_run_updates_itself(page: Any, api: MlflowApi) -> None:  # noqa: F811
    experiment_id = api.create_experiment("live")
    run_id = api.create_run(experiment_id, run_name="live-run")["info"]["run_id"]
    api.ok(
        api.post(
            "runs/log-metric", {"run_id": run_id, "key": "loss", "value": 1.0, "timestamp": 1, "step": 0}
        )
    )
    page.goto(f"/runs/{run_id}")
    page.get_by_text("live · refreshes every 5s").wait_for()
    page.locator("[data-testid=chart] canvas").first.wait_for()
    api.ok(
        api.post("runs/log-metric", {"run_id": run_id, "key": "acc", "value": 0.5, "timestamp": 2, "step": 1})
    )
    api.ok(api.post("runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": 10}))
    page.get_by_role("button", name="acc", exact=True).wait_for(timeout=12_000)
    page.locator(".badge.status-FINISHED").wait_for(timeout=12_000)


def test_logged_model_files(page: Any, api: MlflowApi, data: Seeded) -> None:  # noqa: F811
    run_id = data.runs["r03"]
    body = {"experiment_id": data.experiment_id, "name": "net", "source_run_id": run_id}
    model = api.ok(api.post("logged-models", body))["model"]["info"]
    api.ok(
        api.post("runs/outputs", {"run_id": run_id, "models": [{"model_id": model["model_id"], "step": 0}]})
    )
    root = model["artifact_uri"].removeprefix("mlflow-artifacts:/")
    mlmodel = b"artifact_path: model\nflavors:\n  sklearn: {}\n"
    assert (
        api.http.put(f"/api/2.0/mlflow-artifacts/artifacts/{root}/MLmodel", content=mlmodel).status_code
        == 200
    )
    page.goto(f"/runs/{run_id}")
    page.get_by_role("heading", name="Logged models").wait_for()
    page.locator("details summary", has_text="net").click()
    page.locator("details").get_by_role("treeitem", name="MLmodel").click()
    assert "sklearn" in page.locator("details").get_by_test_id("artifact-text").inner_text()


def test_theme_follows_the_system(page: Any, data: Seeded) -> None:  # noqa: F811
    background = "getComputedStyle(document.body).backgroundColor"
    page.emulate_media(color_scheme="light")
    page.goto(f"/runs/{data.runs['r00']}")
    page.locator("[data-testid=chart] canvas").first.wait_for()
    assert page.evaluate(background) == "rgb(255, 255, 255)"
    page.emulate_media(color_scheme="dark")
    assert page.evaluate(background) == "rgb(21, 23, 27)"
    page.locator("[data-testid=chart] canvas").first.wait_for()  # redrawn in the dark theme's colors


def test_group_by_a_param(page: Any, data: Seeded) -> None:  # noqa: F811
    page.goto(f"/experiments/{data.experiment_id}?sort=m.loss:asc")
    page.get_by_test_id("run-count").filter(has_text="12 runs").wait_for()
    page.get_by_label("Group by param").select_option("lr")
    groups = page.get_by_role("table", name="Groups")
    groups.locator("tbody tr").nth(2).wait_for()
    rows = {
        cells[0]: cells[1:] for cells in (r.split("\t") for r in groups.locator("tbody tr").all_inner_texts())
    }
    assert sorted(rows) == ["0.01", "0.03", "0.1"]
    assert {values[0] for values in rows.values()} == {"4"}
    fastest = [name for name in data.final_loss if name in ("r00", "r03", "r06", "r09")]  # lr 0.1
    assert float(rows["0.1"][1]) == pytest.approx(min(data.final_loss[name] for name in fastest), rel=1e-3)
    groups.get_by_role("button", name="0.1").click()
    page.get_by_test_id("run-count").filter(has_text="4 runs").wait_for()
    assert "params.lr = '0.1'" in page.get_by_label("Filter runs").input_value()


def test_a_long_table_loads_pages_as_it_scrolls(page: Any, api: MlflowApi) -> None:  # noqa: F811
    experiment_id = api.create_experiment("long")
    for i in range(450):  # three pages of 200
        api.create_run(experiment_id, run_name=f"long-{i:03d}", start_time=1_000_000 + i)
    page.goto(f"/experiments/{experiment_id}")
    page.get_by_test_id("run-count").filter(has_text="450 runs").wait_for()
    assert page.locator(".grid-row").count() < 80  # only the rows on screen, and a few more
    page.get_by_role("grid", name="Runs").focus()
    page.keyboard.press("End")
    page.locator(".grid-row a", has_text="long-000").wait_for()  # the oldest run, on the last page
    assert page.locator(".grid-row").count() < 80
