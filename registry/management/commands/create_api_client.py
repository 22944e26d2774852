from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from creditsys import audit
from creditsys.api.authentication import generate_key
from registry.models import ApiClient, Department, Region

SCOPES = {c.value for c in ApiClient.Scope}


class Command(BaseCommand):
    help = "Create an API client for a department or a county region and print its key once."

    def add_arguments(self, parser):
        parser.add_argument("name", help="client name, e.g. 巴宜区信用平台")
        owner = parser.add_mutually_exclusive_group(required=True)
        owner.add_argument("--department", help="USCC of the department the client acts for")
        owner.add_argument("--region", help="GB/T 2260 code of the region the client acts for")
        parser.add_argument("--scopes", default="read", help="comma-separated: read,write,check")

    @transaction.atomic
    def handle(self, *args, name, department, region, scopes, **options):
        wanted = [s.strip() for s in scopes.split(",") if s.strip()]
        unknown = set(wanted) - SCOPES
        if unknown or not wanted:
            raise CommandError(f"unknown scopes {sorted(unknown)}; use some of {sorted(SCOPES)}")
        if ApiClient.objects.filter(name=name).exists():
            raise CommandError(f"an API client named {name!r} exists already")
        dept = reg = None
        if department:
            dept = Department.objects.filter(uscc=department).first()
            if dept is None:
                raise CommandError(f"no department with USCC {department}")
        else:
            reg = Region.objects.filter(code=region).first()
            if reg is None:
                raise CommandError(f"no region with code {region}")
        key, prefix, key_hash = generate_key()
        client = ApiClient.objects.create(
            name=name, department=dept, region=reg, scopes=wanted, key_prefix=prefix, key_hash=key_hash
        )
        audit.record(action="create", instance=client, after={"name": name, "scopes": wanted})
        self.stdout.write(f"API client {client.name} (id {client.pk}), scopes: {', '.join(wanted)}")
        self.stdout.write("Key (shown once, store it now):")
        self.stdout.write(key)
