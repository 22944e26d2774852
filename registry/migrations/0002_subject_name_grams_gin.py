"""GIN index on the name n-grams (PostgreSQL only; SQLite uses the LIKE fallback)."""

from django.db import migrations

INDEX = "registry_subject_name_grams_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON registry_subject USING gin (name_grams)")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]
