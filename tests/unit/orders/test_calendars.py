"""The calendars are data: every shipped file parses, every court has one, a malformed file
is refused with the file, the line and the field, and the operator's added days count."""

from __future__ import annotations

from datetime import date, timedelta
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.errors import ConfigurationError
from gateway.orders.courts import courts
from gateway.orders.deadlines import deadline, why_closed
from gateway.orders.holidays import easter_sunday, load_declared, nth_weekday, parse_calendar
from gateway.orders.legal import STATE_FILES, LegalHolidays, shipped

BRIEF_COURTS = (
    "casd cand cacd caed nysd nyed nynd nywd txsd txnd txed txwd ilnd flsd flmd ded nvd dcd"
).split()


def test_every_court_of_the_brief_is_known_with_its_state_and_zone():
    table = courts()
    for court_id in BRIEF_COURTS:
        assert court_id in table, court_id
    assert table["casd"].state == "CA" and table["casd"].timezone == "America/Los_Angeles"
    assert table["dcd"].state == "DC" and table["dcd"].timezone == "America/New_York"
    assert table["txwd"].timezone == "America/Chicago" and "El Paso" in table["txwd"].spans
    for court in table.values():
        assert court.state in STATE_FILES, f"{court.id}: no calendar for {court.state}"


def test_every_shipped_calendar_parses_and_cites_every_day():
    folder = resources.files("gateway.orders").joinpath("calendars")
    names = sorted(p.name for p in folder.iterdir())
    assert {"federal.toml", "federal-declared.toml", *STATE_FILES.values()} == set(names)
    for name in names:
        calendar = shipped(name)
        assert calendar.rules, name
        for rule in calendar.rules:
            assert rule.citation.strip() and rule.name.strip(), (name, rule)


def test_the_federal_calendar_has_the_eleven_holidays_of_5_usc_6103a_in_2021():
    federal = shipped("federal.toml")
    days = {
        day: [h.name for h in federal.holidays_on(day)]
        for day in (date(2021, 1, 1) + timedelta(n) for n in range(365))
        if federal.holidays_on(day)
    }
    names = {name for found in days.values() for name in found}
    assert len(names) == 11
    assert days[date(2021, 6, 18)] == ["Juneteenth National Independence Day"]  # Sat -> Fri
    assert days[date(2021, 7, 5)] == ["Independence Day"]  # Sun -> Mon
    assert date(2021, 6, 19) in days and date(2021, 7, 4) in days  # the day itself too


def test_weekday_and_easter_rules():
    assert nth_weekday(2020, 9, 4, 4) == date(2020, 9, 25)  # fourth Friday
    assert nth_weekday(2020, 5, 0, -1) == date(2020, 5, 25)  # last Monday
    assert nth_weekday(2020, 12, 3, -1) == date(2020, 12, 31)
    assert [easter_sunday(y) for y in (2019, 2020, 2024, 2025)] == [
        date(2019, 4, 21),
        date(2020, 4, 12),
        date(2024, 3, 31),
        date(2025, 4, 20),
    ]


GOOD = """
kind = "declared"
jurisdiction = "US"
name = "Test"

[[holiday]]
name = "A closing"
citation = "Exec. Order No. 1"
dates = ["2020-07-10"]
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace('citation = "Exec. Order No. 1"\n', ""), "line 6, holiday 'citation'"),
        (GOOD + 'colour = "red"\n', "line 6, holiday 'colour': unknown field"),
        (GOOD.replace('"2020-07-10"', '"2020-07-32"'), "'2020-07-32' is not a date"),
        (GOOD + 'date = "07-10"\n', "exactly one of date, nth, easter, dates"),
        (GOOD.replace('"declared"', '"local"'), "'kind': one of"),
        (GOOD.replace("[[holiday]]", "[[holiday]]\nsunday = 'tuesday'"), "only move known"),
        ("kind = ", "not TOML"),
    ],
)
def test_a_malformed_calendar_is_refused_with_file_line_and_field(text, message):
    with pytest.raises(ConfigurationError, match="extra.toml") as raised:
        parse_calendar(text, "extra.toml")
    assert message in raised.value.message


def test_the_operator_adds_a_declared_closing(tmp_path):
    """6(a)(6)(B): a day declared by the President, added from the operator's file, moves
    the seed's July 10, 2020 deadline past the weekend to Monday July 13."""
    path = tmp_path / "declared.toml"
    path.write_text(GOOD, encoding="utf-8")
    added = (load_declared(path),)
    found = deadline("casd", date(2020, 6, 26), 14, added=added)
    assert found.due == date(2020, 7, 13)
    assert "A closing, a day declared a holiday by the President" in found.skipped[0].why
    assert deadline("casd", date(2020, 6, 26), 14).due == date(2020, 7, 10)


