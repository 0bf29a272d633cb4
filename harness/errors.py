"""Errors the CLI turns into one readable line and exit code 2."""

from __future__ import annotations


class ConfigError(Exception):
    """A usage or configuration problem the user can fix (bad profile, missing file, ...)."""
