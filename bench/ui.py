"""UI benchmark: flowtrack's web UI and MLflow's, same data, same browser, same machine, same run.

    .venv/bin/python bench/ui.py                     # 10,000 runs and 1,000,000 points, both UIs
    .venv/bin/python bench/ui.py --no-mlflow         # flowtrack only
    .venv/bin/python bench/ui.py --runs 1000 --points 100000 --repeat 3

Two pages, each timed from ``page.goto`` until the page is usable:

- runs table: an experiment of ``--runs`` runs; usable = the newest run's name is on screen (flowtrack also
  waits for the run count, which needs the whole filtered total).
- metric chart: a run whose metric ``loss`` has ``--points`` points; usable = the chart is drawn (flowtrack:
  the uPlot canvas, drawn once the downsampled history arrived; MLflow: a plotly trace).

Readiness is checked inside the page on every animation frame (``wait_for_function(..., polling="raf")``):
Playwright's locator waits poll at 0, 20, 70, 170, 270 ms and then only every 500 ms, so a page ready 0.35 s
after ``page.goto`` returned would read as about 0.8 s.

"cold" is a fresh browser context (no HTTP cache: the app's JavaScript is downloaded again); "warm" is a
second visit in the same context. The data is seeded once per size into ``--data-dir`` by
``bench/ui_seed.py`` under each project's own interpreter and store (MLflow's takes minutes for the default
sizes), then reused. Servers: ``flowtrack server start`` and ``mlflow server --workers 1``, each on its own
SQLite file, started here and stopped at the end. The browser is Debian's Chromium (``/usr/bin/chromium``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from interpreters import MLFLOW_HOWTO, resolve_mlflow_python  # bench/ is not a package

BENCH_DIR = Path(__file__).resolve().parent
SEED = BENCH_DIR / "ui_seed.py"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 180_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def seeded(python: str, kind: str, data_dir: Path, runs: int, points: int) -> dict[str, str]:
    """The ids of the seeded data, seeding it first unless a previous run left it."""
    stem = data_dir / f"{kind}-{runs}-{points}"
    ids_file = stem.with_suffix(".json")
    if ids_file.exists():
        return dict(json.loads(ids_file.read_text()))
    database = stem.with_suffix(".db")
    database.unlink(missing_ok=True)
    print(f"seeding {kind}: {runs:,} runs and {points:,} points (once; kept in {data_dir}) ...", flush=True)
    started = time.perf_counter()
    out = subprocess.run(
        [python, str(SEED), kind, str(database), str(stem) + "-artifacts", str(runs), str(points)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    ids = dict(json.loads(out.strip().splitlines()[-1]))
    ids_file.write_text(json.dumps(ids))
    print(f"  seeded in {time.perf_counter() - started:.0f} s", flush=True)
    return ids


@contextlib.contextmanager
def server(command: list[str], url: str, env: dict[str, str] | None = None) -> Iterator[None]:
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, **(env or {})},
    )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if urllib.request.urlopen(f"{url}/health", timeout=2).status == 200:
                    break
            if process.poll() is not None:
                raise SystemExit(f"server exited: {' '.join(command)}")
            time.sleep(0.2)
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


Page = Any
Ready = Callable[[Page], None]


def timed(browser: Any, url: str, ready: Ready, repeat: int) -> dict[str, list[float]]:
    """Seconds from navigation to ``ready``: cold (a fresh context per sample) and warm (a second visit)."""
    cold: list[float] = []
    warm: list[float] = []
    for _ in range(repeat):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        for samples in (cold, warm):
            started = time.perf_counter()
            page.goto(url)
            ready(page)
            samples.append(time.perf_counter() - started)
            page.goto("about:blank")
        context.close()
    return {"cold": cold, "warm": warm}


def until(condition: str) -> Ready:
    """Wait until the JavaScript expression ``condition`` holds, checked on every animation frame."""

    def ready(page: Page) -> None:
        page.wait_for_function(f"() => {condition}", polling="raf", timeout=TIMEOUT_MS)

    return ready


def has_text(selector: str, text: str, *, exact: bool = False) -> str:
    """A JavaScript expression: some element matching ``selector`` contains ``text`` (or is exactly ``text``).

    Checked up to 60 times a second while the page loads, so the selector should match few elements."""
    elements = f"Array.from(document.querySelectorAll({json.dumps(selector)}))"
    found = (
        f"e.textContent.trim() === {json.dumps(text)}"
        if exact
        else f"e.textContent.includes({json.dumps(text)})"
    )
    return f"{elements}.some((e) => {found})"


def flowtrack_pages(url: str, ids: dict[str, str], runs: int) -> dict[str, tuple[str, Ready]]:
    newest = f"run-{runs - 1:05d}"
    table = f"{has_text('.grid-row a', newest)} && {has_text('[data-testid=run-count]', f'{runs:,} runs')}"
    table_ready = until(table)
    chart_ready = until("document.querySelector('[data-testid=chart] canvas') !== null")

    return {
        "runs table": (f"{url}/experiments/{ids['runs_experiment']}", table_ready),
        "metric chart": (f"{url}/runs/{ids['big_run']}", chart_ready),
    }


def mlflow_pages(url: str, ids: dict[str, str], runs: int) -> dict[str, tuple[str, Ready]]:
    newest = f"run-{runs - 1:05d}"

    table_ready = until(has_text("[role=gridcell] a", newest, exact=True))  # a link in an ag-grid cell
    chart_ready = until("document.querySelector('.js-plotly-plot .scatterlayer .trace') !== null")
    experiment, run = ids["points_experiment"], ids["big_run"]
    return {
        "runs table": (f"{url}/#/experiments/{ids['runs_experiment']}/runs", table_ready),
        "metric chart": (f"{url}/#/experiments/{experiment}/runs/{run}/model-metrics", chart_ready),
    }


def measure(name: str, pages: dict[str, tuple[str, Ready]], repeat: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    results: dict[str, Any] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for page_name, (url, ready) in pages.items():
                samples = timed(browser, url, ready, repeat)
                results[page_name] = samples
                cold, warm = statistics.median(samples["cold"]), statistics.median(samples["warm"])
                print(f"  {name:9} {page_name:12}  cold {cold:6.2f} s   warm {warm:6.2f} s", flush=True)
        finally:
            browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/flowtrack-ui-bench"))
    parser.add_argument("--no-mlflow", action="store_true")
    parser.add_argument("--mlflow-python")
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    parser.add_argument("--out", type=Path, default=Path(f"/tmp/flowtrack-bench/ui-{stamp}.json"))
    args = parser.parse_args()
    mlflow_python = resolve_mlflow_python(args.mlflow_python, disabled=args.no_mlflow)
    if not args.no_mlflow and mlflow_python is None:
        raise SystemExit(f"no MLflow interpreter: create it with {MLFLOW_HOWTO}, or pass --no-mlflow")
    args.data_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"runs": args.runs, "points": args.points, "repeat": args.repeat}

    ids = seeded(sys.executable, "flowtrack", args.data_dir, args.runs, args.points)
    stem = args.data_dir / f"flowtrack-{args.runs}-{args.points}"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "flowtrack", "server", "start", "--port", str(port)]
    command += ["--backend-store-uri", f"sqlite:///{stem}.db", "--artifacts-destination", f"{stem}-artifacts"]
    with server(command, url, {"FLOWTRACK_HOME": str(args.data_dir)}):
        results["flowtrack"] = measure("flowtrack", flowtrack_pages(url, ids, args.runs), args.repeat)

    if mlflow_python is not None:
        ids = seeded(mlflow_python, "mlflow", args.data_dir, args.runs, args.points)
        stem = args.data_dir / f"mlflow-{args.runs}-{args.points}"
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        command = [mlflow_python, "-m", "mlflow", "server", "--port", str(port), "--workers", "1"]
        command += [
            "--backend-store-uri",
            f"sqlite:///{stem}.db",
            "--default-artifact-root",
            f"{stem}-artifacts",
        ]
        with server(command, url):
            results["mlflow"] = measure("mlflow", mlflow_pages(url, ids, args.runs), args.repeat)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"results: {args.out}")


if __name__ == "__main__":
    main()
