from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "信用主体与部门"

    def ready(self):
        from creditsys.workdays import calendar_changed

        from . import receivers

        calendar_changed.connect(receivers.recompute_report_deadlines, dispatch_uid="registry-report-due")
