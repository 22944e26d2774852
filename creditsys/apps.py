from django.apps import AppConfig


class CreditsysConfig(AppConfig):
    name = "creditsys"
    verbose_name = "系统基础（日历、审计）"

    def ready(self):
        from . import db, workdays  # noqa: F401  (registers the __any lookup; connects the calendar signals)
        from .api import schema  # noqa: F401  (registers the OpenAPI auth extension)

        self._connect_api_client_signals()

    @staticmethod
    def _connect_api_client_signals():
        from django.db.models.signals import post_delete, post_save

        from .api.authentication import api_client_model, clients_changed

        client_model = api_client_model()
        # The client and what authentication loads with it (select_related department, region).
        models = {client_model} | {
            f.related_model for f in client_model._meta.concrete_fields if f.is_relation and f.related_model
        }
        for model in models:
            uid = f"api-clients-{model._meta.label_lower}"
            post_save.connect(clients_changed, sender=model, dispatch_uid=f"{uid}-save", weak=False)
            post_delete.connect(clients_changed, sender=model, dispatch_uid=f"{uid}-delete", weak=False)
