"""``flowtrack flows list``: the flows that have run, with their run count and latest run (one store call)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from flowtrack.cli import output
from flowtrack.cli.flow_runs import ApiUrlOption, orchestration_client, short, state
from flowtrack.cli.output import OutputFormat, OutputOption, TrackingUriOption

if TYPE_CHECKING:
    from flowtrack.orchestration.entities import FlowSummary

app = typer.Typer(name="flows", help="List the flows that have run.", no_args_is_help=True)


@app.command(
    "list",
    epilog="Examples:\n\n  [cyan]flowtrack flows list[/]\n\n  [cyan]flowtrack flows list --output json[/]\n\n"
    "See a flow's runs with [cyan]flowtrack flow-runs list --flow NAME[/].",
)
def list_(
    limit: Annotated[int, typer.Option(metavar="N", help="Show at most this many flows, by name.")] = 100,
    api_url: ApiUrlOption = None,
    tracking_uri: TrackingUriOption = None,
    output_format: OutputOption = OutputFormat.TABLE,
) -> None:
    """List flows by name, with how many runs each has and the state and start of its latest run."""
    client = orchestration_client(api_url, tracking_uri)
    summaries = client.list_flow_summaries(limit=limit)
    if output_format is OutputFormat.JSON:
        output.print_json([_summary_to_json(summary) for summary in summaries])
        return
    if not summaries:
        output.say("No flows have run yet. Decorate a function with [cyan]@flowtrack.flow[/] and call it.")
        return
    table = output.table(None, ["Flow", "Runs", "Latest run", "State", "Started", "Created"])
    for summary in summaries:
        flow, run = summary.flow, summary.latest_run
        table.add_row(
            f"[bold]{output.esc(flow.name)}[/]",
            str(summary.run_count),
            f"{short(run.id)} {output.esc(run.name)}" if run else "-",
            state(run.state_type.value) if run else "-",
            output.ago(run.start_ms) if run else "-",
            output.timestamp(flow.created_ms),
        )
    output.stdout_console().print(table)


def _summary_to_json(summary: FlowSummary) -> dict[str, Any]:
    flow, run = summary.flow, summary.latest_run
    return {
        "id": flow.id,
        "name": flow.name,
        "created_ms": flow.created_ms,
        "tags": list(flow.tags),
        "run_count": summary.run_count,
        "latest_flow_run_id": run.id if run else None,
        "latest_flow_run_state": run.state_type.value if run else None,
    }
