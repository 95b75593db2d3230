"""``flowtrack experiments create|list|rename|delete|restore``.

An experiment is named on the command line by id or by name (``ID_OR_NAME``; an id wins when both match).
MLflow's ``-x/--experiment-id`` and ``-n/--experiment-name`` options work too.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flowtrack.cli import output
from flowtrack.cli.output import OutputFormat, OutputOption, TrackingUriOption
from flowtrack.exceptions import ExperimentNotFound, InvalidArgument

if TYPE_CHECKING:
    from flowtrack.tracking.client import TrackingClient
    from flowtrack.tracking.entities import Experiment, ViewType

app = typer.Typer(
    name="experiments",
    help="Create, list, rename, delete and restore experiments.",
    no_args_is_help=True,
)

LIST_HINT = "List the experiments with `flowtrack experiments list --view all`."


class View(enum.StrEnum):
    ACTIVE = "active"
    DELETED = "deleted"
    ALL = "all"

    def view_type(self) -> ViewType:
        from flowtrack.tracking.entities import ViewType

        return {View.ACTIVE: ViewType.ACTIVE_ONLY, View.DELETED: ViewType.DELETED_ONLY}.get(
            self, ViewType.ALL
        )


ViewOption = Annotated[
    View, typer.Option("--view", help="Which lifecycle stage to show.", case_sensitive=False)
]
RefArgument = Annotated[
    str | None, typer.Argument(metavar="ID_OR_NAME", help="Experiment id or name.", show_default=False)
]
IdOption = Annotated[
    str | None,
    typer.Option("--experiment-id", "-x", help="Experiment id (MLflow's spelling).", show_default=False),
]
NameOption = Annotated[
    str | None, typer.Option("--experiment-name", "-n", help="Experiment name.", show_default=False)
]


# -- resolution, shared with `flowtrack runs` ----------------------------------------------------------------
def resolve(client: TrackingClient, ref: str) -> Experiment:
    """The experiment whose id is ``ref``, else the one named ``ref`` (deleted ones included)."""
    try:
        return client.get_experiment(ref)
    except (ExperimentNotFound, InvalidArgument):
        pass
    found = client.get_experiment_by_name(ref)
    if found is None:
        raise ExperimentNotFound(f"no experiment with id or name {ref!r}")
    return found


def pick(client: TrackingClient, ref: str | None, experiment_id: str | None, name: str | None) -> Experiment:
    """The one experiment given as ID_OR_NAME, ``-x ID`` or ``-n NAME``."""
    given = [value for value in (ref, experiment_id, name) if value is not None]
    if len(given) != 1:
        output.fail(
            "name exactly one experiment: ID_OR_NAME, --experiment-id or --experiment-name",
            "Example: flowtrack experiments delete my-experiment",
        )
    if experiment_id is not None:
        return client.get_experiment(experiment_id)
    if name is not None:
        found = client.get_experiment_by_name(name)
        if found is None:
            raise ExperimentNotFound(f"no experiment named {name!r}")
        return found
    assert ref is not None
    return resolve(client, ref)


def search_all(
    client: TrackingClient, view: ViewType, filter_string: str | None = None, max_results: int | None = None
) -> list[Experiment]:
    """Every matching experiment, following page tokens, or the first ``max_results``."""
    found: list[Experiment] = []
    token: str | None = None
    while max_results is None or len(found) < max_results:
        size = 1000 if max_results is None else min(1000, max_results - len(found))
        page = client.search_experiments(view, size, filter_string, None, token)
        found.extend(page)
        token = page.token
        if token is None:
            break
    return found


def to_json(experiment: Experiment) -> dict[str, Any]:
    return {
        "experiment_id": experiment.experiment_id,
        "name": experiment.name,
        "artifact_location": experiment.artifact_location,
        "lifecycle_stage": str(experiment.lifecycle_stage),
        "tags": experiment.tags,
        "creation_time": experiment.creation_time,
        "last_update_time": experiment.last_update_time,
    }


def _label(experiment: Experiment) -> str:
    return f"[bold]{output.esc(experiment.name)}[/] (id {output.esc(experiment.experiment_id)})"


# -- commands ------------------------------------------------------------------------------------------------
@app.command(
    epilog="Examples:\n\n"
    "  [cyan]flowtrack experiments create taxi-duration[/]\n\n"
    "  [cyan]flowtrack experiments create -n taxi-duration --tag team=forecasting "
    "--artifact-location s3://bucket/taxi[/]",
)
def create(
    *,
    name: Annotated[str | None, typer.Argument(metavar="NAME", help="Name of the new experiment.")] = None,
    experiment_name: NameOption = None,
    artifact_location: Annotated[
        str | None,
        typer.Option(
            help="Where its runs' artifacts go. Default: under the artifact root.", show_default=False
        ),
    ] = None,
    tags: Annotated[
        list[str] | None, typer.Option("--tag", "-t", metavar="KEY=VALUE", help="A tag; repeat for more.")
    ] = None,
    tracking_uri: TrackingUriOption = None,
    output_format: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create an experiment and print its id."""
    if (name is None) == (experiment_name is None):
        output.fail(
            "give the experiment name once: NAME or --experiment-name",
            "Example: flowtrack experiments create demo",
        )
    chosen = name if name is not None else experiment_name
    assert chosen is not None
    tracking = output.client(tracking_uri)
    tag_values = output.parse_pairs(tags or [], "tag", "--tag team=forecasting")
    experiment_id = tracking.create_experiment(chosen, artifact_location, dict(tag_values))
    if output_format is OutputFormat.JSON:
        output.print_json(to_json(tracking.get_experiment(experiment_id)))
        return
    output.say(
        f"Created experiment [bold]{output.esc(chosen)}[/] with id [bold]{output.esc(experiment_id)}[/]"
    )


