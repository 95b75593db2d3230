"""``flowtrack db upgrade``: migrate a tracking database to the schema this flowtrack version uses."""

from __future__ import annotations

import re
from typing import Annotated

import typer

from flowtrack.cli import output

app = typer.Typer(name="db", help="Manage the tracking database.", no_args_is_help=True)

_PASSWORD = re.compile(r"(://[^:/@]+):[^@]*@")


def masked(uri: str) -> str:
    """``postgresql://ana:secret@db/ft`` → ``postgresql://ana:***@db/ft``."""
    return _PASSWORD.sub(r"\1:***@", uri)


@app.command(
    epilog="Stores migrate a database when they open it, so this is needed only to upgrade ahead of time "
    "(e.g. before starting a server on a shared database).\n\n"
    "Examples:\n\n"
    "  [cyan]flowtrack db upgrade[/]\n\n"
    "  [cyan]flowtrack db upgrade --backend-store-uri postgresql://ana@db.internal/flowtrack[/]",
)
def upgrade(
    uri_argument: Annotated[
        str | None,
        typer.Argument(metavar="URI", help="Database URI (MLflow's positional form).", show_default=False),
    ] = None,
    uri_option: Annotated[
        str | None,
        typer.Option(
            "--backend-store-uri",
            metavar="URI",
            help="Database URI (--tracking-uri works too). Default: `flowtrack config get tracking_uri`.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Create or migrate the tables of a tracking database to the newest schema."""
    if uri_argument is not None and uri_option is not None and uri_argument != uri_option:
        output.fail("give the database URI once: URI or --backend-store-uri")
    uri = uri_argument or uri_option or _configured_uri()
    if uri.startswith(("http://", "https://")):
        output.fail(
            f"{uri} is a server URL; `db upgrade` needs a database URI such as sqlite:///flowtrack.db",
            "The server upgrades its own database when it starts.",
        )
    from flowtrack.db.migrate import revisions, upgrade

    output.say(f"Upgrading [bold]{output.esc(masked(uri))}[/] …")
    upgrade(uri)
    heads = ", ".join(sorted(revisions().heads)) or "none"
    output.say(f"[green]Done:[/] the database is at the newest schema (revision {output.esc(heads)}).")


def _configured_uri() -> str:
    from flowtrack.config.settings import load_settings

    return load_settings().resolved_tracking_uri()
