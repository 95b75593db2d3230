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
    "  [cyan]flowtrack quickstart --tracking-uri sqlite:///flowtrack.db[/]",
)
def quickstart(
    experiment: Annotated[
        str, typer.Option("--experiment", "-e", metavar="NAME", help="Experiment to log the runs to.")
    ] = "quickstart",
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Train a few scikit-learn models on a bundled dataset, track every run, and show how to look at them."""
    try:
        import sklearn  # noqa: F401
    except ImportError as exc:
        raise MissingDependency("scikit-learn", "sklearn") from exc
    from flowtrack.cli import quickstart as example

    example.run(experiment, tracking_uri)


def main() -> None:
    """Entry point of the ``flowtrack`` script and ``python -m flowtrack``."""
    app()


__all__ = ["app", "main"]