@app.command(
    "list",
    epilog="Examples:\n\n"
    "  [cyan]flowtrack experiments list[/]\n\n"
    "  [cyan]flowtrack experiments list --view all --filter \"name LIKE 'taxi%'\" --output json[/]",
)
def list_(
    view: ViewOption = View.ACTIVE,
    filter_string: Annotated[
        str | None,
        typer.Option(
            "--filter", help="MLflow search filter on name, tags or times, e.g. \"name LIKE 'a%'\"."
        ),
    ] = None,
    max_results: Annotated[
        int | None, typer.Option(help="Show at most this many.", show_default=False)
    ] = None,
    tracking_uri: TrackingUriOption = None,
    output_format: OutputOption = OutputFormat.TABLE,
) -> None:
    """List experiments, most recently updated first."""
    tracking = output.client(tracking_uri, read_only=True)
    found = search_all(tracking, view.view_type(), filter_string, max_results)
    if output_format is OutputFormat.JSON:
        output.print_json([to_json(experiment) for experiment in found])
        return
    if not found:
        output.say("No experiments found." + ("" if view is View.ALL else " [dim](try --view all)[/]"))
        return
    columns = ["ID", "Name", "Created", "Updated", "Artifact location", "Tags"]
    if view is not View.ACTIVE:
        columns.insert(2, "Stage")
    result = output.table(None, columns)
    for experiment in found:
        row = [
            output.esc(experiment.experiment_id),
            output.esc(experiment.name),
            output.ago(experiment.creation_time),
            output.ago(experiment.last_update_time),
            output.esc(experiment.artifact_location),
            output.esc(
                ", ".join(f"{k}={v}" for k, v in experiment.tags.items() if not k.startswith("mlflow."))
            ),
        ]
        if view is not View.ACTIVE:
            row.insert(2, str(experiment.lifecycle_stage))
        result.add_row(*row)
    output.stdout_console().print(result)


@app.command(
    epilog="Examples:\n\n"
    "  [cyan]flowtrack experiments rename taxi-duration taxi-duration-v2[/]\n\n"
    "  [cyan]flowtrack experiments rename -x 3 --new-name taxi-duration-v2[/]",
)
def rename(
    *,
    ref: RefArgument = None,
    new_name_argument: Annotated[
        str | None, typer.Argument(metavar="NEW_NAME", help="The new name.", show_default=False)
    ] = None,
    experiment_id: IdOption = None,
    experiment_name: NameOption = None,
    new_name: Annotated[
        str | None, typer.Option("--new-name", help="The new name.", show_default=False)
    ] = None,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Rename an experiment; its runs stay with it."""
    if (experiment_id is not None or experiment_name is not None) and new_name_argument is None:
        ref, new_name_argument = None, ref  # `rename -x 3 NEW_NAME`: the one positional is the new name
    target_name = new_name if new_name is not None else new_name_argument
    if target_name is None or (new_name is not None and new_name_argument is not None):
        output.fail(
            "give the new name once: NEW_NAME or --new-name", "Example: flowtrack experiments rename old new"
        )
    tracking = output.client(tracking_uri)
    experiment = pick(tracking, ref, experiment_id, experiment_name)
    tracking.rename_experiment(experiment.experiment_id, target_name)
    output.say(f"Renamed {_label(experiment)} to [bold]{output.esc(target_name)}[/]")


@app.command(
    epilog="Examples:\n\n  [cyan]flowtrack experiments delete taxi-duration[/]\n\n"
    "  [cyan]flowtrack experiments delete -x 3[/]",
)
def delete(
    ref: RefArgument = None,
    experiment_id: IdOption = None,
    experiment_name: NameOption = None,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Move an experiment and its runs to the deleted stage (they can be restored)."""
    tracking = output.client(tracking_uri)
    experiment = pick(tracking, ref, experiment_id, experiment_name)
    tracking.delete_experiment(experiment.experiment_id)
    output.say(f"Deleted {_label(experiment)} and its runs.")
    output.say(f"[dim]Undo with: flowtrack experiments restore {output.esc(experiment.experiment_id)}[/]")


@app.command(
    epilog="Examples:\n\n  [cyan]flowtrack experiments restore taxi-duration[/]\n\n"
    "  [cyan]flowtrack experiments restore -x 3[/]",
)
def restore(
    ref: RefArgument = None,
    experiment_id: IdOption = None,
    experiment_name: NameOption = None,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Bring a deleted experiment and its runs back."""
    tracking = output.client(tracking_uri)
    experiment = pick(tracking, ref, experiment_id, experiment_name)
    tracking.restore_experiment(experiment.experiment_id)
    output.say(f"Restored {_label(experiment)}.")
