from django.core.management.base import BaseCommand

from sanctions import demo


class Command(BaseCommand):
    help = (
        "Seed the measure catalogue (docs/measures_seed.json) and demo memoranda, list entries and tasks. "
        "Run after registry's load_demo. Idempotent: a second run changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--catalogue-only", action="store_true", help="only the measure catalogue and memoranda")

    def handle(self, *args, catalogue_only=False, **options):
        counts = demo.load_catalogue() if catalogue_only else demo.load()
        created = ", ".join(f"{k} +{v}" for k, v in counts.items())
        self.stdout.write(self.style.SUCCESS(f"sanctions demo loaded ({created})"))
