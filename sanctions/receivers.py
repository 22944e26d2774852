"""Signal receivers: provisional due dates are recomputed when a year's holidays are entered."""

from . import services


def recompute_provisional(sender, year, **kwargs):
    services.tasks_recompute_provisional(year=year)


CATALOGUE_OBJECT_TYPES = ("sanctions.measure", "sanctions.memorandum", "registry.department")


def catalogue_audited(sender, instance, created, **kwargs):
    # Status moves are conditional UPDATEs (no post_save); every service records them in the audit log.
    if created and instance.object_type in CATALOGUE_OBJECT_TYPES:
        from .selectors import catalogue_changed

        catalogue_changed()
