"""The errors every room of the mock seller raises for settings it cannot use. They live here,
below everything else, so that no module has to import another room (or hide an import in a
function) just to raise one."""

from __future__ import annotations


class ConfigError(ValueError):
    """A setting this mock cannot use (scenario, store URL, faults, defects): one readable
    line, never a traceback."""


class ScenarioError(ConfigError):
    """A scenario that cannot be used (unreadable, invalid YAML, schema or reference error)."""


__all__ = ["ConfigError", "ScenarioError"]
