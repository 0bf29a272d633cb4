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


INTERRUPTED_EXIT = 130  # the shell's convention for SIGINT (128 + 2)


def main(argv: list[str] | None = None) -> Any:
    """Console entry point: configuration errors become one line on stderr and exit code 2;
    Ctrl-C at any moment exits 130 (click alone would say "Aborted!" and exit 1)."""
    try:
        result = cli.main(args=argv, prog_name="poq-conformance", standalone_mode=False)
    except ConfigError as exc:
        click.echo(f"poq-conformance: error: {exc}", err=True)
        sys.exit(2)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("poq-conformance: interrupted", err=True)
        sys.exit(INTERRUPTED_EXIT)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
