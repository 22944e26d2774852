"""Signal receivers of the registry."""


def recompute_report_deadlines(sender, year, **kwargs):
    """A year's holiday schedule was entered or changed: provisional 双公示 deadlines are recomputed."""
    from .services import records_recompute_report_due

    records_recompute_report_due(year=year)
