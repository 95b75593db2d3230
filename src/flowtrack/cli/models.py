"""``flowtrack models list|describe|register|alias|transition|delete``: the model registry from the shell.

A registered model is named by its name; a version by ``NAME VERSION``. Every command takes
``--tracking-uri`` (default: the configured store) and the read commands ``--output json``.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flowtrack.cli import model_serving, output
from flowtrack.cli.output import OutputFormat, OutputOption, TrackingUriOption

if TYPE_CHECKING:
    from flowtrack.registry.client import RegistryClient
    from flowtrack.registry.entities import ModelVersion, RegisteredModel

app = typer.Typer(
    name="models",
    help="Registered models: list, describe, register versions, set aliases and stages, delete.",
    no_args_is_help=True,
)

app.command(name="serve", help="Serve a model: /ping and /invocations.", epilog=model_serving.EXAMPLES)(
    model_serving.serve
)


SHORT_ID = 8
VersionArgument = Annotated[str, typer.Argument(metavar="VERSION", help="Version number, e.g. 3.")]
NameArgument = Annotated[str, typer.Argument(metavar="NAME", help="Registered model name.")]


def registry(tracking_uri: str | None, *, read_only: bool = False) -> RegistryClient:
    """A registry client for ``--tracking-uri``, else the configured store (resolved as ``output.client``
    resolves it)."""
    from flowtrack.registry.client import RegistryClient

    return RegistryClient(output.client(tracking_uri, read_only=read_only).tracking_uri)


def version_to_json(version: ModelVersion) -> dict[str, Any]:
    return {
        "name": version.name,
        "version": version.version,
        "current_stage": str(version.current_stage),
        "status": str(version.status),
        "aliases": list(version.aliases),
        "source": version.source,
        "storage_location": version.storage_location,
        "run_id": version.run_id,
        "model_id": version.model_id,
        "description": version.description,
        "tags": version.tags,
        "creation_timestamp": version.creation_timestamp,
        "last_updated_timestamp": version.last_updated_timestamp,
    }


def model_to_json(model: RegisteredModel) -> dict[str, Any]:
    return {
        "name": model.name,
        "description": model.description,
        "tags": model.tags,
        "aliases": model.aliases,
        "latest_versions": [version_to_json(version) for version in model.latest_versions],
        "creation_timestamp": model.creation_timestamp,
        "last_updated_timestamp": model.last_updated_timestamp,
    }


def _aliases(aliases: dict[str, str]) -> str:
    return ", ".join(f"{alias}→v{version}" for alias, version in sorted(aliases.items()))


def _latest(model: RegisteredModel) -> str:
    return str(max((int(version.version) for version in model.latest_versions), default=0) or "-")


_STAGE_STYLES = {"Production": "green", "Staging": "cyan", "Archived": "dim"}


def _stage(stage: str) -> str:
    return f"[{_STAGE_STYLES.get(stage, 'white')}]{stage}[/]"


# -- list ----------------------------------------------------------------------------------------------------
@app.command(
    "list",
    epilog="Examples:\n\n"
    "  [cyan]flowtrack models list[/]\n\n"
    "  [cyan]flowtrack models list --filter \"name LIKE 'taxi%'\" --output json[/]",
)
def list_(
    filter_string: Annotated[
        str | None,
        typer.Option(
            "--filter", "-f", metavar="FILTER", help="e.g. \"name LIKE 'taxi%'\" or \"tags.team = 'ml'\"."
        ),
    ] = None,
    order_by: Annotated[
        list[str] | None,
        typer.Option(metavar="CLAUSE", help='e.g. "last_updated_timestamp DESC". Default: by name.'),
    ] = None,
    max_results: Annotated[int, typer.Option(metavar="N", help="Show at most this many models.")] = 100,
    tracking_uri: TrackingUriOption = None,
    output_format: OutputOption = OutputFormat.TABLE,
) -> None:
    """List registered models with their newest version, aliases and last update."""
    models = registry(tracking_uri, read_only=True).search_registered_models(
        filter_string, max_results, order_by
    )
    if output_format is OutputFormat.JSON:
        output.print_json([model_to_json(model) for model in models])
        return
    if not models:
        output.say("No registered models. Register one with `flowtrack models register`.")
        return
    rows = [
        (
            f"[bold]{output.esc(model.name)}[/]",
            _latest(model),
            output.esc(_aliases(model.aliases)),
            output.ago(model.last_updated_timestamp),
            output.esc(model.description),
        )
        for model in models
    ]
    output.print_table(None, ["Name", "Latest", "Aliases", "Updated", "Description"], rows)


# -- describe ------------------------------------------------------------------------------------------------
@app.command(
    epilog="Examples:\n\n  [cyan]flowtrack models describe taxi-model[/]\n\n"
    "  [cyan]flowtrack models describe taxi-model --output json[/]",
)
def describe(
    name: NameArgument,
    tracking_uri: TrackingUriOption = None,
    output_format: OutputOption = OutputFormat.TABLE,
) -> None:
    """Show a registered model: description, tags, aliases and every version with its stage and source."""
    client = registry(tracking_uri, read_only=True)
    model = client.get_registered_model(name)
    versions = client.search_model_versions(
        f"name = '{name.replace(chr(39), chr(39) * 2)}'", order_by=["version_number DESC"]
    )
    if output_format is OutputFormat.JSON:
        details = model_to_json(model)
        details["versions"] = [version_to_json(version) for version in versions]
        output.print_json(details)
        return
    output.say(
        f"[bold]{output.esc(model.name)}[/]  [dim]created {output.timestamp(model.creation_timestamp)}[/]"
    )
    if model.description:
        output.say(output.esc(model.description))
    for key, value in sorted(model.tags.items()):
        output.say(f"  [dim]tag[/] {output.esc(key)} = {output.esc(value)}")
    if model.aliases:
        output.say(f"  [dim]aliases[/] {output.esc(_aliases(model.aliases))}")
    rows = [
        (
            version.version,
            _stage(str(version.current_stage)),
            output.esc(", ".join(version.aliases)),
            output.esc((version.run_id or "")[:SHORT_ID]),
            output.ago(version.creation_timestamp),
            output.esc(version.source),
        )
        for version in versions
    ]
    output.print_table(None, ["Version", "Stage", "Aliases", "Run", "Created", "Source"], rows)


# -- register ------------------------------------------------------------------------------------------------
@app.command(
    epilog="Examples:\n\n"
    "  [cyan]flowtrack models register runs:/3f2a9c1e.../model --name taxi-model[/]\n\n"
    "  [cyan]flowtrack models register models:/m-0a1b... --name taxi-model --tag reviewed=yes[/]\n\n"
    "  [cyan]flowtrack models register s3://bucket/models/taxi --name taxi-model -d 'first cut'[/]",
)
def register(
    source: Annotated[
        str,
        typer.Argument(
            metavar="MODEL_URI", help="runs:/<run_id>/<path>, models:/<model_id> or an artifact URI."
        ),
    ],
    name: Annotated[str, typer.Option("--name", "-n", metavar="NAME", help="Registered model name.")],
    tags: Annotated[
        list[str] | None, typer.Option("--tag", "-t", metavar="KEY=VALUE", help="Version tag; repeatable.")
    ] = None,
    description: Annotated[
        str | None, typer.Option("--description", "-d", metavar="TEXT", help="Version description.")
    ] = None,
    tracking_uri: TrackingUriOption = None,
    output_format: OutputOption = OutputFormat.TABLE,
) -> None:
    """Register a model as a new version of NAME (creating NAME the first time)."""
    from flowtrack.registry.errors import RegisteredModelAlreadyExists

    version_tags = output.parse_pairs(tags or [], "tag", "--tag reviewed=yes")
    client = registry(tracking_uri)
    with contextlib.suppress(RegisteredModelAlreadyExists):
        client.create_registered_model(name)
    version = client.create_model_version(name, source, tags=version_tags, description=description)
    if output_format is OutputFormat.JSON:
        output.print_json(version_to_json(version))
        return
    output.say(
        f"Registered [bold]{output.esc(name)}[/] version [bold]{version.version}[/] "
        f"[dim]({output.esc(version.storage_location or version.source)})[/]"
    )


# -- alias ---------------------------------------------------------------------------------------------------
@app.command(
    epilog="Examples:\n\n"
    "  [cyan]flowtrack models alias taxi-model production 3[/]   point @production at version 3\n\n"
    "  [cyan]flowtrack models alias taxi-model production --delete[/]",
)
def alias(
    name: NameArgument,
    alias_name: Annotated[str, typer.Argument(metavar="ALIAS", help="e.g. production, champion.")],
    version: Annotated[
        str | None,
        typer.Argument(metavar="VERSION", help="Version to point the alias at.", show_default=False),
    ] = None,
    delete_alias: Annotated[bool, typer.Option("--delete", help="Remove the alias instead.")] = False,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Point an alias at a version (load it as models:/NAME@ALIAS), or remove it with --delete."""
    client = registry(tracking_uri)
    if delete_alias:
        if version is not None:
            output.fail("give either VERSION or --delete, not both")
        client.delete_registered_model_alias(name, alias_name)
        output.say(f"Removed alias [bold]{output.esc(alias_name)}[/] of {output.esc(name)}")
        return
    if version is None:
        output.fail("missing VERSION", f"Example: flowtrack models alias {name} {alias_name} 3")
    client.set_registered_model_alias(name, alias_name, version)
    output.say(f"[bold]{output.esc(name)}@{output.esc(alias_name)}[/] → version {output.esc(version)}")


