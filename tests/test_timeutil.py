"""The mock's timestamps: one text form, whether the instant is a datetime or a time.time()."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from mock_seller.core.timeutil import format_datetime, format_timestamp, parse_datetime


def test_a_timestamp_is_written_as_its_datetime_is() -> None:
    instant = datetime(2026, 11, 30, 16, 5, 7, 123456, tzinfo=timezone.utc)
    assert format_datetime(instant) == "2026-11-30T16:05:07.123Z"
    assert format_timestamp(instant.timestamp()) == "2026-11-30T16:05:07.123Z"
    elsewhere = instant.astimezone(timezone(timedelta(hours=-5)))
    assert format_datetime(elsewhere) == "2026-11-30T16:05:07.123Z"
    written = format_timestamp(instant.timestamp())
    assert parse_datetime(written) == instant.replace(microsecond=123000)
