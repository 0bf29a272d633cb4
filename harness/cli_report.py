"""Placeholder: being written (see the issue that owns this subcommand)."""

from __future__ import annotations

import click


@click.command()
def report() -> None:
    """Not available yet."""
    raise click.ClickException("not implemented yet")


@click.command()
def diff() -> None:
    """Not available yet."""
    raise click.ClickException("not implemented yet")
