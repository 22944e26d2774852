"""Signal receivers: provisional deadlines are recomputed when a year's holidays are entered."""

from . import services


def recompute_provisional(sender, year, **kwargs):
    services.deadlines_recompute_provisional(year=year)
