from django.core.management.base import BaseCommand

from disputes import demo


class Command(BaseCommand):
    help = (
        "Demo objections (open, overdue, decided) and credit repairs (received, approved). "
        "Run after load_demo and load_sanctions_demo. Idempotent: a second run changes nothing."
    )

    def handle(self, *args, **options):
        counts = demo.load()
        created = ", ".join(f"{k} +{v}" for k, v in counts.items())
        self.stdout.write(self.style.SUCCESS(f"disputes demo loaded ({created})"))
