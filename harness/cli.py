"""The `poq-conformance` command. Subcommands live in their own modules and load lazily,
so `poq-conformance requirements` does not pay for Flask or pytest imports."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from harness import __version__
from harness.errors import ConfigError

# subcommand name -> "module:attribute"
_COMMANDS = {
    "mock": "harness.cli_mock:mock",
    "run": "harness.cli_run:run",
    "requirements": "harness.cli_requirements:requirements",
    "report": "harness.cli_report:report",
    "diff": "harness.cli_report:diff",
    "example": "harness.cli_example:example",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        command = getattr(importlib.import_module(module_name), attr)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="poq-conformance")
def cli() -> None:
    """Conformance harness and mock seller for MEF LSO Sonata Product Offering Qualification."""


def main(argv: list[str] | None = None) -> Any:
    """Console entry point: configuration errors become one line on stderr and exit code 2."""
    try:
        return cli.main(args=argv, prog_name="poq-conformance", standalone_mode=True)
    except ConfigError as exc:
        click.echo(f"poq-conformance: error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
