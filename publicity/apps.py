from django.apps import AppConfig


class PublicityConfig(AppConfig):
    name = "publicity"
    verbose_name = "信用公示网站"

    def ready(self):
        from . import cache  # noqa: F401  (connects the cache invalidation signals)
