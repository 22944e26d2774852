from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "disputes"
    verbose_name = "异议与信用修复"

    def ready(self):
        from creditsys.workdays import calendar_changed
        from registry.workbench import register_home_panel

        from . import panels, receivers

        register_home_panel(panels.home_panel)

        calendar_changed.connect(receivers.recompute_provisional, dispatch_uid="disputes-recompute-provisional")
