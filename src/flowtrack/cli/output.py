"""What every command shares: the ``--output`` and ``--tracking-uri`` options, Rich tables, JSON, human
times, and the error edge that turns a :class:`~flowtrack.exceptions.FlowtrackError` into a red line and
exit code 1.

Rich is imported inside the functions that print, so importing a command module stays cheap.
"""

from __future__ import annotations

import enum
import json
import os
import sys
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from flowtrack.exceptions import (
    ExperimentAlreadyExists,
    ExperimentNotActive,
    ExperimentNotFound,
    FlowtrackError,
    RunNotActive,
    RunNotFound,
    StoreUnavailable,
)

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from typer._click import Context  # typer vendors click; its Context is not re-exported publicly

    from flowtrack.tracking.client import TrackingClient

# Width used when stdout is not a terminal (pipes, files, CI logs) and COLUMNS is unset: wide enough that a
# table of runs is not squeezed into 80 columns before it reaches `grep`.
PIPE_WIDTH = 160


class OutputFormat(enum.StrEnum):
    TABLE = "table"
    JSON = "json"


OutputOption = Annotated[
    OutputFormat,
    typer.Option(
        "--output", "-o", help="[bold]table[/] for people, [bold]json[/] for scripts.", show_default=True
    ),
]
TrackingUriOption = Annotated[
    str | None,
    typer.Option(
        "--tracking-uri",
        metavar="URI",
        show_default=False,
        help="Store to use, e.g. [cyan]sqlite:///flowtrack.db[/] (MLflow's --backend-store-uri works too). "
        "Default: `flowtrack config get tracking_uri`.",
    ),
]

# MLflow's spellings, accepted by every command but left out of --help so the option tables stay readable.
OPTION_ALIASES = {"backend-store-uri": "tracking-uri"}


def normalize_token(token: str) -> str:
    """Click's ``token_normalize_func``: maps an option name (without dashes) to the one declared."""
    return OPTION_ALIASES.get(token, token)


_HINTS: tuple[tuple[type[FlowtrackError], str], ...] = (
    (
        ExperimentAlreadyExists,
        "Choose another name (deleted experiments keep theirs: `flowtrack experiments list --view all`).",
    ),
    (ExperimentNotFound, "List the experiments with `flowtrack experiments list --view all`."),
    (RunNotFound, "List recent runs with `flowtrack runs list`."),
    (ExperimentNotActive, "Restore it with `flowtrack experiments restore ID_OR_NAME`."),
    (RunNotActive, "Restore it with `flowtrack runs restore RUN_ID`."),
    (StoreUnavailable, "Check the tracking URI with `flowtrack config view`."),
)


# -- the error edge ------------------------------------------------------------------------------------------
class FlowtrackGroup(TyperGroup):
    """The root command group: a FlowtrackError from any command becomes a message and exit code 1."""

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except FlowtrackError as exc:
            print_error(str(exc), hint_for(exc))
            raise typer.Exit(1) from None


def hint_for(exc: FlowtrackError) -> str | None:
    return next((hint for kind, hint in _HINTS if isinstance(exc, kind)), None)


def print_error(message: str, hint: str | None = None) -> None:
    from rich.markup import escape

    first, _, rest = message.partition("\n")
    console = stderr_console()
    console.print(f"[bold red]Error:[/] [red]{escape(first)}[/]", soft_wrap=True)
    if rest:
        console.print(escape(rest), soft_wrap=True)
    if hint:
        console.print(f"[dim]{escape(hint)}[/]", soft_wrap=True)


def fail(message: str, hint: str | None = None) -> NoReturn:
    """Stop a command because of bad input the CLI itself detected."""
    print_error(message, hint)
    raise typer.Exit(1)


# -- consoles and printing -----------------------------------------------------------------------------------
def stdout_console() -> Console:
    """A console for stdout, made per call so it sees the current terminal width and COLUMNS."""
    from rich.console import Console

    return Console(highlight=False, width=_pipe_width())


def stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def _pipe_width() -> int | None:
    if "COLUMNS" in os.environ or sys.stdout.isatty():
        return None
    return PIPE_WIDTH


def esc(text: object) -> str:
    """Escape user text (names, values) so Rich does not read ``[...]`` in it as markup."""
    from rich.markup import escape

    return escape(str(text))


def say(message: str) -> None:
    """Print a line of Rich markup on stdout; long lines are left to the terminal to wrap."""
    stdout_console().print(message, soft_wrap=True)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


def table(title: str | None, columns: Sequence[str], *, caption: str | None = None) -> Table:
    from rich import box
    from rich.table import Table

    result = Table(
        title=title, caption=caption, box=box.SIMPLE_HEAD, title_justify="left", caption_justify="left"
    )
    for column in columns:
        result.add_column(column)
    return result


def print_table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    result = table(title, columns)
    for row in rows:
        result.add_row(*row)
    stdout_console().print(result)


def client(tracking_uri: str | None, *, read_only: bool = False) -> TrackingClient:
    """A client for ``--tracking-uri``, else the configured store (environment, profile, default).

    The URI is resolved here rather than left to ``TrackingClient()``, so a command never follows a
    process-wide ``set_tracking_uri`` made by whatever code imported and invoked the CLI. A ``read_only``
    command refuses an SQLite database that does not exist rather than create an empty one, except the
    default store in the flowtrack home folder, which simply has nothing in it yet.
    """
    from flowtrack.config.settings import load_settings
    from flowtrack.tracking.client import TrackingClient

    settings = load_settings()
    uri = tracking_uri or settings.resolved_tracking_uri()
    if read_only and uri != settings.default_tracking_uri():
        from flowtrack.tracking.stores.registry import check_database_exists

        check_database_exists(uri)
    return TrackingClient(uri)


# -- formatting ----------------------------------------------------------------------------------------------
STATUS_STYLES = {
    "RUNNING": "cyan",
    "FINISHED": "green",
    "FAILED": "red",
    "KILLED": "yellow",
    "SCHEDULED": "dim",
}


def status(value: str) -> str:
    return f"[{STATUS_STYLES.get(value, 'white')}]{value}[/]"


def timestamp(ms: int | None) -> str:
    """Local date and time of a millisecond timestamp, e.g. ``2024-05-01 10:22:03``."""
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def ago(ms: int | None, now_ms: int | None = None) -> str:
    """``12 s ago``, ``5 min ago``, ``3 h ago`` within a day, else the local date and time."""
    if ms is None:
        return "-"
    now = now_ms if now_ms is not None else time.time_ns() // 1_000_000
    seconds = max(0, (now - ms) // 1000)
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86_400:
        return f"{seconds // 3600} h ago"
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M")


def duration(start_ms: int | None, end_ms: int | None) -> str:
    """``0.4s``, ``12.3s``, ``3m 04s``, ``2h 05m``, ``1d 03h``; a running run counts up to now."""
    if start_ms is None:
        return "-"
    end = end_ms if end_ms is not None else time.time_ns() // 1_000_000
    seconds = max(0.0, (end - start_ms) / 1000)
    if seconds < 60:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    if whole < 86_400:
        return f"{whole // 3600}h {whole % 3600 // 60:02d}m"
    return f"{whole // 86_400}d {whole % 86_400 // 3600:02d}h"


def number(value: float) -> str:
    return f"{value:.5g}"


def parse_pairs(pairs: Sequence[str], what: str, example: str) -> dict[str, str]:
    """``["a=1", "b=x=y"]`` → ``{"a": "1", "b": "x=y"}``; anything without ``=`` is named in the error."""
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            fail(f"{what} {pair!r} is not of the form KEY=VALUE", f"Example: {example}")
        result[key.strip()] = value
    return result
