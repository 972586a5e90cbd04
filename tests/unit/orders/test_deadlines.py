"""Worked examples of FRCP 6(a), each citing the rule it shows.

Every example names the due date, the instant the last day ends, and the skipped days; the
examples in a second court show what a state's calendar does not reach.
"""

from __future__ import annotations

from datetime import date

import pytest

from gateway.errors import Invalid
from gateway.orders.deadlines import deadline


def skipped(found) -> list[str]:
    return [s.day.isoformat() for s in found.skipped]


def why(found, day: str) -> str:
    return next(s.why for s in found.skipped if s.day.isoformat() == day)


def test_the_seed_order_fourteen_days_from_june_26_2020_in_casd():
    """FRCP 6(a)(1): exclude June 26, count 14 days: Friday July 10, 2020, no day skipped;
    6(a)(4)(A): it ends at midnight Pacific (PDT, UTC-7), 07:00 UTC on July 11."""
    found = deadline("casd", date(2020, 6, 26), 14)
    assert found.as_json() == {
        "due": "2020-07-10",
        "ends_at": "2020-07-11T07:00:00+00:00",
        "court": "casd",
        "skipped": [],
    }


def test_a_period_ending_on_a_weekend_runs_to_monday():
    """6(a)(1)(C): August 1, 2020 + 14 = Saturday August 15; the period runs to Monday 17."""
    found = deadline("casd", date(2020, 8, 1), 14)
    assert found.due == date(2020, 8, 17)
    assert skipped(found) == ["2020-08-15", "2020-08-16"]
    assert why(found, "2020-08-15").startswith("Saturday")
    assert why(found, "2020-08-16").startswith("Sunday")


def test_a_period_ending_on_an_observed_federal_holiday():
    """6(a)(6)(A) and 5 U.S.C. § 6103(b): July 4, 2020 was a Saturday, observed Friday July 3.
    June 19 + 14 = July 3: skipped, then the weekend: due Monday July 6."""
    for court in ("nysd", "casd"):
        found = deadline(court, date(2020, 6, 19), 14)
        assert found.due == date(2020, 7, 6), court
        assert skipped(found) == ["2020-07-03", "2020-07-04", "2020-07-05"]
        assert "Independence Day (observed)" in why(found, "2020-07-03")
        assert "5 U.S.C. § 6103(b)" in why(found, "2020-07-03")
        assert "FRCP 6(a)(6)(A)" in why(found, "2020-07-03")


def test_new_years_day_on_a_saturday_is_observed_in_the_year_before():
    """5 U.S.C. § 6103(b): January 1, 2022 (Saturday) was observed Friday December 31, 2021."""
    found = deadline("ded", date(2021, 12, 17), 14)
    assert found.due == date(2022, 1, 3)
    assert skipped(found) == ["2021-12-31", "2022-01-01", "2022-01-02"]
    assert "New Year's Day (observed)" in why(found, "2021-12-31")


def test_cesar_chavez_day_counts_in_california_and_not_in_new_york():
    """6(a)(6)(C), Cal. Gov. Code § 6700(a)(7): March 31, 2026 (a Tuesday) is a California
    holiday. March 17 + 14 = March 31: in casd the period runs to April 1; in nysd it ends on
    March 31, the California day being no holiday there."""
    in_california = deadline("casd", date(2026, 3, 17), 14)
    assert in_california.due == date(2026, 4, 1)
    assert skipped(in_california) == ["2026-03-31"]
    assert "Cesar Chavez Day" in why(in_california, "2026-03-31")
    assert "Cal. Gov. Code § 6700(a)(7)" in why(in_california, "2026-03-31")
    assert "FRCP 6(a)(6)(C)" in why(in_california, "2026-03-31")
    in_new_york = deadline("nysd", date(2026, 3, 17), 14)
    assert in_new_york.due == date(2026, 3, 31)
    assert in_new_york.skipped == ()
    assert in_new_york.ends_at.isoformat() == "2026-04-01T04:00:00+00:00"  # EDT, UTC-4


