"""The ``mock`` command (``poq-conformance mock`` and ``python -m mock_seller``)."""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import Any

import click

from mock_seller.app import default_extensions
from mock_seller.buyer.report import close_all
from mock_seller.core.scenario import ScenarioError, load_scenario
from mock_seller.sandbox.connections import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_PER_CLIENT,
    DEFAULT_REQUEST_TIMEOUT,
    ConnectionLimits,
)
from mock_seller.serve_processes import SERVERS, choose_server
from mock_seller.server import serve
from mock_seller.storage import StoreError, display_url, open_store

#: request threads per process when --threads is not given (bench/README.md)
DEFAULT_THREADS = {"waitress": 8, "gunicorn": 8, "granian": 1}


def _enable_control(token: str | None) -> None:
    """--control-token: handed to serve() through its environment variable."""
    if token:
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
@click.option("--threads", default=None, type=click.IntRange(1, 256),
              help="Request threads per process. Default: 8, or 1 with granian (one thread "
                   "spares the GIL: about 15 % more creates per second, but a request that "
                   "waits, such as an injected latency, holds the others; give a shared "
                   "granian more threads than --max-connections-per-client, docs/sandbox.md).")
@click.option("--control-token", envvar="POQ_MOCK_CONTROL_TOKEN", expose_value=False,
              callback=lambda ctx, param, value: _enable_control(value), metavar="TOKEN",
              help="Enable the /_mock runtime control API, guarded by this bearer token "
                   "(env POQ_MOCK_CONTROL_TOKEN). Off by default.")
@click.option("--callback-allow", "callback_allow", multiple=True, metavar="HOST|CIDR",
              help="Deliver notifications only to this host name, *.suffix, IP address or CIDR "
                   "(repeatable; added to the scenario's callbacks.allow). Loopback stays "
                   "allowed; link-local and metadata addresses are refused unless listed.")
@click.option("--buyer-mode", "buyer_mode", default=None,
              type=click.Choice(["default", "strict", "lenient", "off"]),
              help="Buyer-side conformance checks: strict refuses a non-conformant request "
                   "(422 naming the requirement), lenient accepts and records, default keeps "
                   "the seller's answers and records, off. Default: the scenario's "
                   "buyer_conformance.mode, else default.")
@click.option("--buyer-report", "buyer_report", default=None, metavar="FILE",
              type=click.Path(dir_okay=False, writable=True),
              help="Keep a buyer report (results.json, kind buyer) in FILE, rewritten at each "
                   "change and on exit; .html/.xml/.md render that format (the JSON goes "
                   "next to it as .json).")
@click.option("--store", "store_url", default="memory", show_default=True, envvar="POQ_MOCK_STORE",
              metavar="URL",
              help="Where POQs, subscriptions and undelivered notifications live: memory, "
                   "sqlite:///relative.db / sqlite:////absolute.db (kept across restarts, "
                   "shareable by processes on one host), or postgresql://user:password@host:"
                   "port/database (any number of processes on any hosts: one seller; needs "
                   "the 'postgres' extra). Env POQ_MOCK_STORE.")
@click.option("--migrate-only", "migrate_only", is_flag=True,
              help="Create or upgrade the --store schema, print its version and exit "
                   "(every process also does this on start).")
@click.option("--buyer-report-format", "buyer_report_format", default=None,
              type=click.Choice(["json", "html", "junit", "md"]),
              help="Format of --buyer-report FILE (default: by its suffix).")
@click.option("--server", "server_name", default="auto", show_default=True,
              type=click.Choice(["auto", *SERVERS]),
              help="WSGI server. auto: granian when --host is a loopback address (only this "
                   "machine connects: CI gates, a buyer's own client), waitress on any other "
                   "(a sandbox shared with untrusted buyers) or when the scenario seeds "
                   "defects (docs/defects.md). granian (HTTP in Rust) is the "
                   "fastest: its deadline covers the headers only and its cap per client "
                   "counts requests in progress. waitress bounds the time to receive a whole "
                   "request and the connections per client address, and answers its own "
                   "refusals with MEF Error bodies. gunicorn (gthread) answers its refusals "
                   "in plain text. docs/sandbox.md compares them; figures in "
                   "bench/README.md.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes, each with --threads threads. More than one needs a "
                   "store the processes share (sqlite:///... or postgresql://...); the memory "
                   "store is one process.")
@click.option("--quiet", is_flag=True, default=False,
              help="No request log (by default one line per request on stderr: method, "
                   "path, status, latency, buyer, failed buyer-side requirement IDs).")
@click.option("--log-format", "log_format", default="text", show_default=True,
              type=click.Choice(["text", "json"]), help="Request log lines as text or JSON.")
