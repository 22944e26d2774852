from datetime import date

import pytest

from creditsys import workdays
from creditsys.models import CalendarDay, CalendarYear
from creditsys.policy import PROFILES, Unit, days, get_profile, working_days

pytestmark = pytest.mark.django_db


def test_ten_working_days_over_national_day_2026():
    assert workdays.add_working_days(date(2026, 9, 25), 10) == workdays.DueDate(date(2026, 10, 15), False)


def test_make_up_saturday_is_a_working_day():
    assert date(2026, 10, 10).weekday() == 5
    assert workdays.is_working_day(date(2026, 10, 10))
    assert not workdays.is_working_day(date(2026, 10, 1))
    assert not workdays.is_working_day(date(2026, 10, 11))  # an ordinary Sunday


def test_deadline_crossing_into_unknown_year_is_provisional_and_never_raises():
    due = workdays.add_working_days(date(2026, 12, 10), 20)
    assert due.date.year == 2027
    assert due.provisional
    # Weekends and 元旦 skipped: 12-11..12-31 gives 15 working days, then 01-04..01-08.
    assert due.date == date(2027, 1, 8)
    assert workdays.day_status(date(2027, 2, 10)) == (True, True)  # unknown lunar holidays: provisional


def test_entering_next_years_schedule_changes_the_answer():
    before = workdays.add_working_days(date(2026, 12, 10), 20)
    CalendarYear.objects.create(year=2027, complete=True, source="国办发明电（测试）")
    # Say 2027's New Year holiday runs 01-01..01-03 and 01-04..01-05 are also off, with a make-up Saturday.
    for d in (date(2027, 1, 1), date(2027, 1, 4), date(2027, 1, 5)):
        CalendarDay.objects.create(date=d, kind=CalendarDay.Kind.HOLIDAY, name="元旦")
    CalendarDay.objects.create(date=date(2027, 1, 9), kind=CalendarDay.Kind.WORKDAY, name="元旦调休")
    after = workdays.add_working_days(date(2026, 12, 10), 20)
    assert not after.provisional
    assert after.date != before.date
    assert after.date == date(2027, 1, 11)  # 1-06..1-08, the make-up 1-09, then 1-11


def test_calendar_changed_signal_names_the_year():
    seen = []

    def listener(sender, year, **kwargs):
        seen.append(year)

    workdays.calendar_changed.connect(listener)
    try:
        CalendarYear.objects.create(year=2028, complete=False)
    finally:
        workdays.calendar_changed.disconnect(listener)
    assert seen == [2028]


def test_single_override_corrects_builtin_calendar():
    assert workdays.is_working_day(date(2026, 6, 1))
    CalendarDay.objects.create(date=date(2026, 6, 1), kind=CalendarDay.Kind.HOLIDAY, name="测试调整")
    assert not workdays.is_working_day(date(2026, 6, 1))


def test_zero_and_negative():
    assert workdays.add_working_days(date(2026, 10, 1), 0).date == date(2026, 10, 1)
    with pytest.raises(ValueError):
        workdays.add_working_days(date(2026, 10, 1), -1)


def test_calendar_days_roll_past_holidays():
    # 20 days from 2026-09-11 is 2026-10-01 (National Day, 10-01..10-07): rolls to 10-08.
    assert days(20).due_from(date(2026, 9, 11)).date == date(2026, 10, 8)
    assert days(20).due_from(date(2026, 9, 1)).date == date(2026, 9, 21)


def test_working_days_between():
    assert workdays.working_days_between(date(2026, 9, 25), date(2026, 10, 15)) == (10, False)
    assert workdays.working_days_between(date(2026, 10, 15), date(2026, 9, 25)) == (-10, False)


def test_profiles_hold_every_deadline_with_its_unit():
    assert get_profile().code == "national"
    assert set(PROFILES) == {"national", "linzhi", "xiaoyi", "puyang", "ganzhou", "youxi"}
    for profile in PROFILES.values():
        assert profile.site_title.startswith("信用中国")
        for name, period in profile.periods().items():
            if period is not None:
                assert period.unit in Unit, name
    assert PROFILES["youxi"].objection_period == working_days(20)
    assert PROFILES["national"].objection_period == days(20)
    assert PROFILES["linzhi"].site_title == "信用中国（西藏林芝）"


def test_twenty_days_vs_twenty_working_days_profiles():
    start = date(2026, 9, 21)
    assert PROFILES["national"].objection_period.due_from(start).date == date(2026, 10, 12)
    assert PROFILES["youxi"].objection_period.due_from(start).date == date(2026, 10, 26)  # 中秋 09-25 and 国庆 off


def test_profile_setting_selects_profile(settings):
    settings.POLICY_PROFILE = "ganzhou"
    assert get_profile().site_title == "信用中国（江西赣州）"
