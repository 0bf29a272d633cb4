"""The ``mock`` command (``poq-conformance mock`` and ``python -m mock_seller``)."""

from __future__ import annotations

import dataclasses

import click

from mock_seller.scenario import ScenarioError, load_scenario


def _enable_control(token: str | None) -> None:
    """--control-token: handed to serve() through its environment variable."""
    if token:
        import os

        os.environ["POQ_MOCK_CONTROL_TOKEN"] = token


class _ConfigProblem(click.ClickException):
    """One line on stderr, exit code 2 (a usage/configuration problem the user can fix)."""

    exit_code = 2


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port to bind; 0 picks a free one (printed on the ready line).")
@click.option("--scenario", "scenario", default="default", show_default=True,
              help="Scenario YAML file, or the name of a bundled scenario.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256),
              help="Request worker threads.")
@click.option("--control-token", envvar="POQ_MOCK_CONTROL_TOKEN", expose_value=False,
              callback=lambda ctx, param, value: _enable_control(value), metavar="TOKEN",
              help="Enable the /_mock runtime control API, guarded by this bearer token "
                   "(env POQ_MOCK_CONTROL_TOKEN). Off by default.")
@click.option("--callback-allow", "callback_allow", multiple=True, metavar="HOST|CIDR",
              help="Deliver notifications only to this host name, *.suffix, IP address or CIDR "
                   "(repeatable; added to the scenario's callbacks.allow). Loopback stays "
                   "allowed; link-local and metadata addresses are refused unless listed.")
def mock(host: str, port: int, scenario: str, threads: int,
         callback_allow: tuple[str, ...] = ()) -> None:
    """Run the mock POQ seller (API v8 and v7, Sonata and Cantata paths)."""
    from mock_seller.server import serve

    try:
        loaded = load_scenario(scenario)
    except ScenarioError as exc:
        raise _ConfigProblem(str(exc)) from None
    if callback_allow:  # mock_seller/callbacks.py
        try:
            policy = loaded.callback_policy.with_allow(callback_allow)
        except ValueError as exc:
            raise _ConfigProblem(f"--callback-allow: {exc}") from None
        loaded = dataclasses.replace(loaded, callback_policy=policy)
    try:
        serve(loaded, host=host, port=port, threads=threads)
    except OSError as exc:
        raise _ConfigProblem(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def main() -> None:
    mock.main(prog_name="python -m mock_seller")
