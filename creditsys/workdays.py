"""Working-day calendar (SPEC §11).

Sources, in order of authority for a given year:

1. the administrators' table (``CalendarYear`` marked complete + its ``CalendarDay`` rows);
2. chinesecalendar, which knows the State Council schedules up to 2026 (single ``CalendarDay`` rows
   still override it, so a late correction can be entered);
3. otherwise the year is *unknown*: only weekends and fixed-date statutory holidays are known, and
   every result that depends on such a day is marked **provisional**. Nothing here ever raises for
   an unknown year.

Counting rule (行政程序期间计算): the day a clock starts is not counted; a period of N working days
ends on the N-th working day after it. A calendar-day period whose last day is a rest day ends on
the next working day when the profile says so (法定期间届满日遇节假日顺延).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, timedelta

import chinese_calendar
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from . import versions
from .models import CalendarDay, CalendarYear
from .policy import DueDate, get_profile

# Fixed-date statutory holidays (全国年节及纪念日放假办法, 2025 revision): 元旦, 劳动节, 国庆节.
# Lunar holidays (春节, 清明, 端午, 中秋) cannot be known without the year's schedule.
FIXED_HOLIDAYS = {(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)}

# Sent when an administrator changes a year's schedule; apps holding provisional deadlines in that
# year listen and recompute them.
calendar_changed = Signal()  # provides: year


# Per-process memo of the table. Edits bump a version in the shared cache; every public function
# checks it once per call, so an edit made in one process (admin in the web server) is seen at once
# by the others (the worker's sweeps) without a database query per day counted.
_VERSION_KEY = versions.register("creditsys:calendar-version")
_memo: dict[int, tuple[bool, dict[date, bool]]] = {}
_day_memo: dict[date, tuple[bool, bool]] = {}  # day_status results (chinesecalendar is slow per call)
_due_memo: dict[tuple[date, int], DueDate] = {}  # add_working_days results (an import computes thousands)
_memo_version: list = [None]
_pinned: ContextVar[bool] = ContextVar("workdays_pinned", default=False)


def _forget() -> None:
    _memo.clear()
    _day_memo.clear()
    _due_memo.clear()


def _sync() -> None:
    if _pinned.get():
        return
    version = versions.current(_VERSION_KEY)
    if version is None or version != _memo_version[0]:  # None: cache down, nothing is memoised
        _forget()
        _memo_version[0] = version


@contextmanager
def pinned():
    """Check the memo's version once for a batch of computations (an import chunk) instead of at
    every call: thousands of deadlines then cost no cache round trip each, and see one calendar."""
    _sync()
    token = _pinned.set(True)
    try:
        yield
    finally:
        _pinned.reset(token)


def _year_table(year: int) -> tuple[bool, dict[date, bool]]:
    """(complete, {date: is_working}) from the administrators' table for one year."""
    if year not in _memo:
        complete = CalendarYear.objects.filter(year=year, complete=True).exists()
        rows = CalendarDay.objects.filter(date__year=year).values_list("date", "kind")
        _memo[year] = complete, {d: kind == CalendarDay.Kind.WORKDAY for d, kind in rows}
    return _memo[year]


def clear_cache() -> None:
    """Forget the memo here and tell every other process to do the same."""
    _forget()
    versions.bump(_VERSION_KEY)
    _memo_version[0] = versions.current(_VERSION_KEY)


def year_is_known(year: int) -> bool:
    _sync()
    complete, _ = _year_table(year)
    return complete or _builtin_covers(year)


def _builtin_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def day_status(day: date) -> tuple[bool, bool]:
    """Return ``(is_working_day, provisional)`` for one date."""
    _sync()
    return _day_status(day)


def _day_status(day: date) -> tuple[bool, bool]:
    status = _day_memo.get(day)
    if status is None:
        status = _day_memo[day] = _compute_day_status(day)
    return status


def _compute_day_status(day: date) -> tuple[bool, bool]:
    complete, overrides = _year_table(day.year)
    if day in overrides:
        return overrides[day], False
    if complete:
        return day.weekday() < 5, False
    try:
        return chinese_calendar.is_workday(day), False
    except NotImplementedError:
        pass
    is_working = day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS
    return is_working, True


def is_working_day(day: date) -> bool:
    return day_status(day)[0]


def add_working_days(start: date, n: int) -> DueDate:
    """The N-th working day after ``start`` (N ≥ 0; 0 returns ``start``)."""
    if n < 0:
        raise ValueError("n must not be negative")
    _sync()
    due = _due_memo.get((start, n))
    if due is None:
        due = _due_memo[start, n] = _count_working_days(start, n)
    return due


def _count_working_days(start: date, n: int) -> DueDate:
    current = start
    provisional = False
    counted = 0
    while counted < n:
        current += timedelta(days=1)
        working, uncertain = _day_status(current)
        provisional = provisional or uncertain
        if working:
            counted += 1
    return DueDate(current, provisional)


def add_calendar_days(start: date, n: int) -> DueDate:
    _sync()
    due = start + timedelta(days=n)
    provisional = False
    if get_profile().roll_calendar_deadlines_past_holidays:
        working, uncertain = _day_status(due)
        provisional = uncertain
        while not working:
            due += timedelta(days=1)
            working, uncertain = _day_status(due)
            provisional = provisional or uncertain
    return DueDate(due, provisional)


def working_days_between(start: date, end: date) -> tuple[int, bool]:
    """Working days after ``start`` up to and including ``end`` (negative when end < start)."""
    _sync()
    sign = 1
    if end < start:
        start, end, sign = end, start, -1
    count, provisional, current = 0, False, start
    while current < end:
        current += timedelta(days=1)
        working, uncertain = _day_status(current)
        provisional = provisional or uncertain
        count += working
    return sign * count, provisional


@receiver([post_save, post_delete], sender=CalendarDay)
@receiver([post_save, post_delete], sender=CalendarYear)
def _calendar_edited(sender, instance, **kwargs):
    clear_cache()
    year = instance.year if isinstance(instance, CalendarYear) else instance.date.year
    calendar_changed.send(sender=sender, year=year)
