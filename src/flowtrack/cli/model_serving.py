"""``flowtrack models serve -m URI``: a scoring server for one model (``/ping``, ``/invocations``).

The model loads once per worker, resolved with the configured tracking URI, so ``models:/name@alias``
works against a flowtrack server or an embedded database alike.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from flowtrack.cli import output

DEFAULT_PORT = 5001
EXAMPLES = (
    "Examples:\n\n"
    "  [cyan]flowtrack models serve -m models:/taxi-model@production --port 5001[/]\n\n"
    "  [cyan]curl -X POST localhost:5001/invocations -H 'Content-Type: application/json' "
    '-d \'{"dataframe_records": [{"x": 1.5}]}\'[/]\n\n'
    "Docs: docs/models.md."
)


def serve(
    model_uri: Annotated[
        str, typer.Option("--model-uri", "-m", help="runs:/<id>/<path>, models:/<name>@<alias>, a path, ...")
    ],
    host: Annotated[str, typer.Option("--host", "-h", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", "-p", min=1, max=65535, help="Port to listen on.")
    ] = DEFAULT_PORT,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve a model: POST JSON (dataframe_split, dataframe_records, instances, inputs) or CSV."""
    import uvicorn

    from flowtrack.exceptions import FlowtrackError
    from flowtrack.models.serving import MODEL_URI_ENV, app_from_environment

    os.environ[MODEL_URI_ENV] = model_uri
    try:
        app = app_from_environment() if workers == 1 else None  # load now: a bad URI fails before binding
    except FlowtrackError as exc:
        output.fail(f"cannot load model {model_uri}: {exc}", "Check the URI with: flowtrack models list")
    output.say(
        f"[bold]flowtrack model server[/] for [cyan]{output.esc(model_uri)}[/] on http://{host}:{port}"
    )
    if app is not None:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    else:
        target = "flowtrack.models.serving:app_from_environment"
        uvicorn.run(target, factory=True, host=host, port=port, workers=workers, log_level="warning")
