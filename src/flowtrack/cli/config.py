"""``flowtrack config set|get|unset|view``: the settings profile in ``$FLOWTRACK_HOME/config.toml``."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flowtrack.cli import output
from flowtrack.cli.output import OutputFormat, OutputOption

if TYPE_CHECKING:
    from flowtrack.config.settings import Settings

app = typer.Typer(
    name="config",
    help="Read and change flowtrack's settings (a profile file, overridden by FLOWTRACK_* variables).",
    no_args_is_help=True,
    epilog="Settings: [bold]tracking_uri[/], [bold]artifact_root[/], [bold]api_url[/], "
    "[bold]log_source_code[/], [bold]log_environment[/], [bold]log_git_diff[/]. "
    "Each is also the environment variable FLOWTRACK_<NAME>, which wins over the profile.",
)

# Settings whose unset value is computed from FLOWTRACK_HOME; shown (and printed by `get`) as computed.
_RESOLVED = ("tracking_uri", "artifact_root")


@app.command(
    "set",
    epilog="Examples:\n\n"
    "  [cyan]flowtrack config set api_url=http://127.0.0.1:5000[/]\n\n"
    "  [cyan]flowtrack config set FLOWTRACK_TRACKING_URI=sqlite:///flowtrack.db log_git_diff=false[/]",
)
def set_(
    assignments: Annotated[
        list[str],
        typer.Argument(metavar="KEY=VALUE", help="One or more settings to store.", show_default=False),
    ],
) -> None:
    """Store settings in the profile; all are checked first, so one bad value writes nothing."""
    from flowtrack.config import profiles

    stored = profiles.set_values(output.parse_pairs(assignments, "setting", "api_url=http://127.0.0.1:5000"))
    for name, value in stored.items():
        output.say(f"Set [bold]{name}[/] = {output.esc(_show(value))}")
        overriding = _env_name(name)
        if overriding is not None:
            output.say(f"[yellow]Note:[/] {overriding} is set in the environment and overrides this value.")
    output.say(f"[dim]Saved to {output.esc(_profile_path())}[/]")


@app.command(
    "get",
    epilog="Example: [cyan]flowtrack config get tracking_uri[/]",
)
def get(key: Annotated[str, typer.Argument(help="Setting name, e.g. api_url or FLOWTRACK_API_URL.")]) -> None:
    """Print the value in effect (environment, then profile, then default); nothing when it is unset."""
    from flowtrack.config import profiles
    from flowtrack.config.settings import load_settings

    settings = load_settings()  # a bad value anywhere is reported with its name, not a traceback
    value = profiles.get_value(key)
    name = key.strip().lower().removeprefix("flowtrack_")
    if name in _RESOLVED:
        value = _effective(settings, name)
    if value is not None:
        typer.echo(_show(value))


@app.command(
    "unset",
    epilog="Example: [cyan]flowtrack config unset api_url tracking_uri[/]",
)
def unset(
    keys: Annotated[list[str], typer.Argument(metavar="KEY", help="Settings to remove from the profile.")],
) -> None:
    """Remove settings from the profile, so they fall back to their defaults."""
    from flowtrack.config import profiles

    before = profiles.read_profile()
    profiles.unset_values(keys)
    for key in keys:
        name = key.strip().lower().removeprefix("flowtrack_")
        state = "Unset" if name in before else "Was not set:"
        output.say(f"{state} [bold]{output.esc(name)}[/]")
        overriding = _env_name(name)
        if overriding is not None:
            output.say(f"[yellow]Note:[/] {overriding} is still set in the environment.")


@app.command(
    "view",
    epilog="Examples:\n\n  [cyan]flowtrack config view[/]\n\n  [cyan]flowtrack config view --output json[/]",
)
def view(output_format: OutputOption = OutputFormat.TABLE) -> None:
    """Show every setting, its value and where it comes from: env, profile or default."""
    from flowtrack.config import profiles
    from flowtrack.config.settings import load_settings, setting_names

    settings = load_settings()
    profile = profiles.read_profile()
    rows = {
        name: {"value": _effective(settings, name), "source": _source(name, profile)}
        for name in setting_names()
    }
    if output_format is OutputFormat.JSON:
        output.print_json({"home": str(settings.home), "profile": str(_profile_path()), "settings": rows})
        return
    output.print_table(
        None,
        ["Setting", "Value", "Source"],
        [
            (name, output.esc(_show(row["value"])), _style_source(str(row["source"])))
            for name, row in rows.items()
        ],
    )
    output.say(f"[dim]Profile: {output.esc(_profile_path())}[/]")


def _effective(settings: Settings, name: str) -> Any:
    if name == "tracking_uri":
        return settings.resolved_tracking_uri()
    if name == "artifact_root":
        return settings.resolved_artifact_root()
    return getattr(settings, name)


def _source(name: str, profile: dict[str, Any]) -> str:
    env = _env_name(name)
    if env is not None:
        return f"env {env}"
    if name in profile:
        return "profile"
    if name == "tracking_uri" and os.environ.get("MLFLOW_TRACKING_URI"):
        return "env MLFLOW_TRACKING_URI"
    return "default"


def _env_name(name: str) -> str | None:
    """The FLOWTRACK_* variable that sets ``name`` (matched case-insensitively, as pydantic-settings does)."""
    wanted = f"FLOWTRACK_{name}".upper()
    return next((key for key in os.environ if key.upper() == wanted), None)


def _style_source(source: str) -> str:
    return {"default": "[dim]default[/]", "profile": "[green]profile[/]"}.get(source, f"[yellow]{source}[/]")


def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _profile_path() -> str:
    from flowtrack.config.settings import profile_path

    return str(profile_path())
