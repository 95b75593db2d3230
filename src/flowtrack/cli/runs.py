"""``flowtrack runs list|describe|delete|restore``.

A run is named by its id, a unique prefix of it (the 8 characters ``runs list`` shows are enough), or its name
when no other run has that name.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flowtrack.cli import output
from flowtrack.cli.experiments import View, ViewOption, resolve, search_all
from flowtrack.cli.output import OutputFormat, OutputOption, TrackingUriOption
from flowtrack.exceptions import InvalidArgument, RunNotFound

if TYPE_CHECKING:
    from flowtrack.artifacts.base import FileInfo
    from flowtrack.tracking.client import TrackingClient
    from flowtrack.tracking.entities import DatasetInput, Experiment, Metric, Run

app = typer.Typer(name="runs", help="List, inspect, delete and restore runs.", no_args_is_help=True)

SHORT_ID = 8
MIN_PREFIX = 4
MAX_MATCHES = 5
MAX_METRIC_COLUMNS = 6
MAX_PARAM_COLUMNS = 4
MAX_ARTIFACTS = 200
MAX_CELL_WIDTH = 32
TABLE_EDGES = 4  # the table's outer padding, in terminal columns
SYSTEM_TAG_PREFIXES = ("mlflow.", "flowtrack.")

RunIdsArgument = Annotated[
    list[str],
    typer.Argument(metavar="RUN", help="Run ids, unique id prefixes (4+ characters) or unique run names."),
]


# -- run resolution ------------------------------------------------------------------------------------------
def resolve_run(client: TrackingClient, ref: str) -> Run:
    """The run with id ``ref``, else the only run whose id starts with ``ref`` or whose name is ``ref``."""
    try:
        return client.get_run(ref)
    except (RunNotFound, InvalidArgument):
        pass
    matches: list[Run] = []
    if len(ref) >= MIN_PREFIX and all(ch in string.hexdigits for ch in ref):
        matches = _search_everywhere(client, f"attributes.run_id LIKE '{ref.lower()}%'")
    if not matches:
        quoted = ref.replace("'", "''")
        matches = _search_everywhere(client, f"attributes.run_name = '{quoted}'")
    if len(matches) > 1:
        ids = ", ".join(run.info.run_id[:SHORT_ID] for run in matches)
        raise InvalidArgument(
            f"{ref!r} matches several runs ({ids}); give more of the run id", field="run_id"
        )
    if not matches:
        raise RunNotFound(f"no run with id, id prefix or name {ref!r}")
    return matches[0]


def _search_everywhere(client: TrackingClient, filter_string: str) -> list[Run]:
    from flowtrack.tracking.entities import ViewType

    ids = [experiment.experiment_id for experiment in search_all(client, ViewType.ALL)]
    return list(client.search_runs(ids, filter_string, ViewType.ALL, MAX_MATCHES)) if ids else []


def _resolve_all(client: TrackingClient, refs: Sequence[str]) -> list[Run]:
    """Every run, resolved before anything changes, so a typo in the third id deletes nothing."""
    return [resolve_run(client, ref) for ref in refs]


def is_system_tag(key: str) -> bool:
    return key.startswith(SYSTEM_TAG_PREFIXES)


def run_to_json(run: Run) -> dict[str, Any]:
    info = run.info
    return {
        "run_id": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "status": str(info.status),
        "start_time": info.start_time,
        "end_time": info.end_time,
        "user_id": info.user_id,
        "lifecycle_stage": str(info.lifecycle_stage),
        "artifact_uri": info.artifact_uri,
        "metrics": run.data.metrics,
        "params": run.data.params,
        "tags": run.data.tags,
    }


# -- list ----------------------------------------------------------------------------------------------------
@app.command(
    "list",
    epilog="Examples:\n\n"
    "  [cyan]flowtrack runs list --experiment quickstart[/]\n\n"
    '  [cyan]flowtrack runs list -e quickstart --filter "metrics.rmse < 60" '
    '--order-by "metrics.rmse ASC"[/]\n\n'
    "  [cyan]flowtrack runs list --view deleted --output json[/]",
)
def list_(
    *,
    experiments: Annotated[
        list[str] | None,
        typer.Option(
            "--experiment",
            "-e",
            metavar="ID_OR_NAME",
            help="Only runs of this experiment; repeat for several. Default: every active experiment.",
            show_default=False,
        ),
    ] = None,
    experiment_ids: Annotated[
        list[str] | None,
        typer.Option(
            "--experiment-id", "-x", metavar="ID", help="Same, by id (MLflow's spelling).", show_default=False
        ),
    ] = None,
    filter_string: Annotated[
        str,
        typer.Option(
            "--filter",
            "-f",
            metavar="FILTER",
            help="MLflow search filter, e.g. \"metrics.rmse < 7 and params.model = 'rf'\".",
        ),
    ] = "",
    order_by: Annotated[
        list[str] | None,
        typer.Option(
            metavar="CLAUSE",
            help='Sort key, e.g. "metrics.rmse ASC"; repeat for ties. Default: newest first.',
        ),
    ] = None,
    max_results: Annotated[int, typer.Option(metavar="N", help="Show at most this many runs.")] = 100,
    view: ViewOption = View.ACTIVE,
    tracking_uri: TrackingUriOption = None,
    output_format: OutputOption = OutputFormat.TABLE,
) -> None:
    """List runs with their status, duration, metrics and params."""
    tracking = output.client(tracking_uri, read_only=True)
    chosen = _experiments(tracking, experiments or [], experiment_ids or [])
    ids = [experiment.experiment_id for experiment in chosen]
    runs = tracking.search_runs(ids, filter_string, view.view_type(), max_results, order_by) if ids else []
    if output_format is OutputFormat.JSON:
        output.print_json([run_to_json(run) for run in runs])
        return
    if not runs:
        output.say("No runs found.")
        return
    _print_runs(runs, {experiment.experiment_id: experiment.name for experiment in chosen}, order_by or [])
    if getattr(runs, "token", None):
        output.say(f"[dim]Showing the first {len(runs)} runs; raise --max-results to see more.[/]")


def _experiments(client: TrackingClient, refs: Sequence[str], ids: Sequence[str]) -> list[Experiment]:
    """The experiments named by -e (id or name) and -x (id); every active one when none is named."""
    if not refs and not ids:
        from flowtrack.tracking.entities import ViewType

        return search_all(client, ViewType.ACTIVE_ONLY)
    return [resolve(client, ref) for ref in refs] + [client.get_experiment(value) for value in ids]


@dataclass
class _Column:
    header: str
    cells: list[str]
    kind: str  # "base", "metric" or "param"

    @property
    def width(self) -> int:
        """Terminal columns taken: the widest cell (capped), plus padding and the gap to the next column."""
        return min(max(len(self.header), *(len(cell) for cell in self.cells)), MAX_CELL_WIDTH) + 3


def _print_runs(runs: Sequence[Run], experiment_names: dict[str, str], order_by: Sequence[str]) -> None:
    """Id, name and status always; then, as the terminal width allows, the first metric, start time,
    duration, more metrics (up to 6) and params (up to 4). The caption counts what did not fit."""
    columns = _columns(runs, experiment_names, order_by)
    budget = output.stdout_console().width - TABLE_EDGES
    chosen: set[int] = set()
    limits = {"metric": MAX_METRIC_COLUMNS, "param": MAX_PARAM_COLUMNS}
    for index in _priority(columns):
        kind, width = columns[index].kind, columns[index].width
        if index < 3 or (width <= budget and limits.get(kind, 1) > 0):  # id, name and status always show
            chosen.add(index)
            budget -= width
            limits[kind] = limits.get(kind, 1) - 1
    hidden = len(columns) - len(chosen)
    caption = (
        f"{hidden} more columns: widen the terminal, or see `flowtrack runs describe RUN`" if hidden else None
    )
    result = output.table(None, [], caption=caption)
    shown = [column for index, column in enumerate(columns) if index in chosen]
    for column in shown:
        if column.kind == "metric":
            result.add_column(output.esc(column.header), justify="right", style="magenta", no_wrap=True)
        elif column.kind == "param":
            result.add_column(output.esc(column.header), style="blue", no_wrap=True, max_width=MAX_CELL_WIDTH)
        else:
            result.add_column(column.header, no_wrap=True, min_width=column.width - 3)
    for row in range(len(runs)):
        cells = [output.esc(column.cells[row]) for column in shown]
        cells[2] = output.status(shown[2].cells[row])
        result.add_row(*cells)
    output.stdout_console().print(result)


def _columns(runs: Sequence[Run], experiment_names: dict[str, str], order_by: Sequence[str]) -> list[_Column]:
    """Every candidate column in display order: id, name, status, [experiment], started, duration, ..."""
    columns = [
        _Column("Run ID", [run.info.run_id[:SHORT_ID] for run in runs], "base"),
        _Column("Name", [run.info.run_name for run in runs], "base"),
        _Column("Status", [str(run.info.status) for run in runs], "base"),
    ]
    if len({run.info.experiment_id for run in runs}) > 1:
        names = [experiment_names.get(run.info.experiment_id, run.info.experiment_id) for run in runs]
        columns.append(_Column("Experiment", names, "experiment"))
    columns.append(_Column("Started", [output.ago(run.info.start_time) for run in runs], "started"))
    durations = [output.duration(run.info.start_time, run.info.end_time) for run in runs]
    columns.append(_Column("Duration", durations, "duration"))
    latest = [run.data.latest_metrics for run in runs]
    for key in _keys(latest, "metrics", order_by):
        columns.append(_Column(key, [_metric_cell(points.get(key)) for points in latest], "metric"))
    for key in _keys([run.data.params for run in runs], "params", order_by):
        columns.append(_Column(key, [run.data.params.get(key, "") for run in runs], "param"))
    return columns


def _priority(columns: Sequence[_Column]) -> list[int]:
    kinds = [column.kind for column in columns]
    first_metric = [kinds.index("metric")] if "metric" in kinds else []
    order = [0, 1, 2, *[i for i, k in enumerate(kinds) if k == "experiment"], *first_metric]
    for kind in ("started", "duration", "metric", "param"):
        order += [i for i, k in enumerate(kinds) if k == kind and i not in order]
    return order


def _keys(mappings: Sequence[dict[str, Any]], prefix: str, order_by: Sequence[str]) -> list[str]:
    """Keys present in any run; those named in --order-by first, then alphabetical."""
    present = sorted({key for mapping in mappings for key in mapping})
    wanted = [
        clause.split()[0].removeprefix(f"{prefix}.") for clause in order_by if clause.startswith(prefix)
    ]
    first = [key for key in wanted if key in present]
    return first + [key for key in present if key not in first]


def _metric_cell(point: Metric | None) -> str:
    return "" if point is None else output.number(point.value)


# -- describe ------------------------------------------------------------------------------------------------
@app.command(
    epilog="Examples:\n\n  [cyan]flowtrack runs describe 3f2a9c1e[/]\n\n"
    "  [cyan]flowtrack runs describe 3f2a9c1e --output json[/]",
)
def describe(
    run_id: Annotated[
        str, typer.Argument(metavar="RUN", help="Run id, a unique prefix of it, or a unique run name.")
    ],
    tracking_uri: TrackingUriOption = None,
    output_format: OutputOption = OutputFormat.TABLE,
) -> None:
    """Show one run: its info, params, latest metrics, tags, dataset inputs and artifacts."""
    tracking = output.client(tracking_uri, read_only=True)
    run = resolve_run(tracking, run_id)
    experiment_name = _experiment_name(tracking, run.info.experiment_id)
    artifacts, artifact_error = _artifacts(tracking, run.info.run_id)
    if output_format is OutputFormat.JSON:
        details = dict(run_to_json(run))
        position = list(details).index("experiment_id") + 1
        items = list(details.items())
        details = dict([*items[:position], ("experiment_name", experiment_name), *items[position:]])
        details["inputs"] = [_input_to_json(dataset_input) for dataset_input in run.inputs.dataset_inputs]
        details["artifacts"] = [
            {"path": a.path, "is_dir": a.is_dir, "file_size": a.file_size} for a in artifacts
        ]
        output.print_json(details)
        return
    _print_info(run, experiment_name)
    _print_section("Params", _pairs(run.data.params, "blue"))
    metrics = {key: output.number(value) for key, value in run.data.metrics.items()}
    _print_section("Metrics", _pairs(metrics, "magenta"), "latest values")
    tags = run.data.tags
    _print_section("Tags", _pairs({k: v for k, v in tags.items() if not is_system_tag(k)}, ""))
    _print_section("System tags", _pairs({k: v for k, v in tags.items() if is_system_tag(k)}, "dim"))
    _print_section("Dataset inputs", _inputs(run), header=("Name", "Digest", "Context", "Source"))
    _print_section(
        "Artifacts", _artifact_rows(artifacts), "first 200" if len(artifacts) >= MAX_ARTIFACTS else ""
    )
    if artifact_error is not None:
        output.say(f"[yellow]Artifacts could not be listed:[/] {output.esc(artifact_error)}")


def _experiment_name(client: TrackingClient, experiment_id: str) -> str | None:
    from flowtrack.exceptions import ExperimentNotFound

    try:
        return client.get_experiment(experiment_id).name
    except ExperimentNotFound:
        return None


def _artifacts(client: TrackingClient, run_id: str) -> tuple[list[FileInfo], str | None]:
    """Every artifact file, depth first, up to MAX_ARTIFACTS; an unreachable store is reported, not fatal."""
    from flowtrack.exceptions import FlowtrackError

    found: list[FileInfo] = []
    pending: list[str | None] = [None]
    try:
        while pending and len(found) < MAX_ARTIFACTS:
            for entry in client.list_artifacts(run_id, pending.pop()):
                if entry.is_dir:
                    pending.append(entry.path)
                else:
                    found.append(entry)
    except (FlowtrackError, OSError) as exc:
        return found, str(exc)
    return sorted(found, key=lambda entry: entry.path)[:MAX_ARTIFACTS], None


def _input_to_json(dataset_input: DatasetInput) -> dict[str, Any]:
    dataset = dataset_input.dataset
    return {
        "name": dataset.name,
        "digest": dataset.digest,
        "source_type": dataset.source_type,
        "source": _decoded(dataset.source),
        "schema": _decoded(dataset.schema),
        "profile": _decoded(dataset.profile),
        "tags": {tag.key: tag.value for tag in dataset_input.tags},
    }


def _print_info(run: Run, experiment_name: str | None) -> None:
    info = run.info
    experiment = (
        f"{output.esc(experiment_name)} (id {info.experiment_id})" if experiment_name else info.experiment_id
    )
    rows = [
        ("Run ID", info.run_id),
        ("Name", f"[bold]{output.esc(info.run_name)}[/]"),
        ("Experiment", experiment),
        ("Status", output.status(str(info.status))),
        ("Started", f"{output.timestamp(info.start_time)} [dim]({output.ago(info.start_time)})[/]"),
        ("Ended", output.timestamp(info.end_time)),
        ("Duration", output.duration(info.start_time, info.end_time)),
        ("User", output.esc(info.user_id)),
        ("Artifact URI", output.esc(info.artifact_uri)),
    ]
    if str(info.lifecycle_stage) != "active":
        restore = f"flowtrack runs restore {info.run_id[:SHORT_ID]}"
        rows.append(("Lifecycle", f"[red]{info.lifecycle_stage}[/] [dim](undo: {restore})[/]"))
    if parent := run.data.tags.get("mlflow.parentRunId"):
        rows.append(("Parent run", output.esc(parent)))
    if note := run.data.tags.get("mlflow.note.content"):
        rows.append(("Description", output.esc(note)))
    _print_grid([(f"[bold]{key}[/]", value) for key, value in rows], indent=0)


def _pairs(values: dict[str, str], style: str) -> list[tuple[str, ...]]:
    wrap = (lambda text: f"[{style}]{text}[/]") if style else (lambda text: text)
    return [(output.esc(key), wrap(output.esc(values[key]))) for key in sorted(values)]


def _inputs(run: Run) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for dataset_input in run.inputs.dataset_inputs:
        dataset = dataset_input.dataset
        tags = {tag.key: tag.value for tag in dataset_input.tags}
        context = tags.get("mlflow.data.context", "")
        rows.append(
            tuple(output.esc(text) for text in (dataset.name, dataset.digest, context, _uri(dataset.source)))
        )
    return rows


def _artifact_rows(artifacts: Sequence[FileInfo]) -> list[tuple[str, ...]]:
    return [(output.esc(entry.path), f"[dim]{_size(entry.file_size)}[/]") for entry in artifacts]


def _print_section(
    title: str, rows: Sequence[tuple[str, ...]], note: str = "", header: tuple[str, ...] | None = None
) -> None:
    """A bold heading with a count, then an indented grid; nothing at all when there are no rows."""
    if not rows:
        return
    details = f"{len(rows)}, {note}" if note else str(len(rows))
    output.say(f"\n[bold]{title}[/] [dim]({details})[/]")
    _print_grid([tuple(f"[dim]{cell}[/]" for cell in header), *rows] if header else rows)


def _print_grid(rows: Sequence[tuple[str, ...]], indent: int = 2) -> None:
    from rich.padding import Padding
    from rich.table import Table

    grid = Table.grid(padding=(0, 3, 0, 0))
    for row in rows:
        grid.add_row(*row)
    output.stdout_console().print(Padding(grid, (0, 0, 0, indent), expand=False))


def _decoded(text: str | None) -> Any:
    """A dataset's JSON description (source, schema, profile) as an object; other text as it is."""
    import json

    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _uri(source: str) -> str:
    decoded = _decoded(source)
    return str(decoded.get("uri", source)) if isinstance(decoded, dict) else source


