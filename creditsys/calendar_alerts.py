"""From 1 November, warn the coordinators when next year's holiday schedule is not entered (SPEC §11)."""

import logging

from django.utils import timezone

from .workdays import year_is_known

logger = logging.getLogger("creditsys.calendar")

ALERT_FROM_MONTH = 11


def next_year_calendar_status(*, today=None, log: bool = False) -> dict:
    today = today or timezone.localdate()
    next_year = today.year + 1
    missing = not year_is_known(next_year)
    alert = missing and today.month >= ALERT_FROM_MONTH
    if alert and log:
        logger.warning("holiday schedule of %s not entered: deadlines in %s are provisional", next_year, next_year)
    return {"year": next_year, "known": not missing, "alert": alert}
