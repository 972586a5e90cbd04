"""The anomaly rules on their own: windows, working days, thresholds, court days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gateway.audit.activity import DayRange
from gateway.audit.anomalies import Thresholds, _segments, bursts, parse_work_days
from gateway.errors import ConfigurationError

T0 = datetime(2020, 6, 3, 15, 0, tzinfo=UTC)
TEN = timedelta(minutes=10)


def _times(*minutes: float) -> list[datetime]:
    return [T0 + timedelta(minutes=m) for m in minutes]


def test_a_burst_needs_the_threshold_inside_one_window():
    assert bursts(_times(0, 4, 9.99), 3, TEN)[0].peak == 3
    assert bursts(_times(0, 4, 9.99), 4, TEN) == []  # just under
    assert bursts(_times(0, 5, 10), 3, TEN) == []  # the window is [t, t + 10 minutes)


def test_overlapping_windows_make_one_run_with_its_busiest_count():
    [run] = bursts(_times(0, 1, 2, 8, 9, 11), 3, TEN)
    assert (run.first, run.last, run.peak) == (T0, T0 + timedelta(minutes=11), 5)
    runs = bursts(_times(0, 1, 2, 60, 61, 62), 3, TEN)
    assert [r.peak for r in runs] == [3, 3]


def test_a_run_remembers_who_was_in_it():
    [run] = bursts(_times(0, 1, 2), 3, TEN, ["a@x", "b@x", "a@x"])
    assert run.actors == {"a@x", "b@x"}


def test_work_days():
    assert parse_work_days("mon-fri") == frozenset(range(5))
    assert parse_work_days("Mon, Wed,sat-sun") == frozenset({0, 2, 5, 6})
    assert parse_work_days("-") == frozenset()
    for bad in ("monday", "fri-mon", "mon-xyz"):
        with pytest.raises(ConfigurationError):
            parse_work_days(bad)


def test_thresholds_from_settings_and_their_limits():
    limits = Thresholds.from_settings({"AUDIT_BULK_DOWNLOADS": 5, "AUDIT_WORK_DAYS": "mon-sat"})
    assert limits.bulk_downloads == 5 and limits.working_hours() == "07:00-20:00, Mon-Sat"
    assert Thresholds.from_settings({}) == Thresholds()
    for bad in ({"AUDIT_DENIAL_BURST": 0}, {"AUDIT_WORK_START_HOUR": 20}):
        with pytest.raises(ConfigurationError):
            Thresholds.from_settings(bad)


def test_working_hours_are_cut_in_the_courts_time_zone_across_a_clock_change():
    zone = ZoneInfo("America/Los_Angeles")
    # Sunday 8 March 2020 loses an hour; Monday is a working day
    days = DayRange(date(2020, 3, 8), date(2020, 3, 9), zone)
    bounds, labels = _segments(days, Thresholds())
    assert labels == [
        (date(2020, 3, 8), True),
        (date(2020, 3, 9), True),
        (date(2020, 3, 9), False),
        (date(2020, 3, 9), True),
    ]
    assert bounds[1] - bounds[0] == timedelta(hours=23)
    assert bounds[2] == datetime(2020, 3, 9, 14, 0, tzinfo=UTC)  # 07:00 PDT
    assert bounds[-1] == datetime(2020, 3, 10, 7, 0, tzinfo=UTC)


def test_a_working_day_to_midnight_has_no_evening():
    days = DayRange(date(2020, 6, 1), date(2020, 6, 1), ZoneInfo("UTC"))
    _bounds, labels = _segments(days, Thresholds(work_start_hour=0, work_end_hour=24))
    assert labels == [(date(2020, 6, 1), False)]
