"""``flowtrack server start`` and ``flowtrack ui``: run the tracking server (MLflow's REST API).

Only Typer is imported at the top: FastAPI, uvicorn and the database drivers load when a server starts.
"""

from __future__ import annotations

import re
import threading
import time
from typing import TYPE_CHECKING, Annotated

import typer

from flowtrack.cli import output

if TYPE_CHECKING:
    from flowtrack.server.config import ServerConfig

app = typer.Typer(name="server", help="Run the tracking server.", no_args_is_help=True)

DEFAULT_PORT = 5000
_SIZE = re.compile(r"^\s*(\d+)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}

BackendOption = Annotated[
    str | None,
    typer.Option(
        "--backend-store-uri",
        metavar="URI",
        show_default=False,
        help="Tracking database: [cyan]sqlite:///flowtrack.db[/], postgresql://…, mysql://…. "
        "Default: `flowtrack config get tracking_uri`.",
    ),
]
DestinationOption = Annotated[
    str | None,
    typer.Option(
        "--artifacts-destination",
        metavar="PATH_OR_URI",
        show_default=False,
        help="Where the server stores the artifacts it proxies (a folder or s3://…). "
        "Default: $FLOWTRACK_HOME/artifacts (`flowtrack config get artifact_root`).",
    ),
]
RootOption = Annotated[
    str | None,
    typer.Option(
        "--default-artifact-root",
        metavar="URI",
        show_default=False,
        help="Artifact root of new experiments. Default: mlflow-artifacts:/ (proxied by this server) with "
        "--serve-artifacts, else the artifacts destination, which clients then write to directly.",
    ),
]
ServeOption = Annotated[
    bool,
    typer.Option(
        "--serve-artifacts/--no-serve-artifacts",
        help="Proxy artifact uploads and downloads (clients need no storage credentials).",
    ),
]
HostOption = Annotated[str, typer.Option("--host", help="Address to listen on (0.0.0.0: every one).")]
PortOption = Annotated[int, typer.Option("--port", "-p", min=1, max=65535, help="Port to listen on.")]
WorkersOption = Annotated[int, typer.Option("--workers", "-w", min=1, help="Worker processes.")]
UploadOption = Annotated[
    str,
    typer.Option(
        "--max-upload-size", metavar="SIZE", help="Largest artifact upload accepted, e.g. 500MiB, 5GiB."
    ),
]
AccessLogOption = Annotated[bool, typer.Option("--access-log/--no-access-log", help="Log every request.")]
OpenOption = Annotated[
    bool, typer.Option("--open/--no-open", help="Open the web UI in a browser once the server answers.")
]

_EXAMPLES = (
    "Examples:\n\n"
    "  [cyan]flowtrack server start[/]\n\n"
    "  [cyan]flowtrack server start --backend-store-uri postgresql://ana@db/flowtrack "
    "--artifacts-destination s3://bucket/artifacts --host 0.0.0.0 --workers 4[/]\n\n"
    "Then: [cyan]export MLFLOW_TRACKING_URI=http://127.0.0.1:5000[/] (the mlflow client) or "
    "[cyan]flowtrack config set tracking_uri=http://127.0.0.1:5000[/] (flowtrack). Docs: docs/server.md."
)


@app.command(epilog=_EXAMPLES)
def start(
    backend_store_uri: BackendOption = None,
    artifacts_destination: DestinationOption = None,
    default_artifact_root: RootOption = None,
    serve_artifacts: ServeOption = True,
    host: HostOption = "127.0.0.1",
    port: PortOption = DEFAULT_PORT,
    workers: WorkersOption = 1,
    max_upload_size: UploadOption = "5GiB",
    access_log: AccessLogOption = False,
    open_browser: OpenOption = False,
) -> None:
    """Start the server: MLflow's REST API, the orchestration API and the web UI, on one port."""
    config = server_config(
        backend_store_uri,
        artifacts_destination,
        default_artifact_root,
        serve_artifacts,
        host,
        port,
        workers,
        parse_size(max_upload_size),
    )
    run(config, access_log=access_log, open_path="/" if open_browser else None)


def ui(
    backend_store_uri: BackendOption = None,
    artifacts_destination: DestinationOption = None,
    default_artifact_root: RootOption = None,
    serve_artifacts: ServeOption = True,
    host: HostOption = "127.0.0.1",
    port: PortOption = DEFAULT_PORT,
    workers: WorkersOption = 1,
    open_browser: OpenOption = False,
) -> None:
    """Start the server and browse experiments, runs, models and flow runs in the web UI."""
    start(
        backend_store_uri,
        artifacts_destination,
        default_artifact_root,
        serve_artifacts,
        host,
        port,
        workers,
        open_browser=open_browser,
    )


UI_EPILOG = (
    "The same server as [cyan]flowtrack server start[/].\n\n"
    "Examples:\n\n"
    "  [cyan]flowtrack ui --open[/]\n\n"
    "  [cyan]flowtrack ui --backend-store-uri sqlite:///flowtrack.db --port 5001[/]"
)


def parse_size(text: str) -> int:
    """``"5GiB"`` → 5368709120; plain numbers are bytes, and K/M/G/T count in powers of 1024."""
    match = _SIZE.match(text)
    if match is None:
        output.fail(f"--max-upload-size {text!r} is not a size", "Examples: 500MiB, 5GiB, 1048576")
    unit = (match.group(2) or "").lower()[:1]
    return int(match.group(1)) * _UNITS[unit]


def server_config(
    backend_store_uri: str | None,
    artifacts_destination: str | None,
    default_artifact_root: str | None,
    serve_artifacts: bool,
    host: str,
    port: int,
    workers: int,
    max_upload_bytes: int,
) -> ServerConfig:
    from flowtrack.config.settings import load_settings
    from flowtrack.server.config import ServerConfig

    settings = load_settings()
    uri = backend_store_uri or settings.resolved_tracking_uri()
    if backend_store_uri is None and _is_url(uri):
        # the configured tracking URI points clients at a server (maybe this one): serve the embedded database
        uri = f"sqlite:///{settings.home / 'flowtrack.db'}"
    if _is_url(uri):
        output.fail(
            f"--backend-store-uri {uri} is a server URL; the server needs a database",
            "Example: flowtrack server start --backend-store-uri sqlite:///flowtrack.db",
        )
    return ServerConfig(
        backend_store_uri=uri,
        default_artifact_root=default_artifact_root,
        artifacts_destination=artifacts_destination or settings.resolved_artifact_root(),
        serve_artifacts=serve_artifacts,
        host=host,
        port=port,
        workers=workers,
        max_upload_bytes=max_upload_bytes,
    )


def _is_url(uri: str) -> bool:
    return uri.startswith(("http://", "https://"))


def run(config: ServerConfig, *, access_log: bool = False, open_path: str | None = None) -> None:
    """Serve until interrupted; with ``open_path``, open that page of the UI in a browser once it answers."""
    from flowtrack.server.runner import prepare, serve

    if config.workers > 1:
        prepare(config)  # migrate once, and fail here with a clear message, before the workers start
    _announce(config)
    if open_path is not None:
        open_when_ready(config.url, open_path)
    if not serve(config, access_log=access_log):
        raise typer.Exit(1)


def open_when_ready(base_url: str, path: str, timeout_s: float = 60.0) -> None:
    """Open ``base_url + path`` in a browser once ``/health`` answers (in the background)."""

    def wait_then_open() -> None:
        deadline = time.monotonic() + timeout_s
        while not _answers(f"{base_url}/health"):
            if time.monotonic() > deadline:
                return
            time.sleep(0.1)
        open_page(base_url + path, "Ctrl-C stops the server.")

    threading.Thread(target=wait_then_open, name="open-ui", daemon=True).start()


def open_page(url: str, note: str = "") -> None:
    """Open ``url`` in a browser, or say it when there is no browser to open (a server, CI)."""
    import webbrowser

    if webbrowser.open(url):
        output.say(f"Opened [cyan]{url}[/] in your browser. {note}".rstrip())
    else:
        output.say(f"Open [cyan]{url}[/] in a browser. {note}".rstrip())


def _answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return int(response.status) == 200
    except OSError:
        return False


def _announce(config: ServerConfig) -> None:
    from flowtrack.cli.db import masked

    url = config.url
    artifacts = config.artifacts_destination if config.serve_artifacts else config.store_artifact_root
    store = output.esc(masked(config.backend_store_uri))
    output.say(
        f"[bold]flowtrack server[/] on [cyan]{url}[/]  (store: {store}, artifacts: {output.esc(artifacts)})"
    )
    output.say(
        f"Next: [cyan]flowtrack config set tracking_uri={url}[/]  or  "
        f"[cyan]export MLFLOW_TRACKING_URI={url}[/]    API reference: {url}/docs"
    )
