from django.apps import AppConfig


class CreditsysConfig(AppConfig):
    name = "creditsys"
    verbose_name = "系统基础（日历、审计）"

    def ready(self):
        from . import workdays  # noqa: F401  (connects the calendar signals)
        from .api import schema  # noqa: F401  (registers the OpenAPI auth extension)