def test_native_american_day_the_fourth_friday_of_september():
    """Cal. Gov. Code § 6700(a)(14): September 25, 2020 (fourth Friday). Texas has no such day."""
    found = deadline("casd", date(2020, 9, 11), 14)
    assert found.due == date(2020, 9, 28)
    assert skipped(found) == ["2020-09-25", "2020-09-26", "2020-09-27"]
    assert "Native American Day" in why(found, "2020-09-25")
    assert deadline("txsd", date(2020, 9, 11), 14).due == date(2020, 9, 25)


def test_a_business_days_period():
    """An order counting business days: only days that are not a Saturday, Sunday or legal
    holiday count. 5 business days from Friday June 26, 2020: June 29, 30, July 1, 2, then
    July 3 (Independence Day observed) and the weekend are passed over: Monday July 6."""
    found = deadline("casd", date(2020, 6, 26), 5, business_days=True)
    assert found.due == date(2020, 7, 6)
    assert skipped(found) == ["2020-06-27", "2020-06-28", "2020-07-03", "2020-07-04", "2020-07-05"]
    assert found.as_json()["ends_at"] == "2020-07-07T07:00:00+00:00"


def test_a_before_event_period_continues_backward():
    """6(a)(5): counted backward, the "next day" is the one before. 14 days before Saturday
    July 18, 2020 is Saturday July 4; Friday July 3 is the observed holiday: Thursday July 2."""
    found = deadline("casd", date(2020, 7, 18), 14, before_event=True)
    assert found.due == date(2020, 7, 2)
    assert skipped(found) == ["2020-07-04", "2020-07-03"]
    assert found.ends_at.isoformat() == "2020-07-03T07:00:00+00:00"


def test_a_state_holiday_does_not_count_for_a_period_before_an_event():
    """6(a)(6)(C): state days count "for periods that are measured after an event" only.
    14 days before April 14, 2026 is March 31 (Cesar Chavez Day): the deadline stays there,
    while 14 days after March 17 runs past it."""
    before = deadline("casd", date(2026, 4, 14), 14, before_event=True)
    assert before.due == date(2026, 3, 31)
    assert before.skipped == ()
    assert deadline("casd", date(2026, 3, 17), 14).due == date(2026, 4, 1)


def test_ends_at_follows_daylight_saving_time():
    """6(a)(4)(A): midnight in the court's time zone. Pacific time is UTC-7 until November 1,
    2020, then UTC-8: a last day of October 27 ends at 07:00 UTC, of November 3 at 08:00."""
    summer = deadline("casd", date(2020, 10, 20), 7)
    winter = deadline("casd", date(2020, 10, 20), 14)
    assert (summer.due, summer.ends_at.isoformat()) == (
        date(2020, 10, 27),
        "2020-10-28T07:00:00+00:00",
    )
    assert (winter.due, winter.ends_at.isoformat()) == (
        date(2020, 11, 3),
        "2020-11-04T08:00:00+00:00",
    )
    spring = deadline("nysd", date(2020, 3, 1), 7)  # Sunday March 8, the change: Monday 9
    assert (spring.due, spring.ends_at.isoformat()) == (
        date(2020, 3, 9),
        "2020-03-10T04:00:00+00:00",
    )


def test_a_day_declared_by_the_president_is_a_legal_holiday():
    """6(a)(6)(B), Exec. Order No. 13900: December 24, 2019 closed the executive departments.
    December 10 + 14 = December 24; then Christmas: due December 26."""
    found = deadline("nysd", date(2019, 12, 10), 14)
    assert found.due == date(2019, 12, 26)
    assert skipped(found) == ["2019-12-24", "2019-12-25"]
    assert "Exec. Order No. 13900" in why(found, "2019-12-24")
    assert "FRCP 6(a)(6)(B)" in why(found, "2019-12-24")


def test_juneteenth_is_a_federal_holiday_from_2021_only():
    """5 U.S.C. § 6103(a), Pub. L. 117-17: June 19, 2020 was no federal holiday (Delaware had
    none either); June 19, 2022 was a Sunday, observed Monday June 20."""
    assert deadline("ded", date(2020, 6, 5), 14).due == date(2020, 6, 19)
    found = deadline("ded", date(2022, 6, 6), 14)
    assert found.due == date(2022, 6, 21)
    assert "Juneteenth National Independence Day (observed)" in why(found, "2022-06-20")


