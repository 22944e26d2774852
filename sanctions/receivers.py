"""Signal receivers: provisional due dates are recomputed when a year's holidays are entered."""

from . import services


def recompute_provisional(sender, year, **kwargs):
    services.tasks_recompute_provisional(year=year)