def _size(size: int | None) -> str:
    if size is None:
        return ""
    value, unit = float(size), "B"
    for next_unit in ("KB", "MB", "GB"):
        if value < 1024:
            break
        value, unit = value / 1024, next_unit
    return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"


# -- delete / restore ----------------------------------------------------------------------------------------
@app.command(epilog="Example: [cyan]flowtrack runs delete 3f2a9c1e 7b0d44aa[/]")
def delete(run_ids: RunIdsArgument, tracking_uri: TrackingUriOption = None) -> None:
    """Move runs to the deleted stage (restore them with `flowtrack runs restore`)."""
    tracking = output.client(tracking_uri)
    for run in _resolve_all(tracking, run_ids):
        tracking.delete_run(run.info.run_id)
        output.say(f"Deleted run [bold]{run.info.run_id}[/] ({output.esc(run.info.run_name)})")


@app.command(epilog="Example: [cyan]flowtrack runs restore 3f2a9c1e[/]")
def restore(run_ids: RunIdsArgument, tracking_uri: TrackingUriOption = None) -> None:
    """Bring deleted runs back."""
    tracking = output.client(tracking_uri)
    for run in _resolve_all(tracking, run_ids):
        tracking.restore_run(run.info.run_id)
        output.say(f"Restored run [bold]{run.info.run_id}[/] ({output.esc(run.info.run_name)})")
