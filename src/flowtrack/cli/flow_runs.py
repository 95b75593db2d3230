"""``flowtrack flow-runs list|inspect|logs|cancel|delete``.

A flow run is named by its id, a unique prefix of it (the 8 characters ``flow-runs list`` shows are enough),
or its name when no other recent flow run has that name.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flowtrack.cli import output
from flowtrack.cli.output import OutputFormat, OutputOption, TrackingUriOption
from flowtrack.exceptions import InvalidArgument, NotFound
from flowtrack.orchestration.stores.rest.wire import to_json

if TYPE_CHECKING:
    from flowtrack.orchestration.client import OrchestrationClient
    from flowtrack.orchestration.entities import FlowRunRecord, LogRecord, StateRecord, TaskRunRecord

app = typer.Typer(
    name="flow-runs",
    help="List, inspect, read the logs of, cancel and delete flow runs.",
    no_args_is_help=True,
)

SHORT_ID = 8
MIN_PREFIX = 4
RESOLVE_WINDOW = 10_000  # recent flow runs searched for an id prefix or a name
MAX_TASK_ROWS = 200  # task runs shown by `inspect` as a table; JSON has them all
MAX_TASK_RUNS = 50_000
STATE_STYLES = {
    "SCHEDULED": "dim",
    "PENDING": "dim",
    "RUNNING": "cyan",
    "COMPLETED": "green",
    "FAILED": "red",
    "CRASHED": "bold red",
    "CANCELLING": "yellow",
    "CANCELLED": "yellow",
}
LEVEL_STYLES = {"DEBUG": "dim", "INFO": "", "WARNING": "yellow", "ERROR": "red", "CRITICAL": "bold red"}
_SINCE = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)$")
_UNIT_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86_400, "w": 604_800}

ApiUrlOption = Annotated[
    str | None,
    typer.Option(
        "--api-url",
        metavar="URL",
        show_default=False,
        help="A flowtrack server to ask, e.g. [cyan]http://127.0.0.1:5000[/]. "
        "Default: `flowtrack config get api_url`, else the tracking store.",
    ),
]
FlowRunArgument = Annotated[
    str,
    typer.Argument(metavar="FLOW_RUN", help="Flow run id, a unique prefix of it, or a unique flow run name."),
]
FlowRunsArgument = Annotated[
    list[str],
    typer.Argument(
        metavar="FLOW_RUN", help="Flow run ids, unique id prefixes (4+ characters) or unique names."
    ),
]


# -- shared helpers (flows.py uses them too) -----------------------------------------------------------------
def orchestration_client(api_url: str | None, tracking_uri: str | None) -> OrchestrationClient:
    """A client for ``--api-url``, else ``--tracking-uri``, else the configured API URL or tracking store.

    An SQLite tracking database that does not exist is refused rather than created empty (except the default
    one in the flowtrack home folder, which simply has nothing in it yet).
    """
    import flowtrack.lineage  # noqa: F401 - a run this read finds crashed gets its tracked run ended too
    from flowtrack.config.settings import load_settings
    from flowtrack.orchestration.client import OrchestrationClient

    settings = load_settings()
    uri = api_url or tracking_uri or settings.api_url or settings.resolved_tracking_uri()
    if uri != settings.default_tracking_uri():
        from flowtrack.tracking.stores.registry import check_database_exists

        check_database_exists(uri)
    return OrchestrationClient(uri)


def state(value: str) -> str:
    return f"[{STATE_STYLES.get(value, 'white')}]{value}[/]"


def short(identifier: str | None) -> str:
    return identifier[:SHORT_ID] if identifier else "-"


def resolve_flow_run(client: OrchestrationClient, ref: str) -> FlowRunRecord:
    """The flow run with id ``ref``, else the only recent one with that id prefix, else with that name."""
    try:
        return client.read_flow_run(ref)
    except (NotFound, InvalidArgument):
        pass
    recent = client.read_flow_runs(limit=RESOLVE_WINDOW)
    matches = [run for run in recent if len(ref) >= MIN_PREFIX and run.id.startswith(ref.lower())]
    if not matches:
        matches = [run for run in recent if run.name == ref]
    if len(matches) > 1:
        ids = ", ".join(short(run.id) for run in matches[:5])
        raise InvalidArgument(
            f"{ref!r} matches several flow runs ({ids}); give more of the id", field="flow_run"
        )
    if not matches:
        raise NotFound(
            f"no flow run with id, id prefix or name {ref!r}; "
            "list recent ones with `flowtrack flow-runs list`"
        )
    return matches[0]


def parse_moment(value: str | None, option: str) -> dt.datetime | None:
    """``30m``, ``2h``, ``7d`` (that long ago), or an ISO date or date-time (local time unless it says)."""
    if value is None:
        return None
    text = value.strip()
    if found := _SINCE.match(text):
        seconds = float(found.group(1)) * _UNIT_SECONDS[found.group(2)]
        return dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds)
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        output.fail(
            f"{option} {value!r} is neither a span such as 30m, 2h, 7d nor a date such as 2026-11-26",
            "Spans count back from now; dates are ISO 8601 (2026-11-26 or 2026-11-26T14:30).",
        )


# -- list ----------------------------------------------------------------------------------------------------
@app.command(
    "list",
    epilog="Examples:\n\n"
    "  [cyan]flowtrack flow-runs list[/]\n\n"
    "  [cyan]flowtrack flow-runs list --flow train --state failed --since 1d[/]\n\n"
    "  [cyan]flowtrack flow-runs list --top-level[/]\n\n"
    "  [cyan]flowtrack flow-runs list --tag nightly --output json[/]",
)
def list_(
    *,
    flows: Annotated[
        list[str] | None,
        typer.Option(
            "--flow",
            "-f",
            metavar="NAME",
            help="Only runs of this flow; repeat for several.",
            show_default=False,
        ),
    ] = None,
    states: Annotated[
        list[str] | None,
        typer.Option(
            "--state",
            "-s",
            metavar="STATE",
            help="Only runs in this state (running, completed, failed, crashed...); repeat for several.",
            show_default=False,
        ),
    ] = None,
    tags: Annotated[
        list[str] | None,
        typer.Option(
            "--tag",
            "-t",
            metavar="TAG",
            help="Only runs with this tag; repeat to require several.",
            show_default=False,
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            metavar="WHEN", help="Only runs started since: 30m, 2h, 7d, or a date.", show_default=False
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            metavar="WHEN", help="Only runs started before: 30m, 2h, 7d, or a date.", show_default=False
        ),
    ] = None,
    top_level: Annotated[
        bool, typer.Option("--top-level", help="Only top-level flow runs (no subflow runs).")
    ] = False,
    limit: Annotated[int, typer.Option(metavar="N", help="Show at most this many runs, newest first.")] = 50,
    api_url: ApiUrlOption = None,
    tracking_uri: TrackingUriOption = None,
    output_format: OutputOption = OutputFormat.TABLE,
) -> None:
    """List flow runs, newest first, with their flow, state, start and duration."""
    client = orchestration_client(api_url, tracking_uri)
    runs = client.read_flow_runs(
        flow_name=flows or None,
        state=states or None,
        tags=tags or (),
        start_after=parse_moment(since, "--since"),
        start_before=parse_moment(until, "--until"),
        limit=limit,
        top_level_only=top_level,
    )
    if output_format is OutputFormat.JSON:
        output.print_json([to_json(run) for run in runs])
        return
    if not runs:
        output.say("No flow runs found.")
        return
    table = output.table(None, ["ID", "Name", "Flow", "State", "Started", "Duration", "Tracked run"])
    for run in runs:
        table.add_row(
            short(run.id),
            output.esc(run.name),
            output.esc(run.flow_name),
            _state_cell(run),
            output.ago(run.start_ms),
            output.duration(run.start_ms, run.end_ms),
            short(run.tracking_run_id),
        )
    output.stdout_console().print(table)
    if len(runs) == limit:
        output.say(f"[dim]Showing the newest {limit} flow runs; raise --limit to see more.[/]")


def _state_cell(run: FlowRunRecord | TaskRunRecord) -> str:
    cell = state(run.state_type.value)
    if run.state_name.upper() != run.state_type.value:
        cell += f" [dim]({output.esc(run.state_name)})[/]"
    return cell


# -- inspect -------------------------------------------------------------------------------------------------
@app.command(
    epilog="Examples:\n\n  [cyan]flowtrack flow-runs inspect 3f2a9c1e[/]\n\n"
    "  [cyan]flowtrack flow-runs inspect brave-otter --output json[/]",
)
def inspect(
    flow_run: FlowRunArgument,
    api_url: ApiUrlOption = None,
    tracking_uri: TrackingUriOption = None,
    output_format: OutputOption = OutputFormat.TABLE,
) -> None:
    """Show one flow run: its state and history, parameters, tracked run, task runs and subflow runs."""
    client = orchestration_client(api_url, tracking_uri)
    run = resolve_flow_run(client, flow_run)
    task_runs = client.read_task_runs(run.id, limit=MAX_TASK_RUNS)
    states = client.read_states(run.id)
    subflow_runs = client.read_flow_runs(parent_flow_run_id=run.id, limit=MAX_TASK_RUNS)
    if output_format is OutputFormat.JSON:
        details = to_json(run)
        details["states"] = [to_json(record) for record in states]
        details["task_runs"] = [to_json(task) for task in task_runs]
        details["subflow_runs"] = [to_json(child) for child in subflow_runs]
        output.print_json(details)
        return
    _print_info(run)
    _print_pairs("Parameters", {key: repr(value) for key, value in run.parameters.items()})
    _print_history(states)
    _print_task_runs(task_runs)
    _print_subflow_runs(subflow_runs)


def _print_subflow_runs(runs: Sequence[FlowRunRecord]) -> None:
    if not runs:
        return
    output.say(f"\n[bold]Subflow runs[/] [dim]({len(runs)}, newest first)[/]")
    shown = runs[:MAX_TASK_ROWS]
    caption = f"the first {MAX_TASK_ROWS}; all of them: --output json" if len(runs) > MAX_TASK_ROWS else None
    table = output.table(None, ["ID", "Name", "Flow", "State", "Duration"], caption=caption)
    for child in shown:
        table.add_row(
            short(child.id),
            output.esc(child.name),
            output.esc(child.flow_name),
            _state_cell(child),
            output.duration(child.start_ms, child.end_ms),
        )
    output.stdout_console().print(table)


def _print_info(run: FlowRunRecord) -> None:
    rows = [
        ("Flow run ID", run.id),
        ("Name", f"[bold]{output.esc(run.name)}[/]"),
        (
            "Flow",
            output.esc(run.flow_name)
            + (f" [dim]v{output.esc(run.flow_version)}[/]" if run.flow_version else ""),
        ),
        ("State", _state_cell(run)),
        ("Started", f"{output.timestamp(run.start_ms)} [dim]({output.ago(run.start_ms)})[/]"),
        ("Ended", output.timestamp(run.end_ms)),
        ("Duration", output.duration(run.start_ms, run.end_ms)),
    ]
    if run.state_message:
        rows.append(("Message", output.esc(run.state_message)))
    if run.tags:
        rows.append(("Tags", output.esc(", ".join(run.tags))))
    if run.tracking_run_id:
        rows.append(
            (
                "Tracked run",
                f"{run.tracking_run_id} [dim](flowtrack runs describe {short(run.tracking_run_id)})[/]",
            )
        )
    if run.parent_flow_run_id:
        rows.append(("Parent flow run", run.parent_flow_run_id))
    _grid([(f"[bold]{key}[/]", value) for key, value in rows], indent=0)


def _print_history(states: Sequence[StateRecord]) -> None:
    if not states:
        return
    output.say(f"\n[bold]State history[/] [dim]({len(states)})[/]")
    table = output.table(None, ["Time", "State", "Name", "Message"])
    for record in states:
        when = dt.datetime.fromtimestamp(record.timestamp_ms / 1000).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        table.add_row(
            when, state(record.type.value), output.esc(record.name), output.esc(record.message or "")
        )
    output.stdout_console().print(table)


def _print_task_runs(task_runs: Sequence[TaskRunRecord]) -> None:
    if not task_runs:
        return
    counts: dict[str, int] = {}
    for task in task_runs:
        counts[task.state_type.value] = counts.get(task.state_type.value, 0) + 1
    summary = ", ".join(f"{state(name)} {count}" for name, count in sorted(counts.items()))
    output.say(f"\n[bold]Task runs[/] [dim]({len(task_runs)})[/] {summary}")
    shown = task_runs[:MAX_TASK_ROWS]
    caption = (
        f"the first {MAX_TASK_ROWS}; all of them: --output json" if len(task_runs) > MAX_TASK_ROWS else None
    )
    table = output.table(None, ["ID", "Name", "State", "Duration", "Runs"], caption=caption)
    for task in shown:
        table.add_row(
            short(task.id),
            output.esc(task.name),
            _state_cell(task),
            output.duration(task.start_ms, task.end_ms),
            str(task.run_count),
        )
    output.stdout_console().print(table)


def _print_pairs(title: str, values: dict[str, str]) -> None:
    _print_rows(title, [(output.esc(key), f"[blue]{output.esc(values[key])}[/]") for key in values])


def _print_rows(title: str, rows: Sequence[tuple[str, ...]]) -> None:
    if rows:
        output.say(f"\n[bold]{title}[/] [dim]({len(rows)})[/]")
        _grid(rows)


def _grid(rows: Sequence[tuple[str, ...]], indent: int = 2) -> None:
    from rich.padding import Padding
    from rich.table import Table

    grid = Table.grid(padding=(0, 3, 0, 0))
    for row in rows:
        grid.add_row(*row)
    output.stdout_console().print(Padding(grid, (0, 0, 0, indent), expand=False))


# -- logs ----------------------------------------------------------------------------------------------------
@app.command(
    epilog="Examples:\n\n  [cyan]flowtrack flow-runs logs 3f2a9c1e[/]\n\n"
    "  [cyan]flowtrack flow-runs logs 3f2a9c1e --level warning --output json[/]",
)
def logs(
    flow_run: FlowRunArgument,
    task_run: Annotated[
        str | None,
        typer.Option(
            "--task-run", metavar="ID", help="Only the logs of this task run (its id).", show_default=False
        ),
    ] = None,
    level: Annotated[
        str,
        typer.Option(metavar="LEVEL", help="Only lines at this level or above: debug, info, warning, error."),
    ] = "debug",
    limit: Annotated[
        int, typer.Option(metavar="N", help="Show at most this many lines, oldest first.")
    ] = 1000,
    api_url: ApiUrlOption = None,
    tracking_uri: TrackingUriOption = None,
    output_format: OutputOption = OutputFormat.TABLE,
) -> None:
    """Print the logs of a flow run and its tasks (get_run_logger() and captured prints), oldest first."""
    import logging

    threshold = logging.getLevelName(level.upper())
    if not isinstance(threshold, int):
        output.fail(f"--level {level!r} is not a log level", "Use debug, info, warning, error or critical.")
    client = orchestration_client(api_url, tracking_uri)
    run = resolve_flow_run(client, flow_run)
    lines = [line for line in client.read_logs(run.id, task_run, limit=limit) if line.level >= threshold]
    if output_format is OutputFormat.JSON:
        output.print_json([_log_to_json(line) for line in lines])
        return
    if not lines:
        output.say("No logs for this flow run.")
        return
    for line in lines:
        output.say(_log_line(line))


def _log_line(line: LogRecord) -> str:
    import logging

    name = logging.getLevelName(line.level)
    style = LEVEL_STYLES.get(name, "")
    level = f"[{style}]{name:<8}[/]" if style else f"{name:<8}"
    when = dt.datetime.fromtimestamp(line.timestamp_ms / 1000).strftime("%H:%M:%S.%f")[:-3]
    return f"[dim]{when}[/] {level} [dim]{output.esc(line.logger)}[/] {output.esc(line.message)}"


def _log_to_json(line: LogRecord) -> dict[str, Any]:
    import logging

    return {
        "timestamp_ms": line.timestamp_ms,
        "level": logging.getLevelName(line.level),
        "logger": line.logger,
        "message": line.message,
        "task_run_id": line.task_run_id,
    }


# -- cancel / delete -----------------------------------------------------------------------------------------
@app.command(
    epilog="A run that has not started is cancelled at once; a running one becomes CANCELLING until its "
    "process stops it. With --output json: the flow run after the change (a list when several are given)."
    "\n\nExample: [cyan]flowtrack flow-runs cancel 3f2a9c1e[/]",
)
def cancel(
    flow_runs: FlowRunsArgument,
    message: Annotated[
        str | None,
        typer.Option("--message", "-m", metavar="TEXT", help="Why, kept with the state.", show_default=False),
    ] = None,
    api_url: ApiUrlOption = None,
    tracking_uri: TrackingUriOption = None,
    output_format: OutputOption = OutputFormat.TABLE,
) -> None:
    """Cancel flow runs."""
    client = orchestration_client(api_url, tracking_uri)
    done: list[dict[str, Any]] = []
    for run in [resolve_flow_run(client, ref) for ref in flow_runs]:
        updated = client.cancel_flow_run(run.id, message)
        if output_format is OutputFormat.JSON:
            done.append(to_json(updated))
            continue
        output.say(
            f"Flow run [bold]{run.id}[/] ({output.esc(run.name)}) is now {state(updated.state_type.value)}"
        )
    if output_format is OutputFormat.JSON:
        _print_json_per_run(done)


@app.command(
    epilog="Deletes the flow run with its subflow runs, task runs, states and logs; its tracked run stays "
    '(delete it with `flowtrack runs delete`). With --output json: {"deleted": id} (a list when several '
    "are given).\n\nExample: [cyan]flowtrack flow-runs delete 3f2a9c1e[/]",
)
def delete(
    flow_runs: FlowRunsArgument,
    api_url: ApiUrlOption = None,
    tracking_uri: TrackingUriOption = None,
    output_format: OutputOption = OutputFormat.TABLE,
) -> None:
    """Delete flow runs for good."""
    client = orchestration_client(api_url, tracking_uri)
    done: list[dict[str, Any]] = []
    for run in [resolve_flow_run(client, ref) for ref in flow_runs]:
        client.delete_flow_run(run.id)
        if output_format is OutputFormat.JSON:
            done.append({"deleted": run.id})
            continue
        output.say(f"Deleted flow run [bold]{run.id}[/] ({output.esc(run.name)})")
    if output_format is OutputFormat.JSON:
        _print_json_per_run(done)


def _print_json_per_run(items: list[dict[str, Any]]) -> None:
    """One flow run given: its object; several: the list, in the order given."""
    output.print_json(items[0] if len(items) == 1 else items)
