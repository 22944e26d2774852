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
