from django.core.management.base import BaseCommand

from publicity import demo


class Command(BaseCommand):
    help = "Load demo articles for the public site (idempotent)."

    def handle(self, *args, **options):
        self.stdout.write(self.style.SUCCESS(f"publicity demo loaded (articles +{demo.load()})"))
