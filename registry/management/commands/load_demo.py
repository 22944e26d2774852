from django.core.management.base import BaseCommand

from registry import demo


class Command(BaseCommand):
    help = "Load demo data for the active policy profile (idempotent: a second run changes nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--subjects", type=int, default=60)

    def handle(self, *args, subjects, **options):
        counts = demo.load(subjects=subjects)
        created = ", ".join(f"{k} +{v}" for k, v in counts.items())
        self.stdout.write(self.style.SUCCESS(f"demo data loaded ({created})"))