@click.option("--request-timeout", default=DEFAULT_REQUEST_TIMEOUT, show_default=True,
              type=click.FloatRange(min=0.1), metavar="SECONDS",
              help="Time to receive one whole request (headers and body) once it started; "
                   "past it 408 and the connection is closed (slowloris). granian bounds the "
                   "headers only, and closes without an answer.")
@click.option("--idle-timeout", default=DEFAULT_IDLE_TIMEOUT, show_default=True,
              type=click.FloatRange(min=1), metavar="SECONDS",
              help="How long a kept-alive connection may wait for its next request.")
@click.option("--max-connections", default=DEFAULT_MAX_CONNECTIONS, show_default=True,
              type=click.IntRange(1), help="Open connections in all.")
@click.option("--max-connections-per-client", "max_per_client", default=DEFAULT_MAX_PER_CLIENT,
              show_default=True, type=click.IntRange(1),
              help="Open connections from one client address; more are answered 503.")
def mock(host: str, port: int, scenario: str, threads: int | None,
         callback_allow: tuple[str, ...] = (), buyer_mode: str | None = None,
         buyer_report: str | None = None, buyer_report_format: str | None = None,
         store_url: str = "memory", migrate_only: bool = False, quiet: bool = False,
         log_format: str = "text", request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
         idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
         max_connections: int = DEFAULT_MAX_CONNECTIONS,
         max_per_client: int = DEFAULT_MAX_PER_CLIENT,
         server_name: str = "auto", workers: int = 1) -> None:
    """Run the mock POQ seller (API v8 and v7, Sonata and Cantata paths)."""
    try:
        loaded = load_scenario(scenario, [ext.prepare_scenario for ext in default_extensions()])
    except ScenarioError as exc:
        raise _ConfigProblem(str(exc)) from None
    server_name = choose_server(server_name, host, bool(loaded.defects))
    if callback_allow:  # mock_seller/sandbox/callbacks.py
        try:
            policy = loaded.callback_policy.with_allow(callback_allow)
        except ValueError as exc:
            raise _ConfigProblem(f"--callback-allow: {exc}") from None
        loaded = dataclasses.replace(loaded, callback_policy=policy)
    loaded = _buyer_settings(loaded, buyer_mode, buyer_report, buyer_report_format)
    try:  # mock_seller/sandbox/connections.py
        limits = ConnectionLimits(request_timeout, idle_timeout, max_connections,
                                  max_per_client)
    except ValueError as exc:
        raise _ConfigProblem(str(exc)) from None
    store: Any
    try:
        store = open_store(store_url)
    except StoreError as exc:
        raise _ConfigProblem(str(exc)) from None
    if migrate_only:
        db = getattr(store, "db", None)
        version = db.query("SELECT MAX(version) FROM schema_version")[0][0] if db else None
        store.close()
        click.echo(f"store {display_url(store_url)}: schema version {version or 'n/a (memory)'}")
        return
    if workers > 1 or server_name != "waitress":
        try:
            if workers > 1:
                _check_workers(store, workers, loaded)
        finally:  # each forked worker opens the store itself: a connection, or a pool's
            store.close()  # threads, do not survive a fork
        store = store_url
    threads = threads or DEFAULT_THREADS[server_name]
    try:
        serve(loaded, host=host, port=port, threads=threads, store=store, limits=limits,
              request_log=None if quiet else sys.stderr, log_format=log_format,
              server_name=server_name, workers=workers)
    except OSError as exc:
        raise _ConfigProblem(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    finally:
        close_all()  # the buyer report's final write (SIGTERM/SIGINT end serve())


def _check_workers(store: Any, workers: int, loaded: Any) -> None:
    """--workers N > 1: only a store the processes share; one buyer report writer."""
    if not getattr(store, "durable", False):
        raise _ConfigProblem(f"--workers {workers}: the memory store lives in one process; "
                             "use --store sqlite:///mock.db (or another shared store) or "
                             "--workers 1")
    if loaded.buyer_conformance.get("report"):
        raise _ConfigProblem(f"--workers {workers}: --buyer-report is written by one process; "
                             "use --workers 1 to keep a buyer report "
                             "(GET /_mock/buyer-report merges every worker's)")


def _buyer_settings(loaded: Any, mode: str | None, report: str | None,
                    fmt: str | None) -> Any:
    """--buyer-mode / --buyer-report[-format] over the scenario's buyer_conformance."""
    settings = dict(loaded.buyer_conformance)
    for key, value in (("mode", mode), ("report", report), ("report_format", fmt)):
        if value is not None:
            settings[key] = value
    return dataclasses.replace(loaded, buyer_conformance=settings)


def main() -> None:
    mock.main(prog_name="python -m mock_seller")
