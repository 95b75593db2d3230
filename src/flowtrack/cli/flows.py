"""``flowtrack flows list``: the flows that have run, with their latest run."""

from __future__ import annotations

from typing import Annotated

import typer

from flowtrack.cli import output
from flowtrack.cli.flow_runs import ApiUrlOption, orchestration_client, short, state
from flowtrack.cli.output import OutputFormat, OutputOption, TrackingUriOption

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
    """List flows by name, with the state and start of each one's latest run."""
    client = orchestration_client(api_url, tracking_uri)
    flows = client.list_flows(limit=limit)
    latest = {flow.name: client.read_flow_runs(flow_name=flow.name, limit=1) for flow in flows}
    if output_format is OutputFormat.JSON:
        output.print_json(
            [
                {
                    "id": flow.id,
                    "name": flow.name,
                    "created_ms": flow.created_ms,
                    "tags": list(flow.tags),
                    "latest_flow_run_id": latest[flow.name][0].id if latest[flow.name] else None,
                }
                for flow in flows
            ]
        )
        return
    if not flows:
        output.say("No flows have run yet. Decorate a function with [cyan]@flowtrack.flow[/] and call it.")
        return
    table = output.table(None, ["Flow", "Latest run", "State", "Started", "Created"])
    for flow in flows:
        runs = latest[flow.name]
        run = runs[0] if runs else None
        table.add_row(
            f"[bold]{output.esc(flow.name)}[/]",
            f"{short(run.id)} {output.esc(run.name)}" if run else "-",
            state(run.state_type.value) if run else "-",
            output.ago(run.start_ms) if run else "-",
            output.timestamp(flow.created_ms),
        )
    output.stdout_console().print(table)