# -- transition ----------------------------------------------------------------------------------------------
@app.command(
    epilog="Examples:\n\n"
    "  [cyan]flowtrack models transition taxi-model 3 Production --archive-existing[/]\n\n"
    "  [cyan]flowtrack models transition taxi-model 2 Archived[/]",
)
def transition(
    name: NameArgument,
    version: VersionArgument,
    stage: Annotated[str, typer.Argument(metavar="STAGE", help="None, Staging, Production or Archived.")],
    archive_existing: Annotated[
        bool,
        typer.Option(
            "--archive-existing", help="Archive the versions already in STAGE (Staging/Production)."
        ),
    ] = False,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Move a version to a stage (the legacy alternative to aliases)."""
    moved = registry(tracking_uri).transition_model_version_stage(name, version, stage, archive_existing)
    output.say(f"{output.esc(name)} version {moved.version} → {_stage(str(moved.current_stage))}")


# -- delete --------------------------------------------------------------------------------------------------
@app.command(
    epilog="Examples:\n\n"
    "  [cyan]flowtrack models delete taxi-model --version 2[/]   one version (and its aliases)\n\n"
    "  [cyan]flowtrack models delete taxi-model --yes[/]          the model and every version",
)
def delete(
    name: NameArgument,
    version: Annotated[
        str | None, typer.Option("--version", "-v", metavar="VERSION", help="Delete only this version.")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete a whole model without asking.")] = False,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Delete a registered model with all its versions, or one version with --version. Files stay."""
    client = registry(tracking_uri)
    if version is not None:
        client.delete_model_version(name, version)
        output.say(f"Deleted {output.esc(name)} version {output.esc(version)}")
        return
    model = client.get_registered_model(name)
    if not yes and not typer.confirm(f"Delete registered model {name!r} and all its versions?"):
        output.fail("nothing deleted")
    client.delete_registered_model(model.name)
    output.say(f"Deleted registered model [bold]{output.esc(name)}[/]")
