"""RFC 3339 timestamps: parse what buyers send (any fraction length, Z or offset), emit UTC."""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta, timezone

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:\d{2})$"
)


def parse_datetime(value: object) -> datetime | None:
    """Parse an RFC 3339 date-time; None when ``value`` is not one."""
    if not isinstance(value, str):
        return None
    m = _RFC3339.match(value)
    if not m:
        return None
    year, month, day, hour, minute, second, frac, tz = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    try:
        if tz in ("Z", "z"):
            tzinfo = timezone.utc
        else:  # an offset of 24 hours or more is a ValueError here (+25:00)
            sign = 1 if tz[0] == "+" else -1
            tzinfo = timezone(sign * timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6])))
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                        micro, tzinfo=tzinfo)
    except ValueError:
        return None


@functools.lru_cache(maxsize=64)
def format_datetime(value: datetime) -> str:
    """UTC, millisecond precision, ``Z`` suffix (e.g. 2024-11-07T10:39:26.245Z). Cached: one
    answer writes the same few instants many times (creation, every state change, retrieve
    after retrieve of the same POQ)."""
    return _utc_text(value)


def format_timestamp(seconds: float) -> str:
    """``format_datetime`` of a ``time.time()`` value, not cached: a record's instants are
    each written once or twice, and would only push the answers' instants out of the cache."""
    return _utc_text(datetime.fromtimestamp(seconds, timezone.utc))


def _utc_text(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds")[:-6] + "Z"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
