"""``flowtrack models list|describe|register|alias|transition|delete``: the model registry from the shell.

A registered model is named by its name; a version by ``NAME VERSION``.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="models",
    help="Registered models: list, describe, register versions, set aliases and stages, delete.",
    no_args_is_help=True,
)