def test_florida_keeps_martin_luther_king_jr_on_january_15():
    """Fla. Stat. § 683.01(1)(c): "Birthday of Martin Luther King, Jr., January 15", a
    Wednesday in 2025, besides the federal third Monday."""
    found = deadline("flsd", date(2025, 1, 1), 14)
    assert found.due == date(2025, 1, 16)
    assert "Fla. Stat. § 683.01(1)(c)" in why(found, "2025-01-15")
    assert deadline("ded", date(2025, 1, 1), 14).due == date(2025, 1, 15)


def test_dc_inauguration_day_counts_in_the_district_court_only():
    """D.C. Code § 28-2701: "the day of the inauguration of the President, in every fourth
    year". 5 U.S.C. § 6103(c) makes it a holiday for pay and leave only: not in nysd."""
    found = deadline("dcd", date(2021, 1, 6), 14)
    assert found.due == date(2021, 1, 21)
    assert "Inauguration Day" in why(found, "2021-01-20")
    assert deadline("nysd", date(2021, 1, 6), 14).due == date(2021, 1, 20)


def test_good_friday_in_illinois_follows_easter():
    """205 ILCS 630/17(a): "the Friday preceding Easter Sunday"; Easter 2020 was April 12."""
    found = deadline("ilnd", date(2020, 3, 27), 14)
    assert found.due == date(2020, 4, 13)
    assert "Good Friday" in why(found, "2020-04-10")


def test_lincoln_day_holds_in_california_where_the_holidays_package_drops_it():
    """A general-purpose library against the statute: the `holidays` package (vacanza/holidays,
    holidays/countries/united_states.py, `_populate_subdiv_ca_public_holidays`) adds
    California's Lincoln's Birthday only `if 1971 <= self._year <= 2009`. Cal. Gov. Code
    § 6700(a)(5) still lists "February 12th, known as 'Lincoln Day'". The statute wins:
    February 12, 2024 (a Monday) is a California holiday."""
    found = deadline("casd", date(2024, 1, 29), 14)
    assert found.due == date(2024, 2, 13)
    assert "Lincoln Day" in why(found, "2024-02-12")
    assert "Cal. Gov. Code § 6700(a)(5)" in why(found, "2024-02-12")
    assert deadline("txsd", date(2024, 1, 29), 14).due == date(2024, 2, 12)


def test_an_uncertain_day_is_refused_not_guessed():
    """Cal. Gov. Code § 6700(a)(4) fixes Lunar New Year by a new moon with no time zone:
    whether Friday February 9, 2024 is the holiday in California cannot be told, so a
    California deadline landing there is refused; New York has no such day."""
    with pytest.raises(Invalid, match="Lunar New Year"):
        deadline("casd", date(2024, 1, 26), 14)
    assert deadline("nysd", date(2024, 1, 26), 14).due == date(2024, 2, 9)
    # Saturday February 10 is skipped either way, so the doubt does not matter there;
    # Monday February 12 is Lincoln Day
    assert deadline("casd", date(2024, 1, 27), 14).due == date(2024, 2, 13)


@pytest.mark.parametrize("days", [0, -1, 3651])
def test_an_absurd_period_is_refused(days):
    with pytest.raises(Invalid, match="days"):
        deadline("casd", date(2020, 6, 26), days)


def test_an_unknown_court_is_refused_with_the_known_ids():
    with pytest.raises(Invalid, match="unknown court id 'xxd'.*casd"):
        deadline("xxd", date(2020, 6, 26), 14)


def test_a_date_outside_the_calendars_is_refused():
    with pytest.raises(Invalid, match="covers 2010 to 2030"):
        deadline("casd", date(2030, 12, 25), 14)
    with pytest.raises(Invalid, match="covers 2010 to 2030"):
        deadline("casd", date(2009, 12, 1), 14)
