"""Penalty publication rule sets, versioned by effective date (SPEC §5).

A penalty is judged by the rule set in force on its decision date. Each rule set gives, per severity,
the minimum publication period (after which repair is possible) and the maximum (at which publication
stops automatically), both counted from the decision date. 轻微 (minor) penalties follow the policy
profile (``minor_penalty_publication``): not published by default, or published for a short period.

To add a rule set, append a ``RuleSet`` with its effective date; never edit one that records were
already judged by (records store the code of the rule set that was applied).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from creditsys.policy import Period, get_profile, months, years

MINOR = "minor"
GENERAL = "general"
SERIOUS = "serious"

SEVERITY_CHOICES = [(MINOR, "轻微"), (GENERAL, "一般"), (SERIOUS, "严重")]
SEVERITY_LABELS = dict(SEVERITY_CHOICES)


@dataclass(frozen=True)
class Window:
    minimum: Period  # repair becomes possible once this has passed
    maximum: Period  # publication stops at this date


@dataclass(frozen=True)
class RuleSet:
    code: str
    name: str
    source: str
    effective_from: date
    general: Window
    serious: Window

    def window(self, severity: str) -> Window | None:
        return {GENERAL: self.general, SERIOUS: self.serious}.get(severity)


# 国家发展改革委令第58号《失信行为纠正后的信用信息修复管理办法（试行）》(2023-05-01) and the
# earlier 发改办财金〔2019〕527号 practice it codified: 一般 3 months – 1 year, 严重 1 – 3 years.
ORDER_58 = RuleSet(
    code="ndrc58",
    name="国家发展改革委令第58号（2026年4月1日前作出的处罚）",
    source="《失信行为纠正后的信用信息修复管理办法（试行）》（国家发展改革委令第58号）",
    effective_from=date(1900, 1, 1),
    general=Window(minimum=months(3), maximum=years(1)),
    serious=Window(minimum=years(1), maximum=years(3)),
)

# 国家发展改革委令第36号《信用修复管理办法》, in force from 2026-04-01 (SPEC §5 windows).
ORDER_36 = RuleSet(
    code="ndrc36",
    name="国家发展改革委令第36号（2026年4月1日起作出的处罚）",
    source="《信用修复管理办法》（国家发展改革委令第36号）",
    effective_from=date(2026, 4, 1),
    general=Window(minimum=months(3), maximum=years(1)),
    serious=Window(minimum=years(1), maximum=years(3)),
)

RULE_SETS: tuple[RuleSet, ...] = (ORDER_58, ORDER_36)
RULE_SETS_BY_CODE = {r.code: r for r in RULE_SETS}


def rule_set_for(decision_date: date) -> RuleSet:
    """The rule set in force on ``decision_date``."""
    chosen = RULE_SETS[0]
    for rule_set in sorted(RULE_SETS, key=lambda r: r.effective_from):
        if rule_set.effective_from <= decision_date:
            chosen = rule_set
    return chosen


@dataclass(frozen=True)
class Publication:
    rule_set: RuleSet
    published: bool
    publish_from: date | None
    repairable_from: date | None
    publish_until: date | None


def publication_for(*, severity: str, decision_date: date, deadline: date | None = None) -> Publication:
    """Publication window of a penalty. ``deadline`` (公示截止期 given by the department) may shorten
    the maximum but never below the minimum; the caller validates it with ``deadline_bounds``."""
    rule_set = rule_set_for(decision_date)
    if severity == MINOR:
        period = get_profile().minor_penalty_publication
        if period is None:
            return Publication(rule_set, False, None, None, None)
        until = period.due_from(decision_date).date
        return Publication(rule_set, True, decision_date, decision_date, deadline or until)
    window = rule_set.window(severity)
    repairable = window.minimum.due_from(decision_date).date
    until = window.maximum.due_from(decision_date).date
    return Publication(rule_set, True, decision_date, repairable, deadline or until)


def deadline_bounds(*, severity: str, decision_date: date) -> tuple[date, date] | None:
    """Earliest and latest acceptable 公示截止期, or None when the penalty is not published."""
    full = publication_for(severity=severity, decision_date=decision_date)
    if not full.published:
        return None
    return full.repairable_from, full.publish_until
