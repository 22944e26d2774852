from django.core.management.base import BaseCommand, CommandError

from creditsys.audit import verify_chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exits non-zero when a row was altered or removed."

    def handle(self, *args, **options):
        ok, _, message = verify_chain()
        if not ok:
            raise CommandError(message)
        self.stdout.write(self.style.SUCCESS(message))
