"""The ``flowtrack`` command: the root Typer app and its command groups.

Importing this module must stay fast (``flowtrack --help`` under 0.3 s): command modules import only Typer and
flowtrack's exceptions at the top, and every database, pandas or scikit-learn import happens inside a command.
"""

from __future__ import annotations

from typing import Annotated

import typer

from flowtrack.cli import config, db, experiments, flow_runs, flows, models, output, runs, server
from flowtrack.cli.output import FlowtrackGroup, TrackingUriOption
from flowtrack.exceptions import MissingDependency

app = typer.Typer(
    name="flowtrack",
    cls=FlowtrackGroup,
    help="Experiment tracking, a model registry and workflow orchestration in one package.",
    epilog="New here? Run [cyan]flowtrack quickstart[/], then [cyan]flowtrack runs list[/].\n\n"
    "Docs: docs/cli.md. Settings: [cyan]flowtrack config view[/].",
    no_args_is_help=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"], "token_normalize_func": output.normalize_token},
    pretty_exceptions_show_locals=False,
)
app.add_typer(config.app, name="config", rich_help_panel="Setup")
app.add_typer(db.app, name="db", rich_help_panel="Setup")
app.add_typer(experiments.app, name="experiments", rich_help_panel="Tracking")
app.add_typer(runs.app, name="runs", rich_help_panel="Tracking")
app.add_typer(models.app, name="models", rich_help_panel="Models")
app.add_typer(flows.app, name="flows", rich_help_panel="Orchestration")
app.add_typer(flow_runs.app, name="flow-runs", rich_help_panel="Orchestration")
app.add_typer(server.app, name="server", rich_help_panel="Server")
app.command(name="ui", rich_help_panel="Server", epilog=server.UI_EPILOG)(server.ui)


def _version(value: bool) -> None:
    if value:
        from flowtrack import __version__

        typer.echo(f"flowtrack {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Experiment tracking, a model registry and workflow orchestration in one package."""


@app.command(
    rich_help_panel="Start here",
    epilog="Runs go to the embedded store ($FLOWTRACK_HOME, default ~/.flowtrack) unless --tracking-uri is "
    "given. Needs scikit-learn: [cyan]pip install 'flowtrack\\[sklearn]'[/].\n\n"
    "Examples:\n\n"
    "  [cyan]flowtrack quickstart[/]\n\n"
    "  [cyan]flowtrack quickstart --ui[/]\n\n"
    "  [cyan]flowtrack quickstart --tracking-uri sqlite:///flowtrack.db[/]",
)
def quickstart(
    experiment: Annotated[
        str, typer.Option("--experiment", "-e", metavar="NAME", help="Experiment to log the runs to.")
    ] = "quickstart",
    tracking_uri: TrackingUriOption = None,
    ui: Annotated[
        bool,
        typer.Option("--ui", help="Then serve the web UI on --port and open the experiment in a browser."),
    ] = False,
    port: server.PortOption = server.DEFAULT_PORT,
) -> None:
    """Train a few scikit-learn models in a flow on a bundled dataset, track every one, show how to look."""
    try:
        import sklearn  # noqa: F401
    except ImportError as exc:
        raise MissingDependency("scikit-learn", "sklearn") from exc
    from flowtrack.cli import quickstart as example

    runs = example.run(experiment, tracking_uri)
    if ui:
        page = f"/experiments/{runs[0].info.experiment_id}"
        if tracking_uri and tracking_uri.startswith(("http://", "https://")):  # the UI is that server's
            server.open_page(tracking_uri.rstrip("/") + page)
            return
        config = server.server_config(tracking_uri, None, None, True, "127.0.0.1", port, 1, 5 * 2**30)
        server.run(config, open_path=page)


def main() -> None:
    """Entry point of the ``flowtrack`` script and ``python -m flowtrack``."""
    app()


__all__ = ["app", "main"]
