from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "disputes"
    verbose_name = "异议与信用修复"

    def ready(self):
        from creditsys.workdays import calendar_changed

        from . import receivers

        calendar_changed.connect(receivers.recompute_provisional, dispatch_uid="disputes-recompute-provisional")
