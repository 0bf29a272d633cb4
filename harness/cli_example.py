"""``poq-conformance example``: request bodies (and a notification) a buyer can paste, built
from a scenario's own catalogue, so they are valid against the mock seller serving it."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import click

from harness.errors import ConfigError

KINDS = ("create", "register", "list", "notification")


@click.command()
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--api", default="v8", show_default=True, type=click.Choice(["v8", "v7"]),
              help="API dialect of the example.")
@click.option("--deferred", is_flag=True, default=False,
              help="create: a deferred request (instantSyncQualification false, with "
                   "requestedPOQCompletionDate).")
@click.option("--scenario", default="default", show_default=True, metavar="NAME|FILE",
              help="Scenario whose catalogue the example uses (overlays welcome).")
@click.option("--offering", default=None, metavar="ID",
              help="create: the product offering to qualify (default: the catalogue's first).")
@click.option("--callback", default="http://127.0.0.1:9090", show_default=True, metavar="URL",
              help="register: the buyer's listener (notifications go to URL + listener path).")
def example(kind: str, api: str, deferred: bool, scenario: str, offering: str | None,
            callback: str) -> None:
    """Print an example: a create request body, a hub registration body, a list query
    (request line) or a notification body as the mock sends it."""
    from mock_seller.core.scenario import ScenarioError
    from mock_seller.testing import examples

    if deferred and kind != "create":
        raise click.UsageError("--deferred applies to 'create' only")
    options: dict[str, object] = {}
    if kind == "create":
        options = {"deferred": deferred, "offering": offering}
    elif kind == "register":
        options = {"callback": callback}
    try:
        built = examples.build(kind, scenario, api, **options)
    except (ScenarioError, ValueError) as exc:
        raise ConfigError(str(exc)) from None
    if kind == "list":
        click.echo(f"{built['method']} {built['path']}?{urlencode(built['query'])}")
    else:
        click.echo(json.dumps(built, indent=2))