def test_an_added_state_day_counts_in_that_state_only_and_after_an_event_only(tmp_path):
    path = tmp_path / "ca-extra.toml"
    path.write_text(GOOD.replace('"declared"', '"state"').replace('"US"', '"CA"'), encoding="utf-8")
    added = (load_declared(path),)
    assert deadline("casd", date(2020, 6, 26), 14, added=added).due == date(2020, 7, 13)
    assert deadline("nysd", date(2020, 6, 26), 14, added=added).due == date(2020, 7, 10)
    before = deadline("casd", date(2020, 7, 24), 14, before_event=True, added=added)
    assert before.due == date(2020, 7, 10)


def test_an_added_file_cannot_replace_the_statutory_list(tmp_path):
    path = tmp_path / "federal.toml"
    path.write_text(GOOD.replace('"declared"', '"federal"'), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="declared or state days"):
        load_declared(path)
    with pytest.raises(ConfigurationError, match="cannot be read"):
        load_declared(tmp_path / "absent.toml")


COURT_IDS = st.sampled_from(sorted(courts()))
TRIGGERS = st.dates(min_value=date(2010, 1, 1), max_value=date(2029, 6, 30))
DAYS = st.integers(min_value=1, max_value=120)


def _open(court_id: str, day: date, *, after_event: bool) -> bool:
    holidays = LegalHolidays.for_court(courts()[court_id])
    return why_closed(holidays, day, after_event=after_event) == ""


def _computable(court_id, trigger, days, **flags):
    from gateway.errors import Invalid

    try:
        return deadline(court_id, trigger, days, **flags)
    except Invalid as refused:  # only an uncertain day (Lunar New Year) may refuse here
        assert "cannot be told" in refused.message
        return None


@settings(deadline=None, max_examples=300)
@given(COURT_IDS, TRIGGERS, DAYS, st.booleans())
def test_the_due_day_is_open_and_never_before_the_period(court_id, trigger, days, business):
    found = _computable(court_id, trigger, days, business_days=business)
    if found is None:
        return
    assert _open(court_id, found.due, after_event=True)
    assert found.due >= trigger + timedelta(days=days)
    assert all(not _open(court_id, s.day, after_event=True) for s in found.skipped)
    if business:
        span = (trigger + timedelta(n) for n in range(1, (found.due - trigger).days + 1))
        assert sum(_open(court_id, day, after_event=True) for day in span) == days


@settings(deadline=None, max_examples=200)
@given(COURT_IDS, TRIGGERS, DAYS)
def test_a_before_event_day_is_open_and_never_after_the_period(court_id, trigger, days):
    event = trigger + timedelta(days=200)
    found = deadline(court_id, event, days, before_event=True)
    assert _open(court_id, found.due, after_event=False)
    assert found.due <= event - timedelta(days=days)
    # nothing from the counted day back to the due day was open
    nominal = event - timedelta(days=days)
    gap = (found.due + timedelta(n) for n in range(1, (nominal - found.due).days + 1))
    assert not any(_open(court_id, day, after_event=False) for day in gap)
