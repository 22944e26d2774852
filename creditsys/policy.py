"""Policy profiles (SPEC §15): one deployment, one profile, chosen by ``POLICY_PROFILE``.

The five municipal plans differ in deadlines, list tiers and options; those differences live here
as data. Every deadline in the system is read from the active profile — never hard-coded.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from functools import lru_cache

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class Unit(StrEnum):
    CALENDAR_DAYS = "calendar_days"
    WORKING_DAYS = "working_days"
    MONTHS = "months"
    YEARS = "years"


UNIT_LABELS = {
    Unit.CALENDAR_DAYS: "日",
    Unit.WORKING_DAYS: "个工作日",
    Unit.MONTHS: "个月",
    Unit.YEARS: "年",
}


@dataclass(frozen=True)
class DueDate:
    """A computed due date; ``provisional`` when a year's holiday schedule was not yet known."""

    date: date
    provisional: bool = False


@dataclass(frozen=True)
class Period:
    length: int
    unit: Unit

    def __str__(self) -> str:
        return f"{self.length}{UNIT_LABELS[self.unit]}"

    def due_from(self, start: date) -> DueDate:
        """The due date of a clock started on ``start`` (the start day itself is not counted)."""
        from . import workdays

        if self.unit == Unit.WORKING_DAYS:
            return workdays.add_working_days(start, self.length)
        if self.unit == Unit.CALENDAR_DAYS:
            return workdays.add_calendar_days(start, self.length)
        if self.unit == Unit.MONTHS:
            return DueDate(_plus(start, months=self.length))
        return DueDate(_plus(start, years=self.length))


@lru_cache(maxsize=4096)
def _plus(start: date, *, months: int = 0, years: int = 0) -> date:
    # Memoised: relativedelta arithmetic costs ~20 µs, and an import computes publication windows
    # for thousands of rows that share a few hundred decision dates.
    return start + relativedelta(months=months, years=years)


def working_days(n: int) -> Period:
    return Period(n, Unit.WORKING_DAYS)


def days(n: int) -> Period:
    return Period(n, Unit.CALENDAR_DAYS)


def months(n: int) -> Period:
    return Period(n, Unit.MONTHS)


def years(n: int) -> Period:
    return Period(n, Unit.YEARS)


@dataclass(frozen=True)
class PolicyProfile:
    """Everything a municipal plan may vary. Defaults are the national rules."""

    code: str
    municipality: str
    site_title: str
    source: str = "国家层面规定（国办发〔2020〕49号、国办发〔2025〕22号、国家发展改革委令第36号）"
    # List tiers in use: some plans only run red and black lists.
    list_types: tuple[str, ...] = ("red", "focus", "black")
    # 双公示 reporting: publish within N of the decision date, else flagged 迟报.
    reporting_period: Period = working_days(7)
    # Pre-listing notice 告知: the subject may state its case within this period.
    notice_period: Period = working_days(5)
    # Enforcement feedback from implementing departments.
    feedback_period: Period = working_days(10)
    # Objection verification.
    objection_period: Period = days(20)
    # Credit repair: accept or reject, then decide.
    repair_acceptance_period: Period = working_days(3)
    repair_decision_period: Period = working_days(10)
    # Reminders are sent this long before a due date.
    reminder_lead: Period = working_days(2)
    # 轻微 penalties: None = not published; otherwise published for this period.
    minor_penalty_publication: Period | None = None
    # Red-list eligibility: no 一般/严重 penalty within this look-back period.
    red_list_lookback: Period = years(3)
    # Years without adverse records that count as trustworthy for incentive measures.
    trustworthy_clean_years: int = 3
    # Default validity of a red-list entry when the initiating department sets none.
    red_list_default_validity: Period = years(3)
    # Credit repair of list entries (SPEC §10, "per the list's removal conditions"): how long an entry
    # must have been listed before repair may be applied for (None: at once).
    focus_repair_min_listing: Period | None = None
    black_repair_min_listing: Period | None = years(1)
    # A rejection for false materials bars new repair applications by the subject for this long.
    false_materials_bar: Period = years(3)
    # Calendar-day deadlines ending on a holiday move to the next working day (法定期间顺延).
    roll_calendar_deadlines_past_holidays: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)

    def periods(self) -> dict[str, Period | None]:
        """Named deadline lengths, for display on the administration pages."""
        return {
            "双公示报送时限": self.reporting_period,
            "列入前告知陈述申辩期": self.notice_period,
            "联合奖惩反馈时限": self.feedback_period,
            "异议核实时限": self.objection_period,
            "信用修复受理时限": self.repair_acceptance_period,
            "信用修复办结时限": self.repair_decision_period,
            "到期提醒提前量": self.reminder_lead,
            "轻微处罚公示期": self.minor_penalty_publication,
            "红名单不良记录回溯期": self.red_list_lookback,
            "重点关注名单最短列入期（修复前）": self.focus_repair_min_listing,
            "严重失信主体名单最短列入期（修复前）": self.black_repair_min_listing,
            "提供虚假材料后禁止再申请修复期": self.false_materials_bar,
        }


NATIONAL = PolicyProfile(
    code="national",
    municipality="本地区",
    site_title="信用中国（地方）",
)


def _derive(**changes) -> PolicyProfile:
    return replace(NATIONAL, **changes)


from .profiles import MUNICIPAL_PROFILES  # noqa: E402  (data module uses the helpers above)

PROFILES: dict[str, PolicyProfile] = {NATIONAL.code: NATIONAL, **MUNICIPAL_PROFILES}


@lru_cache(maxsize=8)
def _load(code: str) -> PolicyProfile:
    try:
        return PROFILES[code]
    except KeyError:
        raise ImproperlyConfigured(
            f"POLICY_PROFILE={code!r} is unknown; choose one of {', '.join(sorted(PROFILES))}"
        ) from None


def get_profile() -> PolicyProfile:
    return _load(settings.POLICY_PROFILE)
