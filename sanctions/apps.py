from django.apps import AppConfig


class SanctionsConfig(AppConfig):
    name = "sanctions"
    verbose_name = "联合奖惩"

    def ready(self):
        from creditsys.workdays import calendar_changed
        from registry.workbench import register_home_panel

        from . import panels, receivers

        register_home_panel(panels.home_panel)

        calendar_changed.connect(receivers.recompute_provisional, dispatch_uid="sanctions-recompute-provisional")

        # The check API memoises the measure catalogue per process (selectors.MeasureCatalogue.current).
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from creditsys.models import AuditEvent
        from registry.models import Department

        from .models import Measure, Memorandum
        from .selectors import catalogue_changed

        for model in (Measure, Memorandum, Department):
            post_save.connect(
                catalogue_changed, sender=model, dispatch_uid=f"sanctions-catalogue-save-{model.__name__}"
            )
            post_delete.connect(
                catalogue_changed, sender=model, dispatch_uid=f"sanctions-catalogue-del-{model.__name__}"
            )
        for through in (Measure.implementing_departments.through, Memorandum.signing_departments.through):
            m2m_changed.connect(
                catalogue_changed, sender=through, dispatch_uid=f"sanctions-catalogue-m2m-{through.__name__}"
            )
        post_save.connect(receivers.catalogue_audited, sender=AuditEvent, dispatch_uid="sanctions-catalogue-audit")
